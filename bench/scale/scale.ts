import { createClient, roundRobin, wrapClient } from '../../src/index';
import { Basis } from '../../examples/basis/proto';
import { closedLoop } from '../loads/closed-loop';
import { fakeNodes, fixedRegistry } from './fixed-registry';
import { memoryPerNode, registryFill, type MemoryPerNode, type RegistryFill } from './memory';
import { decisionRates, selectionCost, type DecisionRates, type SelectionRow } from './micro';
import type { ScaleJob, Segment } from '../shared/protocol';
import { REQUEST } from '../stacks/rates';

export interface TerminalRow {
  nodes: number;
  segment: Segment;
}

export interface ScaleResult {
  selection: SelectionRow[];
  decisions: DecisionRates;
  memory: MemoryPerNode;
  registryFill: RegistryFill[];
  /** A keel client with roundRobin() whose registry lists N nodes, all at the one bench server: closed loop, concurrency 16. */
  terminal: TerminalRow[];
}

const TERMINAL_CONCURRENCY = 16;

export async function scale(job: ScaleJob): Promise<ScaleResult> {
  const selection = selectionCost(job.sizes, job.microMs, job.circuitBudgetMs);
  const decisions = decisionRates(job.microMs);
  // 1,000 circuits: making them costs O(N) each at present (see the selection rows), 10,000 takes seconds.
  const memory = memoryPerNode(Math.max(...job.sizes), 1000, 1000);
  const fill = await registryFill(job.fillSizes);
  const terminal: TerminalRow[] = [];
  // The first size is run twice, the first time unmeasured: grpc-js is cold in this process until then.
  for (const [i, n] of [job.sizes[0] as number, ...job.sizes].entries()) {
    const service = `scale${n}`;
    const client = createClient(Basis, service, {
      registry: fixedRegistry(fakeNodes(service, n, job.target.addresses[0])),
      wrap: wrapClient(roundRobin()),
    });
    try {
      const segment = await closedLoop(() => client.hello(REQUEST), {
        concurrency: TERMINAL_CONCURRENCY, warmupMs: Math.min(300, job.terminalMs / 2), durationMs: job.terminalMs,
        maxCalls: job.terminalMs * 50,
      });
      if (i > 0) terminal.push({ nodes: n, segment });
    } finally {
      client.close();
    }
  }
  return { selection, decisions, memory, registryFill: fill, terminal };
}
