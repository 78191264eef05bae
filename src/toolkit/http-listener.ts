import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { formatHostPort } from './library';

/** `host:port`, `:port` (every interface, like Micro's `:8080`), `[::1]:port`; port 0 picks a free one. */
export function parseListenAddress(address: string): { host: string; port: number } {
  const match = typeof address === 'string' ? /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]*)):(\d{1,5})$/.exec(address) : null;
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) throw new RangeError(`gateway: the address must be "host:port" or ":port", got ${JSON.stringify(address)}`);
  return { host: match[1] ?? match[2] ?? '', port };
}

/**
 * The HTTP side of a gateway (`keel api`, `keel mcp`): at most one server at a time, listening where
 * asked, its connections tracked so that `close()` ends keep-alive ones at once instead of waiting for
 * their clients. `create` makes the node server (each gateway sets its own timeouts).
 */
export class HttpListener {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();

  /** `name` prefixes the error of a second `listen()`. */
  constructor(private readonly create: () => Server, private readonly name: string) {}

  /** Listens on `address` (see `parseListenAddress`); resolves to the bound `host:port`. */
  listen(address: string): Promise<string> {
    if (this.server !== undefined) return Promise.reject(new Error(`${this.name}: already listening`));
    const { host, port } = parseListenAddress(address);
    const s = this.create();
    this.server = s;
    s.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    return new Promise((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, host === '' ? undefined : host, () => {
        s.off('error', reject);
        const bound = s.address();
        resolve(typeof bound === 'object' && bound !== null ? formatHostPort(host === '' ? bound.address : host, bound.port) : address);
      });
    });
  }

  /** Stops listening and drops every open connection; resolves once the server closed. A no-op when not listening. */
  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s === undefined) return;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }
}
