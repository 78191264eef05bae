// A basis server process for the chaos suite: `node chaos-server.js`, registry directory in CHAOS_REGISTRY_DIR.
// Counts the calls that reach its handler (IPC `{ cmd: 'count' }`); `{ cmd: 'fail', value }` makes Hello answer
// UNAVAILABLE (a failing node that is up). SIGTERM stops it gracefully (deregister, drain).
import { status } from '@grpc/grpc-js';
import { adaptiveLimit, createServer, localRegistry, wrapHandler } from '../../src/index';
import { Basis } from '../../examples/basis/proto';

let fail = process.env.CHAOS_FAIL === '1';
let calls = 0;
// The README's recommended server stack.
const server = createServer({ name: 'basis', registry: localRegistry({ dir: process.env.CHAOS_REGISTRY_DIR as string }), wrap: wrapHandler(adaptiveLimit()) });
server.addService(Basis, {
  Hello: () => {
    calls++;
    if (fail) throw Object.assign(new Error('failing on purpose'), { code: status.UNAVAILABLE, details: 'failing on purpose' });
    return { msg: `Hello from ${server.id}` };
  },
});
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  server.stop().then(() => process.exit(0), () => process.exit(1));
};
process.on('SIGTERM', stop);
process.on('disconnect', stop); // never outlive the suite
process.on('message', (m: { cmd: string; value?: boolean }) => {
  if (m.cmd === 'count') process.send?.({ count: calls });
  else if (m.cmd === 'fail') {
    fail = m.value === true;
    process.send?.({ fail });
  }
});
server.start().then(({ id, address }) => process.send?.({ ready: true, id, address }), (err: Error) => {
  console.error(`chaos server failed: ${err.message}`);
  process.exit(1);
});
