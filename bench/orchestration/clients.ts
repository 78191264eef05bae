import type { ChildProcess } from 'node:child_process';
import { forkBench, stopChild } from './processes';
import type { Job, JobReply, JobRequest } from '../shared/protocol';

/** A client process (client-process.ts) running one configuration; jobs go one at a time. */
export class ClientProcess {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();

  private constructor(readonly name: string, private readonly child: ChildProcess) {
    child.on('message', (reply: JobReply) => {
      const waiter = this.pending.get(reply.id);
      if (waiter === undefined) return;
      this.pending.delete(reply.id);
      clearTimeout(waiter.timer);
      if ('error' in reply) waiter.reject(new Error(`${name}: ${reply.error}`));
      else waiter.resolve(reply.result);
    });
    child.on('error', () => undefined); // a send to a process that has gone: the job's timeout or exit handler answers
    child.on('exit', (code, signal) => {
      for (const [id, waiter] of this.pending) {
        this.pending.delete(id);
        clearTimeout(waiter.timer);
        waiter.reject(new Error(`client process ${name} exited (${signal ?? code})`));
      }
    });
  }

  /** `execArgv` e.g. `--cpu-prof` for profiling, `--expose-gc` for memory figures. */
  static async start(name: string, execArgv: string[] = []): Promise<ClientProcess> {
    const { child } = await forkBench<{ ready: true }>('client-process.js', [name], execArgv, 30_000);
    return new ClientProcess(name, child);
  }

  /** Runs a job; rejects if it takes longer than `timeoutMs` (then the process is stopped: bounded). */
  run<T>(job: Job, timeoutMs: number): Promise<T> {
    const id = this.nextId++;
    if (!this.child.connected) return Promise.reject(new Error(`client process ${this.name} is not running`));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: ${job.kind} job took longer than ${timeoutMs} ms`));
        void stopChild(this.child);
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.child.send({ id, job } satisfies JobRequest);
    });
  }

  stop(): Promise<void> {
    return stopChild(this.child);
  }
}
