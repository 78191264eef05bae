import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The part of the OpenTelemetry PrometheusExporter that answers a scrape (its public request handler). */
export interface ScrapeHandler {
  getMetricsRequestHandler(request: unknown, response: import('node:http').ServerResponse): void;
}

export interface ServedMetrics {
  /** Where the metrics are served, with the port the OS gave when 0 was asked for. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` from `exporter` on `host:port`. keel binds the server itself rather than letting the
 * exporter do it: the exporter reads port 0 as "unset" and binds 9464, so two processes asking for a free port
 * collided, and it does not say which port it bound.
 */
export async function serveMetrics(exporter: ScrapeHandler, port: number, host: string | undefined): Promise<ServedMetrics> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (path === '/metrics' && (req.method === 'GET' || req.method === 'HEAD')) exporter.getMetricsRequestHandler(req, res);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: metrics are at /metrics\n');
  });
  // Like the exporter's own server: a metrics endpoint never keeps the process alive.
  server.unref();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, ...(host !== undefined ? { host } : {}) }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const shown = host ?? 'localhost';
  let closed: Promise<void> | undefined;
  return {
    url: `http://${shown.includes(':') ? `[${shown}]` : shown}:${bound}/metrics`,
    close: () => (closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    })),
  };
}
