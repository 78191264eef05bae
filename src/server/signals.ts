import { toLog, type Logger } from './logger';

export interface StopOnSignalsOptions {
  /** Default `['SIGTERM', 'SIGINT']`: what Kubernetes, systemd, Docker and Ctrl-C send. */
  signals?: NodeJS.Signals[];
  /** Exit the process once every server has stopped (code 0; 1 if a stop failed). Default true. */
  exit?: boolean;
  /** Default `console`; `false` for silence. */
  logger?: Logger | false;
}

/**
 * Stops `servers` gracefully on SIGTERM / SIGINT: each goes NOT_SERVING at once, deregisters, drains its
 * in-flight calls (up to its `graceMs`), and then the process exits 0. A second signal while stopping exits
 * at once (code 1), as an impatient operator expects. Returns a function that removes the handlers.
 * @example
 * await server.start();
 * stopOnSignals(server);
 */
export function stopOnSignals(servers: { stop(): Promise<void> } | readonly { stop(): Promise<void> }[], options: StopOnSignalsOptions = {}): () => void {
  const list = Array.isArray(servers) ? [...servers] : [servers as { stop(): Promise<void> }];
  for (const s of list) if (typeof s?.stop !== 'function') throw new TypeError('stopOnSignals: servers must be keel servers (with stop())');
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  if (!Array.isArray(signals) || signals.length === 0 || !signals.every((s) => typeof s === 'string' && s.startsWith('SIG'))) {
    throw new TypeError(`stopOnSignals: signals must be a non-empty array of signal names like 'SIGTERM', got ${String(signals)}`);
  }
  const exit = options.exit ?? true;
  const log = toLog(options.logger, 'stopOnSignals');
  let stopping = false;
  const remove = (): void => {
    for (const signal of signals) process.removeListener(signal, onSignal);
  };
  function onSignal(signal: NodeJS.Signals): void {
    if (stopping) {
      log('warn', `keel: ${signal} again while stopping: exiting now`, { signal });
      process.exit(1);
    }
    stopping = true;
    log('info', `keel: ${signal}: stopping ${list.length} server${list.length === 1 ? '' : 's'}`, { signal });
    void Promise.allSettled(list.map((s) => s.stop())).then((results) => {
      const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      for (const f of failed) log('error', `keel: stop failed on ${signal}: ${(f.reason as Error)?.message}`, { err: f.reason });
      if (exit) process.exit(failed.length === 0 ? 0 : 1);
      remove();
    });
  }
  for (const signal of signals) process.on(signal, onSignal);
  return remove;
}
