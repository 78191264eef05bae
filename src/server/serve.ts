import type { ServerDuplexStream, ServerReadableStream, ServerUnaryCall, ServerWritableStream, sendUnaryData } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import type { CallKind, Handler } from '../call/contract';
import { runInbound } from '../inbound';
import { wasSkipped } from './gone';
import { onFirstRequest } from './eager-server-stream';
import { ServerCallContext } from './handler-context';
import { RequestStream } from './request-stream';
import type { Failures } from './failures';
import { toStatus } from './to-status';
import { WriteWindow, type SizeOf } from './write-window';

/** A grpc-js handler function of any kind. */
export type GrpcHandler = (call: any, callback?: any) => void;

/** Runs the (wrapped) handler; a synchronous throw becomes a rejection. */
function run(handler: Handler, request: unknown, ctx: ServerCallContext): Promise<unknown> {
  try {
    return handler(request, ctx);
  } catch (err) {
    return Promise.reject(err);
  }
}

/** Sends the handler's headers now, unless grpc-js already sent headers with a message. */
function flushHeader(call: { sendMetadata(md: import('@grpc/grpc-js').Metadata): void }, ctx: ServerCallContext): void {
  const header = ctx.takeHeader();
  if (header !== undefined) call.sendMetadata(header);
}

/** Unary and client-streaming: one response, through grpc-js's callback. */
function answer(call: ServerUnaryCall<unknown, unknown> | ServerReadableStream<unknown, unknown>, callback: sendUnaryData<unknown>,
  result: Promise<unknown>, ctx: ServerCallContext, fail: Failures, path: string): void {
  result.then(
    (response) => {
      flushHeader(call, ctx);
      callback(null, response, ctx.trailerIfAny);
      ctx.end(undefined);
    },
    (err: unknown) => {
      flushHeader(call, ctx);
      callback(fail(err, ctx.trailerIfAny, path));
      ctx.end(err);
    },
  );
}

function iteratorOf(source: unknown, path: string): AsyncIterator<unknown> | Iterator<unknown> {
  const s = source as Partial<AsyncIterable<unknown> & Iterable<unknown>> | null;
  const asyncIterator = s?.[Symbol.asyncIterator];
  if (typeof asyncIterator === 'function') return asyncIterator.call(s);
  const iterator = s?.[Symbol.iterator];
  if (typeof iterator === 'function' && typeof source !== 'string') return iterator.call(s);
  const details = `the handler of streaming method ${path} must return an AsyncIterable or Iterable (an async function*), got ${source === null ? 'null' : typeof source}`;
  throw Object.assign(new Error(details), { code: status.INTERNAL, details });
}

/**
 * Server-streaming and bidi: pulls the handler's iterable one message at a time, writing each only while
 * grpc-js holds fewer than the stream's write window (`WriteWindow`: grpc-js's 16 messages, or up to 128 small
 * ones within 64 KiB) and otherwise waiting for 'drain', so a slow caller never makes the server buffer more.
 * When the caller goes away it stops pulling and closes the iterable (`return()`: the generator's `finally`
 * blocks run). A throw, at any point, becomes the call's status.
 */
async function stream(call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>, result: Promise<unknown>,
  ctx: ServerCallContext, path: string, fail: Failures, sizeOf: SizeOf | undefined): Promise<void> {
  let it: AsyncIterator<unknown> | Iterator<unknown> | undefined;
  let failure: unknown;
  const window = new WriteWindow(sizeOf);
  let gone: (() => void) | undefined;
  const goneOnce = new Promise<void>((resolve) => (gone = resolve));
  call.once('cancelled', () => gone?.());
  try {
    it = iteratorOf(await result, path);
    for (;;) {
      if (ctx.cancelled) break;
      const step = await it.next();
      if (step.done || ctx.cancelled) break;
      flushHeader(call, ctx);
      if (window.full(call.write(step.value), call.writableLength, step.value)) {
        await Promise.race([new Promise((resolve) => call.once('drain', resolve)), goneOnce]);
      }
    }
  } catch (err) {
    failure = err;
  }
  if (ctx.cancelled) {
    Promise.resolve(it?.return?.()).catch(() => undefined);
    // A handler never started (see gone.ts) ends with the error that says so, for metrics() to count.
    ctx.end(wasSkipped(failure) ? failure : ctx.whyGone());
    return;
  }
  flushHeader(call, ctx);
  if (failure === undefined) {
    call.end(ctx.trailerIfAny);
    ctx.end(undefined);
  } else {
    call.emit('error', fail(failure, ctx.trailerIfAny, path));
    ctx.end(failure);
  }
}

/** Failures as statuses, nothing logged: for callers that bring no policy. */
const plain: Failures = (err, trailer) => toStatus(err, trailer);

/**
 * The grpc-js handler for one method: a context per call, the wrapped handler, the answer by kind.
 * `fail`: how a failure becomes a status (and whether it is logged), see `failures()`. `sizeOf`: the
 * response's encoded size, for a response stream's write window (without it, grpc-js's 16 messages).
 */
export function serve(server: { readonly name: string; readonly id: string }, path: string, kind: CallKind, handler: Handler, fail: Failures = plain,
  sizeOf?: SizeOf): GrpcHandler {
  // Each call is served inside its context's store (src/inbound.ts): calls the handler makes, however deep in
  // its async code, inherit its deadline and cancellation. Streams run their whole pump inside, since the
  // generator's body runs in the context of whoever calls its next().
  switch (kind) {
    case 'unary':
      return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        const ctx = new ServerCallContext(server.name, server.id, path, kind, call);
        answer(call, callback, runInbound(ctx, run, handler, call.request, ctx), ctx, fail, path);
      };
    case 'client_stream':
      return (call: ServerReadableStream<unknown, unknown>, callback: sendUnaryData<unknown>) => {
        const ctx = new ServerCallContext(server.name, server.id, path, kind, call);
        answer(call, callback, runInbound(ctx, run, handler, new RequestStream(call, () => (ctx.cancel(), ctx.whyGone())), ctx), ctx, fail, path);
      };
    case 'server_stream': // registered as bidi: see eagerServerStreams
      return (call: ServerDuplexStream<unknown, unknown>) => onFirstRequest(call, path, (request) => {
        const ctx = new ServerCallContext(server.name, server.id, path, kind, call);
        void runInbound(ctx, () => stream(call, run(handler, request, ctx), ctx, path, fail, sizeOf));
      });
    case 'bidi':
      return (call: ServerDuplexStream<unknown, unknown>) => {
        const ctx = new ServerCallContext(server.name, server.id, path, kind, call);
        void runInbound(ctx, () => stream(call, run(handler, new RequestStream(call, () => (ctx.cancel(), ctx.whyGone())), ctx), ctx, path, fail, sizeOf));
      };
  }
}

/** grpc-js's name for each kind, for `Server.register`. */
export const GRPC_KIND: Readonly<Record<CallKind, 'unary' | 'serverStream' | 'clientStream' | 'bidi'>> = {
  unary: 'unary', server_stream: 'bidi', client_stream: 'clientStream', bidi: 'bidi', // server_stream: see eagerServerStreams
};

