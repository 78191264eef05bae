// Requests and replies between a scenario's orchestrator and its server and client processes (Node's IPC channel,
// plain JSON): `ask` sends `{ id, request }` and waits for `{ id, result | error }`; anything else a child sends
// (`{ event }`) goes to its event listener. Every process and every wait is bounded.
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

interface Reply {
  id: number;
  result?: unknown;
  error?: string;
}

/** The parent's side of one child process. */
export class Child {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private listener: ((event: unknown) => void) | undefined;

  private constructor(readonly name: string, readonly process: ChildProcess) {
    process.on('message', (m: Reply | { event: unknown }) => {
      if ('event' in m) {
        this.listener?.(m.event);
        return;
      }
      const waiter = this.pending.get(m.id);
      if (waiter === undefined) return;
      this.pending.delete(m.id);
      clearTimeout(waiter.timer);
      if (m.error !== undefined) waiter.reject(new Error(`${name}: ${m.error}`));
      else waiter.resolve(m.result);
    });
    process.on('error', () => undefined); // a send to a process that has gone: the wait's timeout or the exit answers
    process.on('exit', (code, signal) => {
      for (const [id, waiter] of this.pending) {
        this.pending.delete(id);
        clearTimeout(waiter.timer);
        waiter.reject(new Error(`${name} exited (${signal ?? code})`));
      }
    });
  }

  /** Forks `entry` (relative to `dir`) and waits for its first message, `{ ready }`, for at most `timeoutMs`. */
  static async start<T>(dir: string, entry: string, args: string[], timeoutMs = 30_000): Promise<{ child: Child; ready: T }> {
    const child = fork(join(dir, entry), args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const ready = await new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`${entry}: not ready within ${timeoutMs} ms`));
      }, timeoutMs);
      child.once('message', (m: { ready: T }) => {
        clearTimeout(timer);
        resolve(m.ready);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${entry} exited before it was ready (${signal ?? code})`));
      });
    });
    return { child: new Child(entry, child), ready };
  }

  onEvent(listener: (event: unknown) => void): void {
    this.listener = listener;
  }

  /** Sends a request; rejects after `timeoutMs` (and then kills the child: a stuck child must not hold a run). */
  ask<T>(request: object, timeoutMs = 10_000): Promise<T> {
    if (!this.process.connected) return Promise.reject(new Error(`${this.name} is not running`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: no answer to ${JSON.stringify(request).slice(0, 80)} within ${timeoutMs} ms`));
        this.process.kill('SIGKILL');
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.process.send({ id, request });
    });
  }

  /** Disconnects (the child exits when its parent goes), and kills it if it is still there after `graceMs`. */
  stop(graceMs = 3000): Promise<void> {
    const p = this.process;
    if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => p.kill('SIGKILL'), graceMs);
      p.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      p.kill('SIGCONT'); // in case a scenario stopped it
      if (p.connected) p.disconnect();
      else p.kill('SIGTERM');
    });
  }
}

/** The child's side: answers each request with `handle`'s result; exits when the parent goes away. */
export function answer(handle: (request: unknown) => Promise<unknown> | unknown, onDisconnect: () => void): void {
  process.on('message', (m: { id: number; request: unknown }) => {
    Promise.resolve()
      .then(() => handle(m.request))
      .then((result) => process.send?.({ id: m.id, result }), (err: Error) => process.send?.({ id: m.id, error: err.message ?? String(err) }));
  });
  process.on('disconnect', onDisconnect);
}

/** The child's side: tells the parent something happened (not an answer). */
export function emit(event: unknown): void {
  process.send?.({ event });
}
