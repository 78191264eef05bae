import type { IncomingMessage } from 'node:http';
import { status } from '@grpc/grpc-js';
import { GatewayError } from './status';

/**
 * Reads a request body of at most `maxBytes`, within `timeoutMs` of being asked. A declared Content-Length
 * over the limit fails before a byte is read; a body that grows past it fails as soon as it does (413), so a
 * huge upload costs at most `maxBytes` of memory. A body that trickles in too slowly (slowloris) fails with
 * 408 when the time is up. A client that hangs up rejects with `aborted` (nobody is left to answer).
 */
export function readBody(req: IncomingMessage, maxBytes: number, timeoutMs: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) return Promise.reject(tooLarge(maxBytes));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (err?: Error): void => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (err === undefined) resolve(Buffer.concat(chunks, size));
      else {
        // Stop reading what is left: the answer goes out with `Connection: close`.
        req.pause();
        reject(err);
      }
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) done(tooLarge(maxBytes));
      else chunks.push(chunk);
    };
    const onEnd = (): void => done();
    const onError = (err: Error): void => done(Object.assign(err, { aborted: true }));
    const onClose = (): void => {
      if (!req.complete) done(Object.assign(new Error('the client closed the connection'), { aborted: true }));
    };
    const timer = setTimeout(() => done(new GatewayError(408, status.DEADLINE_EXCEEDED, 'body_timeout',
      `the request body did not arrive within ${timeoutMs} ms`)), timeoutMs);
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

const tooLarge = (maxBytes: number): GatewayError =>
  new GatewayError(413, status.RESOURCE_EXHAUSTED, 'body_too_large', `the request body is larger than ${maxBytes} bytes`);

/** True for a body read that failed because the client went away. */
export const isAborted = (err: unknown): boolean => (err as { aborted?: unknown } | null)?.aborted === true;
