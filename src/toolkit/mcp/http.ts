import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { refuseCrossSite, type Authorize } from '../gateway/guard';
import type { Sdk } from './sdk';

interface Session { transport: StreamableHTTPServerTransport; server: Server; open: number; lastSeen: number }

export interface HttpSettings {
  maxSessions: number;
  sessionIdleMs: number;
  maxBodyBytes: number;
  authorize: Authorize | undefined;
}

/** The path the Streamable HTTP transport is served at. */
export const MCP_PATH = '/mcp';

/**
 * MCP's Streamable HTTP transport at `/mcp`, one SDK server per session (`Mcp-Session-Id`): the
 * `authorize` hook first, then the API gateway's cross-site check (a browser page of another site — MCP's
 * DNS-rebinding concern — is refused by its `Sec-Fetch-Site` or `Origin`), then the session's transport. Sessions are bounded in number and closed when idle.
 */
export class HttpSessions {
  private readonly sessions = new Map<string, Session>();
  private readonly sweeper: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly sdk: Sdk, private readonly newServer: () => Server, private readonly settings: HttpSettings) {
    this.sweeper = setInterval(() => this.sweep(), Math.min(60_000, settings.sessionIdleMs));
    this.sweeper.unref();
  }

  /** Every session's server, for notifications. */
  servers(): Server[] {
    return [...this.sessions.values()].map((s) => s.server);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // Who asks comes first: an unauthenticated client learns nothing, not even which paths exist.
    if (this.settings.authorize !== undefined && !(await authorized(this.settings.authorize, req))) {
      res.setHeader('www-authenticate', 'Bearer');
      return reply(res, 401, -32001, 'unauthenticated');
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path !== MCP_PATH) return reply(res, 404, -32601, `not found: MCP is served at ${MCP_PATH}`);
    try {
      refuseCrossSite(req.headers, NO_ORIGINS);
    } catch {
      return reply(res, 403, -32001, 'forbidden: a request from another site\'s page');
    }
    const id = req.headers['mcp-session-id'];
    if (typeof id === 'string') {
      const session = this.sessions.get(id);
      if (session === undefined) return reply(res, 404, -32001, 'session not found: initialize again');
      return this.serve(session, req, res);
    }
    if (req.method !== 'POST') return reply(res, 400, -32000, 'no Mcp-Session-Id: initialize with a POST first');
    if (this.closed) return reply(res, 503, -32000, 'closing');
    if (this.sessions.size >= this.settings.maxSessions) return reply(res, 503, -32000, 'too many sessions: try again later');
    const server = this.newServer();
    const session: Session = { transport: undefined as unknown as StreamableHTTPServerTransport, server, open: 0, lastSeen: performance.now() };
    session.transport = new this.sdk.StreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      // Kept from the moment the id exists, so the client's very next request finds it (within the bound).
      onsessioninitialized: (id) => {
        if (!this.closed && this.sessions.size < this.settings.maxSessions) this.sessions.set(id, session);
      },
      maxRequestBodySize: this.settings.maxBodyBytes,
    });
    const { transport } = session;
    transport.onclose = () => {
      if (transport.sessionId !== undefined && this.sessions.get(transport.sessionId) === session) this.sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await this.serve(session, req, res);
    // Anything but an initialize request made no session (nor did one over the bound): nothing keeps this pair.
    if (transport.sessionId === undefined || this.sessions.get(transport.sessionId) !== session) await server.close().catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.server.close().catch(() => {})));
  }

  private async serve(session: Session, req: IncomingMessage, res: ServerResponse): Promise<void> {
    session.open++;
    session.lastSeen = performance.now();
    try {
      await session.transport.handleRequest(req, res);
    } finally {
      session.open--;
      session.lastSeen = performance.now();
    }
  }

  private sweep(): void {
    const now = performance.now();
    for (const [id, s] of this.sessions) {
      if (s.open === 0 && now - s.lastSeen > this.settings.sessionIdleMs) {
        this.sessions.delete(id);
        void s.server.close().catch(() => {});
      }
    }
  }
}

const NO_ORIGINS: ReadonlySet<string> = new Set();

/** The hook's answer; a hook that throws lets nobody in. */
async function authorized(authorize: Authorize, req: IncomingMessage): Promise<boolean> {
  try {
    return (await authorize(req)) === true;
  } catch {
    return false;
  }
}

function reply(res: ServerResponse, httpStatus: number, code: number, message: string): void {
  if (res.headersSent) return void res.destroy();
  res.writeHead(httpStatus, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }));
}
