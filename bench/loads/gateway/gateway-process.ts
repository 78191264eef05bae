// The API gateway in its own process for the gateway benchmark: `fork('gateway-process.js', [JSON { registryDir }])`.
// Sends `{ address }` over IPC once it listens, and exits when its parent goes away.
import { localRegistry } from '../../../src/index';
import { createGateway } from '../../../src/toolkit/index';

async function main(): Promise<void> {
  const { registryDir } = JSON.parse(process.argv[2] ?? '{}') as { registryDir: string };
  const registry = localRegistry({ dir: registryDir });
  const gateway = createGateway({ registry });
  const address = await gateway.listen('127.0.0.1:0');
  let stopping = false;
  const exit = (): void => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), 2000).unref();
    gateway.close().then(() => registry.close()).finally(() => process.exit(0));
  };
  process.on('disconnect', exit);
  process.on('SIGTERM', exit);
  process.on('SIGINT', exit);
  process.on('message', (message: unknown) => {
    if (message === 'cpu') process.send?.({ cpu: process.cpuUsage() });
  });
  process.send?.({ address });
}

main().catch((err: Error) => {
  console.error(`bench gateway failed: ${err.message}`);
  process.exit(1);
});
