import type { Readable } from 'node:stream';
import { cancelled } from '../errors';
import { MessageQueue } from '../stream/message-queue';

/**
 * The requests of a client-streaming or bidi call, as the handler iterates them (bounded buffering, see
 * MessageQueue). It completes when the caller half-closes; it throws `cancelled` when the caller goes away.
 * A handler that stops iterating early only stops reading: the call goes on until the handler answers.
 */
export class RequestStream<T> extends MessageQueue<T> {
  constructor(source: Readable & { once(event: 'cancelled', listener: () => void): unknown }) {
    super(source);
    source.once('cancelled', () => {
      if (this.drained) return;
      this.error = cancelled('the caller cancelled the call or its deadline passed');
      this.drained = true;
      this.wake();
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.drained = true;
    this.source.pause();
    return Promise.resolve({ value: undefined, done: true });
  }
}
