import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot, toolOrSkip } from './external';
import { startInfra, type InfraServer } from './infra';

const run = promisify(execFile);

/** What `scripts/infra start kubernetes` prints. */
export interface KubeInfo {
  pid: number;
  url: string;
  token: string;
  caFile: string;
  kubeconfig: string;
  clientCertFile: string;
  clientKeyFile: string;
  etcdUrl: string;
  version: string;
  dataDir: string;
}

/** A real kube-apiserver (on Debian's etcd) on loopback, and the few API calls the tests make as the admin. */
export interface KubeApi {
  readonly info: KubeInfo;
  /** A request as the admin token (or `token`); resolves the status and the parsed body. */
  call(method: string, path: string, body?: unknown, options?: { token?: string; contentType?: string }): Promise<{ status: number; body: any }>;
  /** Like `call`, but rejects unless the status is 2xx. */
  ok(method: string, path: string, body?: unknown, options?: { token?: string; contentType?: string }): Promise<any>;
  /** Stops the API server and starts it again on the same etcd data (`scripts/infra restart`). */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the API server for a suite, or undefined (after a loud message) when KEEL_SKIP_E2E=1 and it is not installed. */
export async function startKubeApi(suite: string): Promise<KubeApi | undefined> {
  if (toolOrSkip('kubernetes', suite) === undefined) return undefined;
  const server: InfraServer<KubeInfo> = await startInfra<KubeInfo>('kubernetes');
  const info = server.info;
  const ca = readFileSync(info.caFile);
  const call: KubeApi['call'] = (method, path, body, options = {}) => new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const req = request(new URL(info.url + path), {
      method,
      ca,
      timeout: 30_000,
      headers: {
        authorization: `Bearer ${options.token ?? info.token}`,
        accept: 'application/json',
        ...(data === undefined ? {} : { 'content-type': options.contentType ?? 'application/json' }),
      },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, body: parsed });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
    req.on('error', reject);
    req.end(data);
  });
  return {
    info,
    call,
    ok: async (method, path, body, options) => {
      const res = await call(method, path, body, options);
      if (res.status < 200 || res.status > 299) throw new Error(`${method} ${path}: HTTP ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
      return res.body;
    },
    restart: async () => {
      await run(join(repoRoot, 'scripts', 'infra'), ['restart', String(info.pid)], { timeout: 240_000 });
    },
    stop: () => server.stop(),
  };
}

/** An EndpointSlice as the EndpointSlice controller writes one for `service`'s pods. */
export function endpointSlice(
  service: string,
  name: string,
  endpoints: Array<{ ip: string; pod: string; ready?: boolean; serving?: boolean; terminating?: boolean; zone?: string }>,
  port = 50051,
): object {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name,
      labels: { 'kubernetes.io/service-name': service, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' },
    },
    addressType: 'IPv4',
    ports: [{ name: 'grpc', port, protocol: 'TCP' }],
    endpoints: endpoints.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready ?? true, serving: e.serving ?? e.ready ?? true, terminating: e.terminating ?? false },
      targetRef: { kind: 'Pod', name: e.pod, namespace: 'default' },
      nodeName: 'node-1',
      zone: e.zone ?? 'zone-a',
    })),
  };
}
