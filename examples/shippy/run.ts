// `npm run example:shippy`: the whole of shippy on the embedded (local) registry, one process per program —
// vessel-service, consignment-service, a `consignment-cli watch` on the WatchConsignments stream, then
// consignment-cli with consignment.json — then everything stopped cleanly. Exits with the CLI's code.
// Ctrl-C stops every process it started.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { exited, Processes } from '../processes';

const run = new Processes(__dirname, 'shippy');
const start = run.start.bind(run);

/** Resolves when the service says it is registered and listening; rejects if it exits first. */
const ready = (child: ChildProcess, name: string): Promise<void> =>
  new Promise((resolve, reject) => {
    child.once('message', () => resolve());
    child.once('exit', (code) => reject(new Error(`${name} exited with code ${code} before it was ready`)));
  });

async function main(): Promise<number> {
  console.log(`shippy: starting vessel-service and consignment-service (registry: ${run.registry})`);
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
  await run.shutdown();
  return code;
}

run.run(main);
