import type { Readable } from 'node:stream';
import { cancelled } from '../errors';
import { MessageQueue } from '../stream/message-queue';

/**
 * The requests of a client-streaming or bidi call, as the handler iterates them (bounded buffering, see
 * MessageQueue). It completes when the caller half-closes; it throws `cancelled` when the caller goes away.
 * A handler that stops iterating early only stops reading: the call goes on until the handler answers.
 */
export class RequestStream<T> extends MessageQueue<T> {
  constructor(source: Readable & { once(event: 'cancelled', listener: () => void): unknown }, private readonly onCancelled: () => void) {
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
   * loop for the reset before saying the requests are complete (narrowing, not closing, that window).
   */
  protected override sourceEnded(): void {
    const call = (this.source as unknown as { call?: { checkCancelled?: () => boolean } }).call;
    if (typeof call?.checkCancelled === 'function' && call.checkCancelled()) this.cancelledByCaller();
    setImmediate(() => super.sourceEnded());
  }

  private cancelledByCaller(): void {
    if (this.error !== undefined) return;
    this.error = cancelled('the caller cancelled the call or its deadline passed');
    this.onCancelled();
  }

  return(): Promise<IteratorResult<T>> {
    this.drained = true;
    this.source.pause();
    return Promise.resolve({ value: undefined, done: true });
  }
}
