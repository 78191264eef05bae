import { status, type ClientDuplexStream, type ClientReadableStream, type ClientUnaryCall, type ClientWritableStream, type ServiceError } from '@grpc/grpc-js';
import type { CallKind } from '../call/contract';
import { cancelled, fromServiceError, requestStreamFailed } from '../errors';
import type { Channel, ChannelPool } from './channels';
import type { ClientContext } from '../call/context';
import { pumpRequests } from './request-pump';
import type { Requests } from '../stream/requests';
import { ResponseStream } from './response-stream';

/** Sends one attempt of a call on `channel` (released when the call ends). One function per call kind. */
export type Invoke = (pool: ChannelPool, channel: Channel, request: unknown, ctx: ClientContext) => Promise<unknown>;

/** Unary and client-streaming: a promise of the one response. */
function oneResponse(
  start: (callback: (err: ServiceError | null, value?: unknown) => void) => ClientUnaryCall | ClientWritableStream<unknown>,
  pool: ChannelPool, channel: Channel, ctx: ClientContext, requests?: Requests<unknown>,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const { signal } = ctx;
    const hooks = ctx.hooks;
    let onAbort: (() => void) | undefined;
    let sourceError: unknown;
    let pump: { stop(): void } | undefined;
    const call = start((err, value) => {
      pool.release(channel);
      pump?.stop();
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
      if (err === null) resolve(value);
      else if (err.code === status.CANCELLED && sourceError !== undefined) reject(sourceError);
      else if (err.code === status.CANCELLED && signal?.aborted) reject(cancelled());
      else reject(fromServiceError(err));
    });
    if (hooks.onHeader !== undefined) call.on('metadata', hooks.onHeader);
    if (hooks.onTrailer !== undefined) {
      const onTrailer = hooks.onTrailer;
      call.on('status', (s) => onTrailer(s.metadata));
    }
    if (signal !== undefined) {
      onAbort = () => call.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
    }
    if (requests !== undefined) {
      pump = pumpRequests(requests, call as ClientWritableStream<unknown>, (err) => {
        sourceError = requestStreamFailed(err);
        call.cancel();
      });
    }
  });
}

const unary: Invoke = (pool, channel, request, ctx) => {
  const { definition } = ctx;
  return oneResponse((callback) => channel.client.makeUnaryRequest(definition.path, definition.requestSerialize,
    definition.responseDeserialize, request, ctx.metadata, { deadline: ctx.deadline ?? Infinity }, callback), pool, channel, ctx);
};

const clientStream: Invoke = (pool, channel, requests, ctx) => {
  const { definition } = ctx;
  return oneResponse((callback) => channel.client.makeClientStreamRequest(definition.path, definition.requestSerialize,
    definition.responseDeserialize, ctx.metadata, { deadline: ctx.deadline ?? Infinity }, callback), pool, channel, ctx,
  requests as Requests<unknown>);
};

/** Server-streaming and bidi: a response stream, resolved at once (its messages and status come later). */
function responses(call: ClientReadableStream<unknown> | ClientDuplexStream<unknown, unknown>, pool: ChannelPool, channel: Channel,
  ctx: ClientContext, requests?: Requests<unknown>): Promise<unknown> {
  const { signal } = ctx;
  let onAbort: (() => void) | undefined;
  let pump: { stop(): void } | undefined;
  const stream: ResponseStream<unknown> = new ResponseStream(call, signal, ctx.hooks, () => {
    pool.release(channel);
    pump?.stop();
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
  });
  if (signal !== undefined) {
    onAbort = () => stream.abort(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
  }
  if (requests !== undefined) pump = pumpRequests(requests, call as ClientDuplexStream<unknown, unknown>, (err) => stream.abort(requestStreamFailed(err)));
  return Promise.resolve(stream);
}

const serverStream: Invoke = (pool, channel, request, ctx) => {
  const { definition } = ctx;
  return responses(channel.client.makeServerStreamRequest(definition.path, definition.requestSerialize,
    definition.responseDeserialize, request, ctx.metadata, { deadline: ctx.deadline ?? Infinity }), pool, channel, ctx);
};

const bidi: Invoke = (pool, channel, requests, ctx) => {
  const { definition } = ctx;
  return responses(channel.client.makeBidiStreamRequest(definition.path, definition.requestSerialize,
    definition.responseDeserialize, ctx.metadata, { deadline: ctx.deadline ?? Infinity }), pool, channel, ctx,
  requests as Requests<unknown>);
};

export const INVOKERS: Readonly<Record<CallKind, Invoke>> = {
  unary, client_stream: clientStream, server_stream: serverStream, bidi,
};
