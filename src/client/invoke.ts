import { status, type ServiceError } from '@grpc/grpc-js';
import type { CallContext } from '../call';
import { fromServiceError, KeelError } from '../errors';
import type { Channel, ChannelPool } from './channels';

/** Sends one unary RPC over `channel`, honouring the context's deadline, metadata and abort signal. */
export function invoke(pool: ChannelPool, channel: Channel, request: unknown, ctx: CallContext): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const { definition, signal } = ctx;
    let onAbort: (() => void) | undefined;
    const call = channel.client.makeUnaryRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      request,
      ctx.metadata,
      { deadline: ctx.deadline ?? Infinity },
      (err: ServiceError | null, value?: unknown) => {
        pool.release(channel);
        if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
        if (err === null) resolve(value);
        else if (err.code === status.CANCELLED && signal?.aborted) reject(cancelled());
        else reject(fromServiceError(err));
      },
    );
    if (signal !== undefined) {
      onAbort = () => call.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
    }
  });
}

export function cancelled(): KeelError {
  return new KeelError(status.CANCELLED, 'cancelled', 'the call was cancelled by its signal');
}

export function deadlineExceeded(details = 'the deadline passed before the call was sent'): KeelError {
  return new KeelError(status.DEADLINE_EXCEEDED, 'deadline', details);
}
