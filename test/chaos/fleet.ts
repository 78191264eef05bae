import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One basis server process of the chaos suite. */
export interface Member {
  readonly child: ChildProcess;
  readonly id: string;
  readonly address: string;
  /** Calls that reached its handler so far. */
  count(): Promise<number>;
  setFailing(value: boolean): Promise<void>;
}

/** Real server processes on loopback sharing a throwaway local-registry directory. */
export class Fleet {
  readonly dir = mkdtempSync(join(tmpdir(), 'keel-chaos-'));
  readonly members: Member[] = [];
  private readonly all = new Set<ChildProcess>();

  async start(options: { failing?: boolean } = {}): Promise<Member> {
    const child = fork(join(__dirname, 'chaos-server.js'), [], {
      env: { ...process.env, CHAOS_REGISTRY_DIR: this.dir, CHAOS_FAIL: options.failing ? '1' : '0' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.all.add(child);
    child.once('exit', () => this.all.delete(child));
    const ready = await new Promise<{ id: string; address: string }>((resolve, reject) => {
      child.once('message', (m: { id: string; address: string }) => resolve(m));
      child.once('exit', (code) => reject(new Error(`a chaos server exited (${code}) before it was ready`)));
    });
    const ask = <T>(message: object): Promise<T> => new Promise((resolve) => {
      child.once('message', (m: T) => resolve(m));
      child.send(message);
    });
    const member: Member = {
      child, ...ready,
      count: async () => (await ask<{ count: number }>({ cmd: 'count' })).count,
      setFailing: async (value) => void (await ask({ cmd: 'fail', value })),
    };
    this.members.push(member);
    return member;
  }

  /** Sends `signal`; for SIGKILL and SIGTERM, resolves once the process has exited. */
  async signal(member: Member, signal: NodeJS.Signals): Promise<void> {
    const child = member.child;
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = signal === 'SIGKILL' || signal === 'SIGTERM' ? new Promise((r) => child.once('exit', r)) : undefined;
    child.kill(signal);
    await exited;
  }

  async stop(): Promise<void> {
    for (const child of this.all) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
    await Promise.all([...this.all].map((c) => (c.exitCode !== null || c.signalCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
