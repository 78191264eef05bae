// `npm run example:shippy`: the whole of shippy on the embedded (local) registry, one process per program —
// vessel-service, consignment-service, a `consignment-cli watch` on the WatchConsignments stream, then
// consignment-cli with consignment.json — then everything stopped cleanly. Exits with the CLI's code.
// Ctrl-C stops every process it started.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const children = new Set<ChildProcess>();
const env = { ...process.env };
let registryDir: string | undefined;
if (!env.MICRO_REGISTRY && !env.MICRO_REGISTRY_ADDRESS) {
  // A registry directory of this run's own: nodes of an earlier run killed with SIGKILL cannot answer.
  registryDir = mkdtempSync(join(tmpdir(), 'keel-shippy-'));
  env.MICRO_REGISTRY_ADDRESS = registryDir;
}

function start(script: string, args: string[] = []): ChildProcess {
  const child = fork(join(__dirname, script), args, { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

const exited = (child: ChildProcess): Promise<number> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve(child.exitCode ?? 1)
    : new Promise((resolve) => child.once('exit', (code) => resolve(code ?? 1)));

/** Resolves when the service says it is registered and listening; rejects if it exits first. */
const ready = (child: ChildProcess, name: string): Promise<void> =>
  new Promise((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${name} exited with code ${code} before it was ready`)));
  });

async function shutdown(): Promise<void> {
  const all = [...children];
  for (const child of all) child.kill('SIGTERM');
  const force = setTimeout(() => all.forEach((c) => c.kill('SIGKILL')), 15_000);
  await Promise.all(all.map(exited));
  clearTimeout(force);
  if (registryDir) rmSync(registryDir, { recursive: true, force: true });
}

async function main(): Promise<number> {
  console.log(`shippy: starting vessel-service and consignment-service (registry: ${env.MICRO_REGISTRY || 'local'} ${env.MICRO_REGISTRY_ADDRESS ?? ''})`);
  await Promise.all([ready(start('vessel-service.js'), 'vessel-service'), ready(start('consignment-service.js'), 'consignment-service')]);
  console.log('shippy: consignment-cli watch');
  const watcher = start('consignment-cli.js', ['watch']);
  const seen = new Set<string>();
  watcher.on('message', (m: { seen?: string }) => m.seen && seen.add(m.seen));
  await ready(watcher, 'consignment-cli watch');
  const file = join(__dirname, '..', '..', '..', 'examples', 'shippy', 'consignment.json');
  console.log('shippy: consignment-cli examples/shippy/consignment.json');
  const cli = start('consignment-cli.js', [file]);
  let created: string | undefined;
  cli.on('message', (m: { created?: string }) => (created = m.created ?? created));
  const code = await exited(cli);
  // The stream's copy may arrive just after the CLI's reply: give it a moment, bounded.
  for (let waited = 0; created !== undefined && !seen.has(created) && waited < 2000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  console.log(`shippy: consignment-cli exited with ${code}; stopping the watcher and the services`);
  await shutdown();
  return code;
}

let interrupted = false;
const interrupt = (): void => {
  if (interrupted) return;
  interrupted = true;
  console.log('\nshippy: interrupted, stopping everything');
  shutdown().finally(() => process.exit(130));
};
process.on('SIGINT', interrupt);
process.on('SIGTERM', interrupt);

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`shippy failed: ${err.message}`);
    shutdown().finally(() => process.exit(1));
  },
);
