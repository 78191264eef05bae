// The process handling `npm start` (examples/basis/demo.ts) and `npm run example:shippy`
// (examples/shippy/run.ts) share: programs forked with one environment — an embedded registry directory of
// this run's own unless MICRO_REGISTRY / MICRO_REGISTRY_ADDRESS say otherwise —, stopped together, and
// Ctrl-C (or SIGTERM) stopping every process started.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A child's exit code (1 when a signal ended it), now if it has already exited. */
export const exited = (child: ChildProcess): Promise<number> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode ?? 1)
    : new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));

export class Processes {
  readonly env: NodeJS.ProcessEnv = { ...process.env };
  private readonly children = new Set<ChildProcess>();
  private readonly registryDir: string | undefined;

  /** `dir`: where the scripts are; `name`: what the run calls itself in its messages (`keel demo`, `shippy`). */
  constructor(private readonly dir: string, private readonly name: string) {
    if (!this.env.MICRO_REGISTRY && !this.env.MICRO_REGISTRY_ADDRESS) {
      // A directory of this run's own, so that nodes of an earlier run killed with SIGKILL cannot answer.
      this.registryDir = mkdtempSync(join(tmpdir(), `keel-${name.replace(/^keel /, '').replace(/\W+/g, '-')}-`));
      this.env.MICRO_REGISTRY_ADDRESS = this.registryDir;
    }
  }

  /** `registry: local /tmp/keel-…`, for the first line a run prints. */
  get registry(): string {
    return `${this.env.MICRO_REGISTRY || 'local'} ${this.env.MICRO_REGISTRY_ADDRESS ?? ''}`;
  }

  /** Forks `script` (next to the run's own code) with the shared environment and an IPC channel. */
  start(script: string, args: string[] = []): ChildProcess {
    const child = fork(join(this.dir, script), args, { env: this.env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
    return child;
  }

  /** SIGTERM to every process still running (SIGKILL after 15 s), then the registry directory goes. */
  async shutdown(): Promise<void> {
    const all = [...this.children];
    for (const child of all) child.kill('SIGTERM');
    const force = setTimeout(() => all.forEach((c) => c.kill('SIGKILL')), 15_000);
    await Promise.all(all.map(exited));
    clearTimeout(force);
    if (this.registryDir) rmSync(this.registryDir, { recursive: true, force: true });
  }

  /** Runs `main` and exits with its code; Ctrl-C or SIGTERM stops everything first (exit 130), a failure too (exit 1). */
  run(main: () => Promise<number>): void {
    let interrupted = false;
    const interrupt = (): void => {
      if (interrupted) return;
      interrupted = true;
      console.log(`\n${this.name}: interrupted, stopping everything`);
      this.shutdown().finally(() => process.exit(130));
    };
    process.on('SIGINT', interrupt);
    process.on('SIGTERM', interrupt);
    main().then(
      (code) => process.exit(code),
      (err: Error) => {
        console.error(`${this.name} failed: ${err.message}`);
        this.shutdown().finally(() => process.exit(1));
      },
    );
  }
}
