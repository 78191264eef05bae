// A basis client: `node dist/examples/basis/client.js [count]`. Calls Hello and prints each reply.
import { createClient, isKeelError } from '../../src/index';
import { Basis } from './proto';

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 12);
  const basis = createClient(Basis, 'basis', { timeoutMs: 2000 });
  const nodes = new Set<string>();
  let failures = 0;
  for (let i = 1; i <= count; i++) {
    try {
      const { msg } = await basis.hello({ name: 'John' });
      nodes.add(/from (\S+)/.exec(msg)?.[1] ?? '?');
      console.log(`[${String(i).padStart(2)}] ${msg}`);
    } catch (err) {
      failures++;
      const reason = isKeelError(err) ? ` (${err.reason})` : '';
      console.log(`[${String(i).padStart(2)}] error: ${(err as Error).message}${reason}`);
    }
  }
  basis.close();
  console.log(`${count - failures} replies from ${nodes.size} node(s), ${failures} error(s)`);
  process.exitCode = failures > 0 ? 1 : 0;
}

main().catch((err: Error) => {
  console.error(`basis client failed: ${err.message}`);
  process.exit(1);
});
