import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { status } from '@grpc/grpc-js';
import { errorResponse, GatewayError } from './status';

/** How long a client may take to send its request headers, and its body after them. */
export interface HttpTimeouts {
  readonly headersTimeoutMs: number;
  readonly bodyTimeoutMs: number;
}

/**
 * A node HTTP server that holds no slow client for long: headers must arrive within `headersTimeoutMs`
 * (slowloris), the whole request within both timeouts and a margin, and a request the parser refuses is
 * answered with a JSON body and closed. The gateway's `listen()` and the dashboard (`keel web`) both serve
 * with one of these.
 */
export function createHardenedServer(timeouts: HttpTimeouts, handle: (req: IncomingMessage, res: ServerResponse) => void): Server {
  const server = createServer({
    headersTimeout: timeouts.headersTimeoutMs,
    // A backstop behind bodyTimeoutMs, which answers first (with a JSON body).
    requestTimeout: timeouts.headersTimeoutMs + timeouts.bodyTimeoutMs + 5000,
    // How often node checks those two timeouts (default 30 s): often enough that they mean what they say.
    connectionsCheckingInterval: Math.min(1000, timeouts.headersTimeoutMs / 2),
  }, handle);
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => answerClientError(err, socket));
  return server;
}

/**
 * A request node's parser refused (headers too slow, too large, malformed): answered like every other
 * failure, with a JSON body, then the connection is closed.
 */
function answerClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  const [code, text] = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'Request Timeout']
    : err.code === 'HPE_HEADER_OVERFLOW' ? [431, 'Request Header Fields Too Large'] : [400, 'Bad Request'];
  if (!socket.writable || err.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const reason = code === 408 ? 'headers_timeout' : code === 431 ? 'headers_too_large' : 'bad_request';
  const { body } = errorResponse(new GatewayError(code, code === 408 ? status.DEADLINE_EXCEEDED : status.INVALID_ARGUMENT, reason,
    code === 408 ? 'the request headers did not arrive in time' : `the request could not be parsed (${err.code ?? 'unknown'})`));
  const json = JSON.stringify(body);
  socket.end(`HTTP/1.1 ${code} ${text}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(json)}\r\nconnection: close\r\n\r\n${json}`);
}

