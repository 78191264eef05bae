import { status as grpcStatus, type ClientReadableStream, type ServiceError, type StatusObject } from '@grpc/grpc-js';
import type { EndListener } from '../call/contract';
import { cancelled, fromServiceError } from '../errors';
import { MessageQueue } from '../stream/message-queue';
import { fire, STREAM_END, type EndObservable } from '../call/end-event';
import type { StreamHooks } from '../call/context';


/**
 * The responses of a server-streaming or bidi call, as an async iterable with bounded buffering (see
 * MessageQueue). Leaving the loop early (`break`, a throw) cancels the call. It ends, for `onEnd`
 * listeners, when the final status arrives.
 */
export class ResponseStream<T> extends MessageQueue<T> implements EndObservable {
  private ended = false;
  private readonly listeners: EndListener[] = [];
  /** Why the call was cancelled from this side, when it was: the error it ends with instead of CANCELLED. */
  private abortedWith: unknown = undefined;

  constructor(
    private readonly call: ClientReadableStream<T>,
    private readonly signal: AbortSignal | undefined,
    hooks: StreamHooks,
    private readonly onStatus: () => void,
  ) {
    super(call);
    call.on('error', (err: ServiceError) => {
      this.error = this.mapError(err);
      this.flow(); // messages that came before the error are still handed out
    });
    if (hooks.onHeader !== undefined) call.on('metadata', hooks.onHeader);
    call.on('status', (status: StatusObject) => {
      this.onStatus();
      if (hooks.onTrailer !== undefined) hooks.onTrailer(status.metadata);
      this.end(status.code === grpcStatus.OK ? undefined : this.error);
    });
  }

  /** Cancels the call; the consumer and the end listeners see `error`. */
  abort(error: unknown): void {
    if (this.ended) return;
    this.abortedWith = error;
    this.call.cancel();
  }

  [STREAM_END](listener: EndListener): void {
    if (this.ended) listener(this.error);
    else this.listeners.push(listener);
  }

  /**
   * The consumer left the loop: cancel the call unless it is over. Resolves once the call has ended (a
   * cancel ends it locally, at once), so that what the call held — a breaker's place, the channel — is free.
   */
  return(): Promise<IteratorResult<T>> {
    const done: IteratorResult<T> = { value: undefined, done: true };
    if (this.ended) return Promise.resolve(done);
    if (!this.drained) this.abort(cancelled('the consumer stopped reading the response stream'));
    return new Promise((resolve) => this[STREAM_END](() => resolve(done)));
  }

  /** The status is known and every message grpc-js still held was handed out. */
  protected override finished(): boolean {
    return this.drained || (this.ended && this.call.readableLength === 0);
  }

  private end(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.error = error;
    fire(this.listeners, error);
    this.wake();
  }

  private mapError(err: ServiceError): unknown {
    if (err.code === grpcStatus.CANCELLED) {
      if (this.abortedWith !== undefined) return this.abortedWith;
      if (this.signal?.aborted) return cancelled();
    }
    return fromServiceError(err);
  }
}
