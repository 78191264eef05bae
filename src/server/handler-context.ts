import { Metadata } from '@grpc/grpc-js';
import type { CallKind, EndListener, HandlerContext } from '../call/contract';
import { fire } from '../call/end-event';
import type { KeelError } from '../errors';
import { callerGone } from './caller-gone';

/** The grpc-js server call, whatever its kind: what the context reads from it. */
interface IncomingCall {
  readonly metadata: Metadata;
  readonly cancelled: boolean;
  getDeadline(): Date | number;
  getPeer(): string;
  once(event: 'cancelled', listener: () => void): unknown;
}

/**
 * The context of one incoming call. The abort signal and the header/trailer metadata are made only if a
 * handler asks for them, but the signal reflects a cancellation that happened before that.
 */
export class ServerCallContext implements HandlerContext {
  private controller: AbortController | undefined;
  private wasCancelled = false;
  private goneError: KeelError | undefined;
  private headerMetadata: Metadata | undefined;
  private trailerMetadata: Metadata | undefined;
  private listeners: EndListener[] | undefined;
  private ended = false;

  constructor(
    readonly service: string,
    readonly nodeId: string,
    readonly method: string,
    readonly kind: CallKind,
    private readonly call: IncomingCall,
  ) {
    // grpc-js also says 'cancelled' once a call's status has been sent: only a call not over yet is cancelled.
    call.once('cancelled', () => this.cancel());
  }

  /**
   * The caller went away: abort the handler's signal (unless the call was over already) with the reason,
   * a KeelError `deadline` or `cancelled` (see `whyGone`).
   */
  cancel(): void {
    if (this.ended || this.wasCancelled) return;
    this.wasCancelled = true;
    const why = this.whyGone();
    this.controller?.abort(why);
  }

  /** Why the caller went away, decided once when it did: DEADLINE_EXCEEDED / `deadline` or CANCELLED / `cancelled`. */
  whyGone(): KeelError {
    return (this.goneError ??= callerGone(this.deadline));
  }

  get metadata(): Metadata {
    return this.call.metadata;
  }

  get deadline(): number | undefined {
    const deadline = this.call.getDeadline();
    const at = deadline instanceof Date ? deadline.getTime() : deadline;
    return Number.isFinite(at) ? at : undefined;
  }

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.cancelled) this.controller.abort(this.whyGone());
    }
    return this.controller.signal;
  }

  /** The caller went away (cancelled, deadline passed, connection lost). */
  get cancelled(): boolean {
    return this.wasCancelled || (!this.ended && this.call.cancelled);
  }

  get peer(): string {
    return this.call.getPeer();
  }

  get header(): Metadata {
    return (this.headerMetadata ??= new Metadata());
  }

  get trailer(): Metadata {
    return (this.trailerMetadata ??= new Metadata());
  }

  /** Headers the handler added, once: undefined when there are none (or they were taken already). */
  takeHeader(): Metadata | undefined {
    const header = this.headerMetadata;
    this.headerMetadata = undefined;
    return header !== undefined && Object.keys(header.getMap()).length > 0 ? header : undefined;
  }

  /** The trailers the handler added, if any. */
  get trailerIfAny(): Metadata | undefined {
    return this.trailerMetadata;
  }

  onEnd(listener: EndListener): void {
    if (this.ended) listener(undefined);
    else (this.listeners ??= []).push(listener);
  }

  /** The call is over: tell the end listeners, once. */
  end(error: unknown): void {
    if (this.ended) return;
    this.ended = true;
    if (this.listeners !== undefined) fire(this.listeners, error);
  }
}
