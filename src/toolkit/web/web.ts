import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { type ClientTlsOptions, formatHostPort, knownKeys, parseHostPort, type Registry } from '../library';
import { createHardenedServer } from '../gateway/http-server';
import { ServiceBoard } from './board';
import type { WebGateway } from './gateway';
import { hostServed, setSecurityHeaders } from './guard';
import { HealthProbes } from './health-probes';
import { NodeHistory, type NodeLoad } from './node-history';
import { renderPage } from './page';
import { renderSections } from './render';
import { APP_JS } from './script';
import { SectionStream } from './sse';

export interface WebOptions {
  registry: Registry;
  /** Serves the call form's `POST /rpc` and reports the resilience state: `createGateway()`. */
  gateway: WebGateway;
  /** `host:port` to listen on; `:port` listens on every interface. Default `127.0.0.1:8082` (Micro web's port, loopback only). */
  address?: string;
  /** Jaeger UI base URL (`http://127.0.0.1:16686`): trace ids link to `<jaeger>/trace/<traceId>`. Default: no links. */
  jaeger?: string;
  /** TLS for the health checks, as the services' clients use. Default: plaintext. */
  tls?: ClientTlsOptions;
  /** How often the service list is read; nodes of known services update at once. Default 500. */
  pollMs?: number;
  /** How often each node's health is checked. Default 2000. */
  healthIntervalMs?: number;
  /** How often the resilience panel is refreshed. Default 500. */
  refreshMs?: number;
  /**
   * What a load-aware balancer knows of each node — the `leastLoaded()` wrapper's `nodes()` — shown beside each
   * node (latency, calls in flight, cost). Default: the gateway's own balancer's.
   */
  loads?: () => readonly NodeLoad[];
  /**
   * Host names the dashboard answers to besides IP literals, `localhost` and this machine's host name (`dash.internal`): a request for
   * any other `Host` is refused 421 (DNS rebinding). Default: none.
   */
  allowedHosts?: readonly string[];
  /** Live pages (`/events` streams) at once; more are answered 503. Default 64. */
  maxLivePages?: number;
}

