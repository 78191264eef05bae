import type { Flags } from './flags';
import { positiveFlag } from './flag-values';
import { UsageError } from './usage-error';

// What `keel api` and `keel mcp` share: both build a gateway from flags, listen, and serve until Ctrl-C.

/** `--rate` as a gateway's `rateLimit` option (nothing when not given: unlimited). */
export function rateOption(flags: Flags): { rateLimit?: { ratePerSecond: number } } {
  const rate = positiveFlag(flags, 'rate');
  return rate === undefined ? {} : { rateLimit: { ratePerSecond: rate } };
}

/**
 * A gateway option refused at construction (RangeError/TypeError from `factory`, e.g. `createGateway`), as the
 * usage error of the flag that set it; anything else unchanged.
 */
export function asUsageError(err: unknown, factory: string): unknown {
  if (!(err instanceof RangeError || err instanceof TypeError)) return err;
  return new UsageError(err.message.replace(`${factory}: allowedOrigins`, '--allow_origin').replace(/^bearerToken: the token/, '--token')
    .replace(`${factory}: `, ''));
}

/** Listens on `address`; an address that is not one is a usage error naming `--address`. */
export async function listenOn(gateway: { listen(address: string): Promise<string> }, address: string): Promise<string> {
  try {
    return await gateway.listen(address);
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(`--address: ${err.message}`);
    throw err;
  }
}

/** Resolves when `signal` aborts (Ctrl-C, SIGTERM), at once if it has. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
