import { createServer, type HandlerContext, type Implementation, type KeelServer, type Registry, type ServerOptions } from '../../src/index';
import { Basis, type HelloRequest, type HelloResponse } from '../../examples/basis/proto';

export { Basis };
export type { HelloRequest, HelloResponse };

/** What a test server's Hello saw, so tests can assert on the server side of a call. */
export interface Seen {
  request: HelloRequest;
  ctx: HandlerContext;
}

export interface TestServer {
  server: KeelServer;
  id: string;
  address: string;
  seen: Seen[];
}

/**
 * Starts a real basis server on 127.0.0.1:0. Its Hello replies `Hello <name> from <id>`, unless
 * `hello` is given. Short registration timings keep tests quick.
 */
export async function startBasis(
  registry: Registry,
  options: Partial<ServerOptions> & { hello?: Implementation[string] } = {},
): Promise<TestServer> {
  const { hello, ...serverOptions } = options;
  const server = createServer({ name: 'basis', registry, drainDelayMs: 0, ...serverOptions });
  const seen: Seen[] = [];
  server.addService(Basis, {
    Hello: (request: HelloRequest, ctx: HandlerContext) => {
      seen.push({ request, ctx });
      return hello ? (hello(request, ctx) as HelloResponse | Promise<HelloResponse>) : { msg: `Hello ${request.name} from ${server.id}` };
    },
  });
  const { id, address } = await server.start();
  return { server, id, address, seen };
}

/** Resolves when `check` returns true, polling; rejects after `timeoutMs` with `what` in the message. */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The node id in a basis reply. */
export const replier = (msg: string): string => /from (\S+)/.exec(msg)?.[1] ?? '';
