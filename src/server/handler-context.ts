import type { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import type { HandlerContext } from '../call';

/**
 * The context of one incoming call. The abort signal is made only if a handler asks for it, but it
 * reflects a cancellation that happened before that.
 */
export class ServerCallContext implements HandlerContext {
  private controller: AbortController | undefined;
  private cancelled = false;

  constructor(
    readonly service: string,
    readonly method: string,
    private readonly call: ServerUnaryCall<unknown, unknown>,
  ) {
    call.once('cancelled', () => {
      this.cancelled = true;
      this.controller?.abort(new Error('the caller cancelled the call or its deadline passed'));
    });
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
      if (this.cancelled || this.call.cancelled) this.controller.abort(new Error('the caller cancelled the call or its deadline passed'));
    }
    return this.controller.signal;
  }

  get peer(): string {
    return this.call.getPeer();
  }
}
