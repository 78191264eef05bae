// `npm start`: three basis servers in their own processes, found through the embedded local registry,
// and a client calling Hello through rateLimit and the recommended stack (retry, roundRobin, a per-node
// breaker, a per-attempt timeout, tracing) until it has 30 replies; a third of the way the server round
// robin goes to next is killed: that call is retried on another node, and the registry drops the node
// (local: its pid is gone; Consul: its circuit ejects it until the TTL). Ctrl-C stops everything.
import type { ChildProcess } from 'node:child_process';
import { exited, Processes } from '../processes';

const SERVERS = 3;
const run = new Processes(__dirname, 'keel demo');
const start = run.start.bind(run);

async function main(): Promise<number> {
  console.log(`keel demo: starting ${SERVERS} basis servers (registry: ${run.registry})`);
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
  await run.shutdown();
  return code;
}

run.run(main);
