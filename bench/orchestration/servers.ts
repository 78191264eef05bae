import type { ChildProcess } from 'node:child_process';
import { forkBench, stopChild } from './processes';
import type { ServerReady, ServerSpec } from '../shared/protocol';

export interface ServerHandle {
  spec: ServerSpec;
  address: string;
  child: ChildProcess;
  /** The server process's CPU time so far, µs (user + system), from process.cpuUsage() in it. */
  cpuUs(): Promise<number>;
  stop(): Promise<void>;
}

function askCpu(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.off('message', onMessage);
      reject(new Error('the server did not report its CPU time within 5 s'));
    }, 5000);
    const onMessage = (message: { cpu?: NodeJS.CpuUsage }): void => {
      if (message?.cpu === undefined) return;
      clearTimeout(timer);
      child.off('message', onMessage);
      resolve(message.cpu.user + message.cpu.system);
    };
    child.on('message', onMessage);
    child.send('cpu');
  });
}

/** Starts a Hello server in its own process; resolves once it listens (and, for keel, is registered). */
export async function startServer(spec: ServerSpec): Promise<ServerHandle> {
  const { child, first } = await forkBench<ServerReady>('server-process.js', [JSON.stringify(spec)], [], 20_000);
  return { spec, address: first.address, child, cpuUs: () => askCpu(child), stop: () => stopChild(child) };
}

export async function startServers(specs: ServerSpec[]): Promise<ServerHandle[]> {
  const settled = await Promise.allSettled(specs.map(startServer));
  const started = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) {
    await Promise.all(started.map((s) => s.stop()));
    throw failed.reason;
  }
  return started;
}
