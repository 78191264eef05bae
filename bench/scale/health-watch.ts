// What client-side health checking (gRPC A17: one grpc.health.v1 Watch stream per node) would cost keel:
// opens WATCHES Watch streams on one keel server over one channel and reports heap and time per stream,
// and how long one status change takes to reach all of them. Run: node --expose-gc dist/bench/scale/health-watch.js
import { credentials, loadPackageDefinition, type GrpcObject, type ServiceClientConstructor } from '@grpc/grpc-js';
import { createServer, memoryRegistry } from '../../src/index';
import { healthPackage } from '../../src/server/health-proto';
import { Items } from '../../test/support/items';

const WATCHES = Number(process.argv[2] ?? 1000);
const Health = (((loadPackageDefinition(healthPackage).grpc as GrpcObject).health as GrpcObject).v1 as GrpcObject).Health as ServiceClientConstructor;

const heap = (): number => {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
};

async function main(): Promise<void> {
  const server = createServer({ name: 'items', registry: memoryRegistry(), logger: false, drainDelayMs: 0 });
  server.addService(Items, {});
  const { address } = await server.start();
  const client = new Health(address, credentials.createInsecure()) as unknown as { Watch(r: object): NodeJS.EventEmitter & { cancel(): void }; close(): void };
  // Warm the connection and the code paths.
  const warm = client.Watch({ service: '' });
  warm.on('error', () => undefined); // CANCELLED at the end
  await new Promise((r) => warm.once('data', r));
  const before = heap();
  const t0 = process.hrtime.bigint();
  let first = 0;
  let flips = 0;
  const allFirst = new Promise<void>((resolve) => {
    const streams = Array.from({ length: WATCHES }, () => {
      const s = client.Watch({ service: 'items.Items' });
      s.on('data', () => {
        if (++first === WATCHES) resolve();
        else if (first > WATCHES) flips++;
      });
      s.on('error', () => undefined);
      return s;
    });
    (globalThis as { streams?: unknown }).streams = streams;
  });
  await allFirst;
  const openMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const after = heap();
  const t1 = process.hrtime.bigint();
  server.setStatus('items.Items', 'NOT_SERVING');
  while (flips < WATCHES - 1) await new Promise((r) => setImmediate(r));
  const flipMs = Number(process.hrtime.bigint() - t1) / 1e6;
  console.log(JSON.stringify({
    watches: WATCHES,
    openMsTotal: Math.round(openMs),
    openMsPerWatch: +(openMs / WATCHES).toFixed(3),
    heapBytesPerWatch: Math.round((after - before) / WATCHES),
    flipToAllMs: +flipMs.toFixed(1),
    node: process.version,
  }));
  for (const s of (globalThis as { streams?: { cancel(): void }[] }).streams ?? []) s.cancel();
  warm.cancel();
  client.close();
  await server.stop();
}

void main();
