import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { trace } from '@opentelemetry/api';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { breaker, leastLoaded, retry, tracing, wrapClient } from '../library';
import { DynamicCaller } from '../dynamic/caller';
import { gatewayLimiter } from '../gateway/limiter';
import { HttpListener } from '../http-listener';
import { KEEL_VERSION } from '../version';
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
  const limiter = gatewayLimiter(options.rateLimit === undefined ? undefined : { ...options.rateLimit, wait: false });
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
    const server = new sdk.Server({ name: 'keel', version: KEEL_VERSION }, { capabilities: { tools: { listChanged: true } } });
    server.setRequestHandler(sdk.ListToolsRequestSchema, () => ({ tools: catalog.tools().map((t) => ({ ...t.tool })) }));
    server.setRequestHandler(sdk.CallToolRequestSchema, (request, extra) =>
      run(request.params.name, request.params.arguments, extra.signal, request.params._meta?.traceparent));
    return server;
  };
  const sessions = new HttpSessions(sdk, newServer, { ...settings, authorize: options.authorize });

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    sessions.handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","error":{"code":-32603,"message":"internal error"},"id":null}');
      else res.destroy();
    });
  };
  const listener = new HttpListener(() => createServer({ headersTimeout: 10_000, requestTimeout: 0 }, handle), 'createMcpGateway');
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
    listen: (address) => listener.listen(address),
    async close() {
      closed = true;
      catalog.close();
      await Promise.all([...live].map((s) => s.close().catch(() => {})));
      await sessions.close();
      await listener.close();
      await caller.close();
      await limiter?.close();
    },
  };
}
