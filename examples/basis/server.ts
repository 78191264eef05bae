// A basis server: `node dist/examples/basis/server.js`. Replies "Hello <name> from <node id> (<address>)".
// Configured like a go-micro service: MICRO_REGISTRY, MICRO_REGISTRY_ADDRESS, MICRO_SERVER_ADDRESS.
import { createServer, tracing, wrapHandler, type KeelServer } from '../../src/index';
import { Basis, type HelloRequest, type HelloResponse } from './proto';
import { setupTracing } from './tracing-setup';

export function basisServer(options: { name?: string; address?: string } = {}): KeelServer {
  const server = createServer({
    name: options.name ?? 'basis',
    wrap: wrapHandler(tracing()),
    ...(options.address ? { address: options.address } : {}),
  });
  let address = '';
  server.addService(Basis, {
    Hello: ({ name }: HelloRequest): HelloResponse => ({ msg: `Hello ${name} from ${server.id} (${address})` }),
  });
  const start = server.start.bind(server);
  return Object.assign(server, {
    start: async () => {
      const started = await start();
      address = started.address;
      return started;
    },
  });
}

async function main(): Promise<void> {
  const traces = setupTracing('basis');
  const server = basisServer();
  // Handlers first: a signal that arrives while starting must still deregister (stop waits for start).
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    traces.forceFlush().catch(() => undefined); // the spans so far, now: draining may outlast whoever sent the signal
    server.stop().then(() => traces.shutdown()).then(() => process.exit(0), () => process.exit(1));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('disconnect', stop); // the parent (the demo) went away: never outlive it
  const { id, address } = await server.start();
  console.log(`basis server ${id} listening on ${address}`);
  process.send?.({ ready: true, id, address });
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(`basis server failed: ${err.message}`);
    process.exit(1);
  });
}
