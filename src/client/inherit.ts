import type { InboundCall } from '../inbound';

/** A call's deadline and signal once the inbound call's are folded in. */
export interface Inherited {
  deadline: number | undefined;
  signal: AbortSignal | undefined;
  /** Removes the listeners a combined signal put on its sources: call it when the call ends. */
  release: (() => void) | undefined;
}

/**
 * Folds the inbound call's deadline and cancellation into an outbound call's, as a Go child `ctx` does: the
 * deadline is the earlier of the two (a call's own `timeoutMs` / `deadline` can shorten the inbound one,
 * never extend it), and the call is cancelled when either signal aborts. Without a signal of its own the call
 * takes the inbound signal as it is: nothing is allocated and the call's usual listener (removed when the
 * call ends) is the only one added. With both, one controller follows the two, and `release` unhooks it.
 */
export function inherit(deadline: number | undefined, signal: AbortSignal | undefined, from: InboundCall): Inherited {
  const inbound = from.deadline;
  if (inbound !== undefined && (deadline === undefined || inbound < deadline)) deadline = inbound;
  const theirs = from.signal;
  if (signal === undefined || signal === theirs) return { deadline, signal: theirs, release: undefined };
  if (signal.aborted) return { deadline, signal, release: undefined };
  if (theirs.aborted) return { deadline, signal: theirs, release: undefined };
  return { deadline, ...either(signal, theirs) };
}

/** A signal that aborts (with the first one's reason) when `a` or `b` does; `release` removes its listeners. */
function either(a: AbortSignal, b: AbortSignal): { signal: AbortSignal; release: () => void } {
  const controller = new AbortController();
  const release = (): void => {
    a.removeEventListener('abort', onA);
    b.removeEventListener('abort', onB);
  };
  function onA(): void {
    release();
    controller.abort(a.reason);
  }
  function onB(): void {
    release();
    controller.abort(b.reason);
  }
  a.addEventListener('abort', onA);
  b.addEventListener('abort', onB);
  return { signal: controller.signal, release };
}
