// `npm start`: three basis servers in their own processes, found through the embedded local registry,
// and a client calling Hello through rateLimit and the recommended stack (retry, roundRobin, a per-node
// breaker, a per-attempt timeout, tracing) until it has 30 replies; a third of the way the server round
// robin goes to next is killed: that call is retried on another node, and the registry drops the node
// (local: its pid is gone; Consul: its circuit ejects it until the TTL). Ctrl-C stops everything.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SERVERS = 3;
const children = new Set<ChildProcess>();
const env = { ...process.env };
let registryDir: string | undefined;
if (!env.MICRO_REGISTRY && !env.MICRO_REGISTRY_ADDRESS) {
  // A directory of this run's own, so that nodes of an earlier run killed with SIGKILL cannot answer.
  registryDir = mkdtempSync(join(tmpdir(), 'keel-demo-'));
  env.MICRO_REGISTRY_ADDRESS = registryDir;
}

function start(script: string, args: string[] = []): ChildProcess {
  const child = fork(join(__dirname, script), args, { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

const exited = (child: ChildProcess): Promise<number> =>
  child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code ?? 1)));

async function shutdown(): Promise<void> {
  const all = [...children];
  for (const child of all) child.kill('SIGTERM');
  const force = setTimeout(() => all.forEach((c) => c.kill('SIGKILL')), 15_000);
  await Promise.all(all.map(exited));
  clearTimeout(force);
  if (registryDir) rmSync(registryDir, { recursive: true, force: true });
}

async function main(): Promise<number> {
  console.log(`keel demo: starting ${SERVERS} basis servers (registry: ${env.MICRO_REGISTRY || 'local'} ${env.MICRO_REGISTRY_ADDRESS ?? ''})`);
  const servers = Array.from({ length: SERVERS }, () => start('server.js'));
  const ids = new Map<ChildProcess, string>();
  await Promise.all(servers.map((child) => new Promise<void>((resolve, reject) => {
    child.once('message', (m: { id?: string }) => {
      if (typeof m?.id === 'string') ids.set(child, m.id);
      resolve();
    });
    child.once('exit', (code) => reject(new Error(`a basis server exited with code ${code} before it was ready`)));
  })));
  console.log('keel demo: calling Hello through rateLimit(10/s), retry, roundRobin, a per-node breaker, timeout(1000) and tracing');
  const client = start('client.js', ['30']);
  client.on('message', (m: { crash?: string }) => {
    // The client asks for a crash mid-run: kill that server (the next in its rotation) the hard way, as a crash.
    const victim = servers.find((s) => s.exitCode === null && ids.get(s) === m.crash) ?? servers.find((s) => s.exitCode === null);
    if (victim === undefined) return client.send({ crashed: false });
    victim.once('exit', () => client.send({ crashed: true }));
    victim.kill('SIGKILL');
  });
  const code = await exited(client);
  console.log('keel demo: stopping the servers');
  await shutdown();
  return code;
}

let interrupted = false;
const interrupt = (): void => {
  if (interrupted) return;
  interrupted = true;
  console.log('\nkeel demo: interrupted, stopping everything');
  shutdown().finally(() => process.exit(130));
};
process.on('SIGINT', interrupt);
process.on('SIGTERM', interrupt);

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`keel demo failed: ${err.message}`);
    shutdown().finally(() => process.exit(1));
  },
);
