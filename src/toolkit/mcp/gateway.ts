import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { trace } from '@opentelemetry/api';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { breaker } from '../../../wrappers/breaker';
import { rateLimit } from '../../../wrappers/rate-limit';
import { retry } from '../../../wrappers/retry';
import { leastLoaded } from '../../../wrappers/least-loaded';
import { tracing } from '../../../wrappers/tracing';
import { formatHostPort } from '../../address';
import { wrapClient } from '../../call';
import { DynamicCaller } from '../dynamic/caller';
import { parseListenAddress } from '../gateway/gateway';
import { callTool, type ToolResult } from './call-tool';
import { ToolCatalog } from './catalog';
import { HttpSessions } from './http';
import { resolveMcpOptions, type McpGatewayOptions } from './options';
import { loadSdk } from './sdk';
import type { McpTool } from './tools';

/** The MCP gateway: every registered service's methods as tools. See `createMcpGateway`. */
export interface McpGateway {
  /**
   * Serves MCP over a pair of streams (default: this process's stdin and stdout), as an agent that
   * started this process expects; resolves when the input ends or the gateway closes.
   */
  serveStdio(streams?: { stdin?: NodeJS.ReadableStream; stdout?: NodeJS.WritableStream }): Promise<void>;
  /** Serves MCP's Streamable HTTP transport at `http://host:port/mcp`; resolves to the bound `host:port`. */
  listen(address: string): Promise<string>;
  /** Serves one HTTP request (mount it in any node HTTP server; MCP is at `/mcp`). Never throws. */
  handle(req: IncomingMessage, res: ServerResponse): void;
  /** The tools now offered (the registry is read in the background; see `ready()`). */
  tools(): McpTool[];
  /** Calls a tool as an MCP client's `tools/call` would. */
  callTool(name: string, args?: Record<string, unknown>, signal?: AbortSignal): Promise<ToolResult>;
  /** Resolves once the registry's service list was read the first time (the tools follow as services are described). */
  ready(): Promise<void>;
  /** The caller every tool call goes through. */
  readonly caller: DynamicCaller;
  /** Stops serving, closes every session, the registry watches and the caller. */
  close(): Promise<void>;
}

/**
 * An MCP server in front of the registered services, after go-micro's MCP gateway: one tool per method,
 * named `<service>.<Service>.<Method>`, with a JSON Schema of the request message (and of the response),
 * the proto comments as descriptions where the descriptors carry them. The list follows the registry
 * (`notifications/tools/list_changed`). Calls go through keel's client stack with a deadline; answers are
 * structured content; failures are tool errors with the gRPC code, keel's reason and the trace id.
 * Needs the optional peer `@modelcontextprotocol/sdk`.
 * @example const mcp = createMcpGateway({ registry: localRegistry() }); await mcp.serveStdio();
 */
