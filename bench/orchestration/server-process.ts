// A Hello server (and the streaming benchmark's Flood) in its own process: `fork('server-process.js', [JSON spec])`. It sends `{ address }` over
// IPC once it is listening (and registered, for keel servers) and exits when its parent goes away.
import { Server, ServerCredentials, type sendUnaryData, type ServerUnaryCall } from '@grpc/grpc-js';
import { createServer, initTracing, localRegistry, rateLimit, tracing, wrapHandler, type HandlerWrapper } from '../../src/index';
import { Basis, type HelloRequest, type HelloResponse } from '../../examples/basis/proto';
import { noopExporter } from '../stacks/noop-exporter';
import { activateContextManager } from '../stacks/context-manager';
import type { HandlerWrap, ServerReady, ServerSpec } from '../shared/protocol';
import { HIGH_RATE } from '../stacks/rates';
import { addGrpcFlood, addKeelFlood } from '../loads/streams/server';

const hello = ({ name }: HelloRequest): HelloResponse => ({ msg: `Hello ${name}` });

function handlerWrappers(wrap: HandlerWrap): HandlerWrapper | undefined {
  switch (wrap) {
    case 'none':
      return undefined;
    case 'rateLimit':
      return wrapHandler(rateLimit(HIGH_RATE));
    case 'tracing':
      return wrapHandler(tracing());
    case 'rateLimit+tracing':
      return wrapHandler(rateLimit(HIGH_RATE), tracing());
  }
}

async function startKeel(spec: ServerSpec): Promise<{ address: string; stop: () => Promise<void> }> {
  if (spec.wrap.includes('tracing')) initTracing({ serviceName: `${spec.service}-server`, exporter: noopExporter });
  else activateContextManager(); // as an application with tracing has it: every server alike
  const wrap = handlerWrappers(spec.wrap);
  const server = createServer({
    name: spec.service,
    registry: localRegistry({ dir: spec.registryDir }),
    address: '127.0.0.1:0',
    drainDelayMs: 0,
    graceMs: 1000,
    ...(wrap ? { wrap } : {}),
  });
  server.addService(Basis, { Hello: hello });
  addKeelFlood(server);
  const { address } = await server.start();
  return { address, stop: () => server.stop() };
}

async function startGrpc(): Promise<{ address: string; stop: () => Promise<void> }> {
  activateContextManager(); // as an application with tracing has it: every server alike
  const server = new Server();
  server.addService(Basis.service as never, {
    Hello: (call: ServerUnaryCall<HelloRequest, HelloResponse>, callback: sendUnaryData<HelloResponse>) => callback(null, hello(call.request)),
  });
  addGrpcFlood(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))));
  return { address: `127.0.0.1:${port}`, stop: () => new Promise((resolve) => server.tryShutdown(() => resolve())) };
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as ServerSpec;
  const { address, stop } = spec.kind === 'keel' ? await startKeel(spec) : await startGrpc();
  let stopping = false;
  const exit = (): void => {
    if (stopping) return;
    stopping = true;
    // Bounded: a stop that hangs must not keep the process alive.
    setTimeout(() => process.exit(0), 2000).unref();
    stop().finally(() => process.exit(0));
  };
  process.on('disconnect', exit);
  process.on('SIGTERM', exit);
  process.on('SIGINT', exit);
  // The orchestrator asks for this process's CPU time around each load run (handler-side cost per call).
  process.on('message', (message: unknown) => {
    if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
  });
  const ready: ServerReady = { address };
  process.send?.(ready);
}

main().catch((err: Error) => {
  console.error(`bench server failed: ${err.message}`);
  process.exit(1);
});
