import type { ServerResponse } from 'node:http';
import { errorResponse, type ErrorLog } from './status';

/** Writes a JSON answer; a response already sent or a socket gone is left alone. Returns the HTTP status sent. */
export function sendJson(res: ServerResponse, httpStatus: number, value: unknown, close = false): number {
  if (res.headersSent || res.destroyed) return httpStatus;
  const body = Buffer.from(JSON.stringify(value) ?? 'null');
  res.statusCode = httpStatus;
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-length', body.length);
  // The body of a refused request may still be unread: end the connection rather than read it.
  if (close) res.setHeader('connection', 'close');
  res.end(body);
  return httpStatus;
}

/** Answers `err` as the gateway's error body, with its mapped HTTP status (a kept-back detail goes to `log`). */
export function sendError(res: ServerResponse, err: unknown, close: boolean, log: ErrorLog): number {
  const { httpStatus, body } = errorResponse(err, log);
  if (httpStatus === 405) res.setHeader('allow', 'POST');
  return sendJson(res, httpStatus, body, close);
}

/**
 * Streams `messages` as newline-delimited JSON, one line written (and sent) per message, waiting for the
 * socket to drain when the client reads slower than the service sends. A failure before the first message is
 * answered like a unary one (its own HTTP status); after it the status is already 200, so the stream ends
 * with one last line `{"error": {code, status, message, reason}}`. Resolves to the HTTP status and whether it failed.
 */
export async function sendStream(res: ServerResponse, messages: AsyncIterable<unknown>, log: ErrorLog): Promise<{ httpStatus: number; ok: boolean }> {
  let started = false;
  try {
    for await (const message of messages) {
      if (res.destroyed) break;
      if (!started) {
        started = true;
        res.statusCode = 200;
        res.setHeader('content-type', 'application/x-ndjson');
        res.setHeader('cache-control', 'no-cache');
        res.flushHeaders();
      }
      if (!res.write(`${JSON.stringify(message)}\n`)) await drained(res);
    }
  } catch (err) {
    if (!started) return { httpStatus: sendError(res, err, false, log), ok: false };
    if (!res.destroyed) res.end(`${JSON.stringify({ error: errorResponse(err, log).body })}\n`);
    return { httpStatus: 200, ok: false };
  }
  if (!started && !res.headersSent && !res.destroyed) {
    res.statusCode = 200;
    res.setHeader('content-type', 'application/x-ndjson');
  }
  res.end();
  return { httpStatus: 200, ok: true };
}

function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
}