export function createMcpGateway(options: McpGatewayOptions): McpGateway {
  const settings = resolveMcpOptions(options);
  const sdk = loadSdk();
  const tracer = options.tracer ?? trace.getTracer('keel');
  const limit = options.rateLimit;
  const limiter = limit === undefined ? undefined
    : rateLimit(limit.ratePerSecond, { burst: limit.burst ?? Math.max(1, Math.ceil(limit.ratePerSecond / 10)), wait: false });
  const wrap = options.wrap ?? wrapClient(...(limiter ? [limiter] : []), retry(), leastLoaded(), breaker({ scope: 'node' }), tracing({ tracer }));
  const caller = new DynamicCaller({
    registry: options.registry, timeoutMs: settings.timeoutMs, wrap, ...(options.tls ? { tls: options.tls } : {}),
    ...(options.protoFiles ? { protoFiles: options.protoFiles } : {}), ...(options.protoPaths ? { protoPaths: options.protoPaths } : {}),
  });
  const env = { caller, tracer, ...(options.onError ? { onError: options.onError } : {}), timeoutMs: settings.timeoutMs, maxStreamMessages: settings.maxStreamMessages };
  const live = new Set<Server>();
  const catalog = new ToolCatalog(options.registry as ConstructorParameters<typeof ToolCatalog>[0], caller, settings, () => {
    for (const server of [...live, ...sessions.servers()]) void server.sendToolListChanged().catch(() => {});
  });
  const ready = catalog.start();

  const run = (name: string, args: Record<string, unknown> | undefined, signal: AbortSignal, traceparent?: unknown): Promise<ToolResult> => {
    const entry = catalog.find(name);
    // An unknown tool is a protocol error (JSON-RPC invalid params), as the MCP spec has it.
    if (entry === undefined) return Promise.reject(Object.assign(new Error(`unknown tool: ${name.slice(0, 200)}`), { code: -32602 }));
    return callTool(env, entry, args, signal, traceparent);
  };

  const newServer = (): Server => {
    const server = new sdk.Server({ name: 'keel', version: VERSION }, { capabilities: { tools: { listChanged: true } } });
    server.setRequestHandler(sdk.ListToolsRequestSchema, () => ({ tools: catalog.tools().map((t) => ({ ...t.tool })) }));
    server.setRequestHandler(sdk.CallToolRequestSchema, (request, extra) =>
      run(request.params.name, request.params.arguments, extra.signal, request.params._meta?.traceparent));
    return server;
  };
  const sessions = new HttpSessions(sdk, newServer, { ...settings, authorize: options.authorize });

  let http: HttpServer | undefined;
  const sockets = new Set<Socket>();
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    sessions.handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","error":{"code":-32603,"message":"internal error"},"id":null}');
      else res.destroy();
    });
  };
  let closed = false;

  return {
    caller,
    handle,
    ready: () => ready,
    tools: () => catalog.tools().map((t) => t.tool),
    callTool: (name, args, signal) => run(name, args, signal ?? new AbortController().signal),
    async serveStdio(streams = {}) {
      if (closed) throw new Error('createMcpGateway: closed');
      const server = newServer();
      const transport = new sdk.StdioServerTransport(
        (streams.stdin ?? process.stdin) as ConstructorParameters<typeof sdk.StdioServerTransport>[0],
        (streams.stdout ?? process.stdout) as ConstructorParameters<typeof sdk.StdioServerTransport>[1]);
      const ended = new Promise<void>((resolve) => {
        server.onclose = () => resolve();
        (streams.stdin ?? process.stdin).once('end', () => void server.close().then(resolve, resolve));
      });
      live.add(server);
      await server.connect(transport);
      await ended;
      live.delete(server);
    },
    listen(address) {
      if (http !== undefined) return Promise.reject(new Error('createMcpGateway: already listening'));
      const { host, port } = parseListenAddress(address);
      const s = createServer({ headersTimeout: 10_000, requestTimeout: 0 }, handle);
      http = s;
      s.on('connection', (socket: Socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      return new Promise((resolve, reject) => {
        s.once('error', reject);
        s.listen(port, host === '' ? undefined : host, () => {
          s.off('error', reject);
          const bound = s.address();
          resolve(typeof bound === 'object' && bound !== null ? formatHostPort(host === '' ? bound.address : host, bound.port) : address);
        });
      });
    },
    async close() {
      closed = true;
      catalog.close();
      await Promise.all([...live].map((s) => s.close().catch(() => {})));
      await sessions.close();
      const s = http;
      http = undefined;
      if (s !== undefined) {
        const done = new Promise<void>((resolve) => s.close(() => resolve()));
        for (const socket of sockets) socket.destroy();
        await done;
      }
      await caller.close();
      await limiter?.close();
    },
  };
}

/** keel's version, as the server's name in `initialize` (dist/src/toolkit/mcp → the package root). */
const VERSION: string = (() => {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return String((require('../../../../package.json') as { version: unknown }).version);
  } catch {
    return '0.0.0';
  }
})();