export interface Web {
  /** `host:port` it listens on. */
  readonly address: string;
  /** `http://host:port/` */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * `keel web`: a dashboard in the browser — the registry's services and nodes (live), each node's health,
 * the endpoints, a form that calls a method through the gateway and shows the reply and its trace id, and
 * the gateway's circuits, limiter, latency percentiles and error rates (the Hystrix dashboard view).
 * Server-rendered HTML; live updates over Server-Sent Events (`/events`). It answers only requests whose `Host`
 * it serves (`allowedHosts`), sends a Content-Security-Policy and refuses framing, and holds slow clients no
 * longer than the gateway does (its header and body timeouts).
 * @example const web = await startWeb({ registry, gateway: createGateway({ registry }) });
 */
export async function startWeb(options: WebOptions): Promise<Web> {
  knownKeys(options, ['registry', 'gateway', 'address', 'jaeger', 'tls', 'pollMs', 'healthIntervalMs', 'refreshMs', 'allowedHosts', 'maxLivePages', 'loads'], 'startWeb');
  const { registry, gateway } = options;
  if (registry === null || typeof registry !== 'object') throw new TypeError('startWeb: registry is required');
  if (gateway === null || typeof gateway !== 'object' || typeof gateway.handle !== 'function') throw new TypeError('startWeb: gateway must have handle()');
  const address = options.address ?? '127.0.0.1:8082';
  const listen = address.startsWith(':') ? { host: undefined, port: parseHostPort(`0.0.0.0${address}`, 'startWeb: address', true).port }
    : parseHostPort(address, 'startWeb: address', true);
  const jaeger = options.jaeger;
  if (jaeger !== undefined && !/^https?:\/\/[^\s]+$/.test(jaeger)) throw new TypeError(`startWeb: jaeger must be an http(s) URL, got ${JSON.stringify(jaeger)}`);
  const ms = (name: 'pollMs' | 'healthIntervalMs' | 'refreshMs', dflt: number): number => {
    const v = options[name] ?? dflt;
    if (!(typeof v === 'number' && v >= 10 && Number.isFinite(v))) throw new RangeError(`startWeb: ${name} must be a number >= 10, got ${String(v)}`);
    return v;
  };
  const refreshMs = ms('refreshMs', 500);
  const healthIntervalMs = ms('healthIntervalMs', 2000);
  if (options.loads !== undefined && typeof options.loads !== 'function') throw new TypeError('startWeb: loads must be a function returning the nodes\' loads');
  const history = new NodeHistory(healthIntervalMs);
  const hosts = options.allowedHosts ?? [];
  if (!Array.isArray(hosts) || hosts.some((h) => typeof h !== 'string' || h === '')) throw new TypeError('startWeb: allowedHosts must be an array of host names');
  // This machine's own name too: a rebinding attacker's name is never it, and people open the page by it.
  const allowedHosts = new Set([...hosts, hostname()].map((h) => h.toLowerCase()));
  const maxLivePages = options.maxLivePages ?? 64;
  if (!Number.isInteger(maxLivePages) || maxLivePages < 1) throw new RangeError(`startWeb: maxLivePages must be an integer >= 1, got ${String(maxLivePages)}`);

  // The gateway's own balancer when no other source is given: the nodes the form's calls are spread over.
  const balancer = gateway.balancer;
  const loads = options.loads ?? (typeof balancer?.nodes === 'function' ? () => balancer.nodes() : undefined);
  const stream = new SectionStream(maxLivePages);
  const probes = new HealthProbes(options.tls);
  const sections = (): Record<string, string> => {
    const services = board.views();
    return renderSections({
      services,
      circuits: gateway.breaker.circuits(),
      limiter: gateway.limiter?.stats(),
      stats: gateway.stats(),
      history: history.record(services, performance.now()),
      ...(loads ? { loads: readLoads(loads) } : {}),
    });
  };
  let queued = false;
  const refresh = (): void => {
    if (queued) return;
    queued = true;
    // One render for a burst of changes (a watch update and its health checks).
    setImmediate(() => {
      queued = false;
      stream.publish(sections());
    });
  };
  const board = new ServiceBoard(registry, gateway.caller, probes, { pollMs: ms('pollMs', 500), healthIntervalMs }, refresh);

  const server = createHardenedServer(gateway.timeouts ?? { headersTimeoutMs: 10_000, bodyTimeoutMs: 10_000 }, (req, res) => route(req, res));
  const route = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    setSecurityHeaders(res);
    if (!hostServed(req.headers, allowedHosts)) {
      res.writeHead(421, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' })
        .end('this dashboard does not serve that host name (startWeb allowedHosts)\n');
      return;
    }
    if (path === '/rpc') {
      // JSON only: a browser cannot send it cross-site without a CORS preflight (which is never answered),
      // so another site's page cannot make calls through a dashboard open on this machine.
      if (!/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
        res.writeHead(415, { 'content-type': 'application/json' }).end('{"code":3,"message":"POST /rpc takes application/json","reason":"bad_request"}');
        return;
      }
      void Promise.resolve(gateway.handle(req, res)).catch(() => res.headersSent || res.writeHead(500).end());
    } else if (req.method !== 'GET' && req.method !== 'HEAD') res.writeHead(405, { allow: 'GET' }).end();
    else if (path === '/') send(res, 'text/html', renderPage(sections(), { registry: registry.kind, jaeger }));
    else if (path === '/app.js') send(res, 'text/javascript', APP_JS);
    else if (path === '/events') stream.open(res);
    else if (path === '/state.json') send(res, 'application/json', JSON.stringify(board.views()));
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  board.start();
  const timer = setInterval(refresh, refreshMs);
  const pinger = setInterval(() => stream.ping(), 15_000);
  const bound = server.address() as AddressInfo;
  const hostPort = formatHostPort(bound.address, bound.port);
  return {
    address: hostPort,
    url: `http://${formatHostPort(bound.address === '0.0.0.0' || bound.address === '::' ? '127.0.0.1' : bound.address, bound.port)}/`,
    close: () => close(server, () => {
      clearInterval(timer);
      clearInterval(pinger);
      board.close();
      probes.close();
      stream.close();
    }),
  };
}

/** The loads, or none when the source fails: a broken source must not take the dashboard down. */
function readLoads(source: () => readonly NodeLoad[]): readonly NodeLoad[] {
  try {
    const loads = source();
    return Array.isArray(loads) ? loads.slice(0, 1000) : [];
  } catch {
    return [];
  }
}

function send(res: ServerResponse, type: string, body: string): void {
  res.writeHead(200, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' }).end(body);
}

async function close(server: Server, stop: () => void): Promise<void> {
  stop();
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
