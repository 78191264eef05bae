/** Resolves after `ms`, or rejects with `onAbort()` when `signal` aborts first. */
export function sleep(ms: number, signal: AbortSignal | undefined, onAbort: () => unknown): Promise<void> {
  if (ms <= 0) return signal?.aborted ? Promise.reject(onAbort()) : Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(onAbort());
    const abort = (): void => {
      clearTimeout(timer);
      reject(onAbort());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', abort, { once: true });
  });
}
