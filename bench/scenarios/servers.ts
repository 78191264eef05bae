import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Child } from './ipc';
import { ZERO, type ServerBehaviour, type ServerCounts } from './server-config';

/** One scenario server process (server-process.ts). */
export interface ScenarioServer {
  readonly id: string;
  readonly address: string;
  /** Replaces the whole behaviour; the handler wrappers are made afresh (a new run). */
  configure(behaviour: ServerBehaviour): Promise<void>;
  /** Sets the slow window alone, mid-run. */
  slow(window: ServerBehaviour['slow']): Promise<void>;
  /** What it counted between two epoch times (100 ms buckets). */
  counts(fromEpochMs: number, toEpochMs: number): Promise<ServerCounts>;
}

/** Where clients find a group of scenario servers: its registry name and directory, and the addresses themselves. */
export interface Target {
  service: string;
  registryDir: string;
  addresses: string[];
}

/** Scenario server processes on loopback sharing a throwaway local-registry directory; `stop()` ends them all. */
export class ScenarioServers {
  readonly registryDir = mkdtempSync(join(tmpdir(), 'keel-scenario-'));
  private readonly children: Child[] = [];

  /** @param dir where the compiled scenario entry points are (this folder in dist/, or the bench's snapshot of it) */
  constructor(private readonly dir: string = __dirname) {}

  /** Starts `n` servers registered as `service`, in parallel. */
  async start(n: number, service: string): Promise<{ target: Target; servers: ScenarioServer[] }> {
    const servers = await Promise.all(Array.from({ length: n }, async () => {
      const { child, ready } = await Child.start<{ id: string; address: string }>(this.dir, 'server-process.js',
        [JSON.stringify({ service, registryDir: this.registryDir })]);
      this.children.push(child);
      const server: ScenarioServer = {
        ...ready,
        configure: (behaviour) => child.ask({ cmd: 'configure', behaviour }),
        slow: (window) => child.ask({ cmd: 'slow', slow: window }),
        counts: (fromEpochMs, toEpochMs) => child.ask({ cmd: 'counts', fromEpochMs, toEpochMs }),
      };
      return server;
    }));
    return { target: { service, registryDir: this.registryDir, addresses: servers.map((s) => s.address) }, servers };
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.children.splice(0).map((c) => c.stop()));
    rmSync(this.registryDir, { recursive: true, force: true });
  }
}

/** The sum of several servers' counts. */
export function sumCounts(all: readonly ServerCounts[]): ServerCounts {
  const sum = { ...ZERO };
  for (const c of all) for (const f of Object.keys(sum) as Array<keyof ServerCounts>) sum[f] += c[f];
  return sum;
}
