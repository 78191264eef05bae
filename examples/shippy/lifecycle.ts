import type { KeelServer, TracingHandle } from '../../src/index';

/**
 * Starts a shippy service and stops it cleanly on SIGTERM, SIGINT or when the parent that forked it goes
 * away: `beforeStop` (end open streams, so the drain does not wait for them), then NOT_SERVING, deregister,
 * drain; then `afterStop` (close clients) and a flush of the spans. Tells a forking parent it is ready.
 */
export async function runService(
  label: string,
  server: KeelServer,
  traces: TracingHandle,
  hooks: { beforeStop?: () => void; afterStop?: () => void | Promise<void> } = {},
): Promise<void> {
  // Handlers first: a signal that arrives while starting must still deregister (stop waits for start).
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    hooks.beforeStop?.();
    server
      .stop()
      .then(() => hooks.afterStop?.())
      .then(() => traces.shutdown())
      .then(() => process.exit(0), (err: Error) => {
        console.error(`${label}: stop failed: ${err.message}`);
        process.exit(1);
      });
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  process.on('disconnect', stop);
  const { id, address } = await server.start(); // keel logs the node, its address and its registration
  process.send?.({ ready: true, id, address });
}

/** Runs `main`, printing a one-line failure and exiting 1 if it throws. */
export function launch(label: string, main: () => Promise<void>): void {
  main().catch((err: Error) => {
    console.error(`${label}: ${err.message}`);
    process.exit(1);
  });
}
