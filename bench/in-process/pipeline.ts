import { performance } from 'node:perf_hooks';
import {
  breaker, initTracing, rateLimit, roundRobin, runCall, tracing, wrapClient, type Call, type ClientWrapper, type ServiceNode,
} from '../../src/index';
import type { ClientContext } from '../../src/client/context';
import { fakeContext, helloInfo } from '../shared/call-context';
import { naiveAround } from '../stacks/naive-stack';
import { noopExporter } from '../stacks/noop-exporter';
import type { PipelineJob } from '../shared/protocol';

/** So high that the limiter never holds a call back here (calls come ~10M/s at most), while it decides on each. */
const PIPELINE_RATE = 1e9;

export interface PipelineRow {
  name: string;
  /** Wall ns per call, one call at a time (await each). */
  nsPerCall: number;
  /** Process CPU ns per call. */
  cpuNsPerCall: number;
  calls: number;
}

const NODE: ServiceNode = { id: 'pipeline-1', name: 'pipeline', version: '1', address: '127.0.0.1:9', metadata: {} };
const NODES = [NODE];
const RESPONSE = { msg: 'Hello bench' };

/** Like keel's terminal without the network: pick a node with the context's selector, then answer. */
const terminal: Call = (_request, ctx) => {
  const node = ctx.selector.pick(NODES, ctx);
  if (node !== undefined) (ctx as ClientContext).setNode(node);
  return Promise.resolve(RESPONSE);
};

async function measure(name: string, call: (request: unknown) => Promise<unknown>, maxMs: number): Promise<PipelineRow> {
  const maxCalls = 2_000_000;
  const loop = async (ms: number): Promise<number> => {
    const end = performance.now() + ms;
    let n = 0;
    while (n < maxCalls && performance.now() < end) {
      for (let i = 0; i < 100; i++) await call(null);
      n += 100;
    }
    return n;
  };
  await loop(Math.min(100, maxMs / 3));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const calls = await loop(maxMs);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { name, nsPerCall: (wallMs * 1e6) / calls, cpuNsPerCall: ((cpu.user + cpu.system) * 1000) / calls, calls };
}

const through = (wrap: ClientWrapper | undefined): ((request: unknown) => Promise<unknown>) => {
  const info = helloInfo('pipeline');
  const call = wrap ? wrap(terminal, info) : terminal;
  return (request) => runCall(call, request, fakeContext('pipeline'));
};

/**
 * What keel's wrappers cost per call, apart from grpc-js and the network: each stack over a terminal
 * that picks a node and answers at once. Stacks without tracing go first; then the OpenTelemetry SDK is
 * started (it puts an async hook on every promise in the process) and the rest follow, with the bare
 * pipeline again to show what the SDK alone costs.
 */
export async function pipeline(job: PipelineJob): Promise<PipelineRow[]> {
  const rows: PipelineRow[] = [];
  const ms = job.ms;
  rows.push(await measure('none', through(undefined), ms));
  rows.push(await measure('roundRobin', through(wrapClient(roundRobin())), ms));
  rows.push(await measure('rateLimit', through(wrapClient(rateLimit(PIPELINE_RATE))), ms));
  rows.push(await measure('breaker', through(wrapClient(breaker())), ms));
  rows.push(await measure('full-notrace', through(wrapClient(roundRobin(), rateLimit(PIPELINE_RATE), breaker())), ms));
  const sdk = initTracing({ serviceName: 'bench-pipeline', exporter: noopExporter });
  rows.push(await measure('none (OTel SDK started)', through(undefined), ms));
  rows.push(await measure('tracing', through(wrapClient(tracing())), ms));
  rows.push(await measure('full', through(wrapClient(roundRobin(), rateLimit(PIPELINE_RATE), breaker(), tracing())), ms));
  const naive = naiveAround(() => Promise.resolve(RESPONSE), PIPELINE_RATE);
  rows.push(await measure('naive', () => naive.call(), ms));
  await naive.close();
  await sdk.shutdown();
  return rows;
}
