import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

let benchDir = __dirname;

/** Where child processes' entry points are loaded from (a snapshot of dist/bench/orchestration; see snapshot.ts). */
export function useBenchDir(dir: string): void {
  benchDir = dir;
}

/** The directory child processes' entry points are loaded from (the snapshot's, once a run has set it). */
export function benchEntryDir(): string {
  return benchDir;
}

/**
 * Forks one of the bench's process entry points with an IPC channel, and resolves with its first
 * message. stdout is ignored (a child must not mix into the report); stderr is inherited.
 */
export function forkBench<T>(entry: string, args: string[], execArgv: string[], timeoutMs: number): Promise<{ child: ChildProcess; first: T }> {
  const child = fork(join(benchDir, entry), args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stopChild(child);
      reject(new Error(`${entry} ${args.join(' ')}: not ready within ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('message', (first: T) => {
      clearTimeout(timer);
      resolve({ child, first });
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${entry} ${args.join(' ')} exited before it was ready (${signal ?? code})`));
    });
  });
}

/** Asks a child to go (its IPC channel closes), then kills it by pid if it has not gone within `graceMs`. */
export function stopChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    if (child.connected) child.disconnect();
    else child.kill('SIGTERM');
  });
}
