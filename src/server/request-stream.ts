import type { Readable } from 'node:stream';
import { MessageQueue } from '../stream/message-queue';
import { DEADLINE_SLACK_MS } from './caller-gone';

/** How long past its deadline a request stream that ended near it waits for grpc-js's deadline timer. */
const DEADLINE_GRACE_MS = 20;

/** The call's deadline in epoch ms (grpc-js's getDeadline), undefined when there is none. */
function deadlineOf(source: unknown): number | undefined {
  const get = (source as { getDeadline?: () => Date | number }).getDeadline;
  if (typeof get !== 'function') return undefined;
  const d = get.call(source);
  const at = d instanceof Date ? d.getTime() : d;
  return Number.isFinite(at) ? at : undefined;
}

/**
 * The requests of a client-streaming or bidi call, as the handler iterates them (bounded buffering, see
 * MessageQueue). It completes when the caller half-closes; when the caller goes away it throws what `onCancelled`
 * returns (the call's `deadline` or `cancelled` error).
 * A handler that stops iterating early only stops reading: the call goes on until the handler answers.
 */
export class RequestStream<T> extends MessageQueue<T> {
  constructor(source: Readable & { once(event: 'cancelled', listener: () => void): unknown }, private readonly onCancelled: () => Error) {
    super(source);
    source.once('cancelled', () => {
      if (this.drained) return;
      this.cancelledByCaller();
      this.drained = true;
      this.wake();
    });
  }

  /**
   * A caller that cancels can look, for a moment, like one that finished: grpc-js clients close a cancelled
   * stream with END_STREAM and then RST_STREAM, so the request stream ends first and 'cancelled' comes a
   * little later. Ask grpc-js's call whether the stream is reset already, and else wait a turn of the event
   * loop for the reset before saying the requests are complete (narrowing, not closing, that window). A
   * stream that ends within DEADLINE_SLACK_MS of its deadline is most likely the caller's deadline timer
   * firing: wait for the server's own deadline (a few ms past it) before calling the requests complete, so
   * the handler sees the deadline instead of answering a caller that has gone.
   */
  protected override sourceEnded(): void {
    const call = (this.source as unknown as { call?: { checkCancelled?: () => boolean } }).call;
    if (typeof call?.checkCancelled === 'function' && call.checkCancelled()) this.cancelledByCaller();
    const deadline = deadlineOf(this.source);
    const left = deadline === undefined ? Infinity : deadline - Date.now();
    if (this.error === undefined && left <= DEADLINE_SLACK_MS) setTimeout(() => super.sourceEnded(), Math.max(0, left) + DEADLINE_GRACE_MS);
    else setImmediate(() => super.sourceEnded());
  }

  private cancelledByCaller(): void {
    if (this.error !== undefined) return;
    this.error = this.onCancelled();
  }

  return(): Promise<IteratorResult<T>> {
    this.drained = true;
    this.source.pause();
    return Promise.resolve({ value: undefined, done: true });
  }
}
