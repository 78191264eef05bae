import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { describe } from '../../address';
import { parseKubeconfigYaml, type YamlValue } from './kubeconfig-yaml';

/** Where a pod finds its service account (https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/). */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** How to reach the API server: its URL, what to trust, how to authenticate, and the default namespace. */
export interface ApiConfig {
  /** `https://host:port` (a path prefix, if the kubeconfig has one, without the trailing slash). */
  server: URL;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** The bearer token now: a token file is read again when it may have rotated (at most once a minute). */
  token(): string | undefined;
  /** The namespace to use when none is given. */
  namespace: string;
  /** Where this came from, for error messages: `in-cluster` or the kubeconfig's path and context. */
  source: string;
}

const MAX_FILE_BYTES = 1 << 20;
const TOKEN_REREAD_MS = 60_000;

/**
 * The API server configuration: from `kubeconfig` (a path) when given; else in-cluster (a pod's service
 * account, when `KUBERNETES_SERVICE_HOST` is set) then the first file of `KUBECONFIG`, then `~/.kube/config`.
 */
export function resolveApiConfig(kubeconfig: string | undefined, env: NodeJS.ProcessEnv, where: string, saDir = SERVICE_ACCOUNT_DIR): ApiConfig {
  if (kubeconfig !== undefined) return fromKubeconfig(kubeconfig, where);
  if (env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT) return inCluster(env, where, saDir);
  const fromEnv = (env.KUBECONFIG ?? '').split(':').find((p) => p.trim() !== '');
  if (fromEnv !== undefined) return fromKubeconfig(fromEnv, where);
  const home = join(homedir(), '.kube', 'config');
  try {
    statSync(home);
  } catch {
    throw new TypeError(`${where}: no Kubernetes configuration: not in a pod (KUBERNETES_SERVICE_HOST is unset), no KUBECONFIG, no ${home}; pass kubeconfig`);
  }
  return fromKubeconfig(home, where);
}

function inCluster(env: NodeJS.ProcessEnv, where: string, saDir: string): ApiConfig {
  const host = env.KUBERNETES_SERVICE_HOST as string;
  const port = env.KUBERNETES_SERVICE_PORT as string;
  if (!/^\d{1,5}$/.test(port)) throw new TypeError(`${where}: KUBERNETES_SERVICE_PORT is not a port: ${JSON.stringify(port)}`);
  const server = new URL(`https://${host.includes(':') ? `[${host}]` : host}:${port}`);
  const tokenFile = join(saDir, 'token');
  return {
    server,
    ca: readBounded(join(saDir, 'ca.crt'), `${where}: the service account's CA`),
    token: rereadToken(tokenFile, `${where}: the service account token`),
    namespace: readBounded(join(saDir, 'namespace'), `${where}: the service account's namespace`).toString('utf8').trim() || 'default',
    source: 'in-cluster',
  };
}

function fromKubeconfig(path: string, where: string): ApiConfig {
  if (typeof path !== 'string' || path.trim() === '') throw new TypeError(`${where}: kubeconfig must be a file path, got ${describe(path)}`);
  const file = readBounded(path, `${where}: kubeconfig`);
  const doc = parseKubeconfigYaml(file.toString('utf8'), path);
  const dir = dirname(path);
  const current = str(field(doc, 'current-context'));
  if (!current) throw new TypeError(`${where}: ${path} has no current-context`);
  const context = named(doc, 'contexts', current, 'context', path);
  const clusterName = str(field(context, 'cluster'));
  const userName = str(field(context, 'user'));
  if (!clusterName) throw new TypeError(`${where}: context ${JSON.stringify(current)} in ${path} names no cluster`);
  const cluster = named(doc, 'clusters', clusterName, 'cluster', path);
  const user = userName ? named(doc, 'users', userName, 'user', path) : null;
  const source = `${path} (context ${JSON.stringify(current)})`;
  const what = (k: string): string => `${where}: ${k} in ${source}`;

  const serverText = str(field(cluster, 'server'));
  let server: URL;
  try {
    server = new URL(serverText ?? '');
  } catch {
    throw new TypeError(`${what('cluster.server')} is not a URL: ${JSON.stringify(serverText)}`);
  }
  if (server.protocol !== 'https:') throw new TypeError(`${what('cluster.server')} must be https:// (got ${server.protocol}//): tokens and certificates are not sent in clear`);
  if (str(field(cluster, 'insecure-skip-tls-verify')) === 'true') {
    throw new TypeError(`${what('cluster.insecure-skip-tls-verify')}: not supported: give the cluster's CA (certificate-authority or certificate-authority-data)`);
  }
  for (const unsupported of ['exec', 'auth-provider', 'username', 'as']) {
    if (field(user, unsupported) != null) {
      throw new TypeError(`${what(`user.${unsupported}`)}: not supported by keel's Kubernetes client: use a token, a token file or a client certificate`);
    }
  }
  const pem = (dataKey: string, fileKey: string, label: string): Buffer | undefined => {
    const data = str(field(dataKey.startsWith('certificate-authority') ? cluster : user, dataKey));
    if (data) return Buffer.from(data, 'base64');
    const file = str(field(fileKey.startsWith('certificate-authority') ? cluster : user, fileKey));
    return file ? readBounded(isAbsolute(file) ? file : join(dir, file), what(label)) : undefined;
  };
  const ca = pem('certificate-authority-data', 'certificate-authority', 'cluster.certificate-authority');
  const cert = pem('client-certificate-data', 'client-certificate', 'user.client-certificate');
  const key = pem('client-key-data', 'client-key', 'user.client-key');
  if ((cert === undefined) !== (key === undefined)) throw new TypeError(`${what('user')}: a client certificate and its key go together`);
  const token = str(field(user, 'token'));
  const tokenFile = str(field(user, 'tokenFile'));
  return {
    server,
    ...(ca ? { ca } : {}),
    ...(cert && key ? { cert, key } : {}),
    token: token ? () => token : tokenFile ? rereadToken(isAbsolute(tokenFile) ? tokenFile : join(dir, tokenFile), what('user.tokenFile')) : () => undefined,
    namespace: str(field(context, 'namespace')) || 'default',
    source,
  };
}

/** A token file read now (so a missing one fails at construction) and again when it may have rotated. */
function rereadToken(path: string, what: string): () => string {
  let token = readBounded(path, what).toString('utf8').trim();
  let readAt = Date.now();
  return () => {
    if (Date.now() - readAt >= TOKEN_REREAD_MS) {
      readAt = Date.now();
      try {
        token = readBounded(path, what).toString('utf8').trim();
      } catch {
        // Keep the last token: a rotation in progress, or the file gone for a moment.
      }
    }
    return token;
  };
}

function readBounded(path: string, what: string): Buffer {
  let data: Buffer;
  try {
    if (statSync(path).size > MAX_FILE_BYTES) throw new Error(`larger than ${MAX_FILE_BYTES} bytes`);
    data = readFileSync(path);
  } catch (err) {
    throw new TypeError(`${what}: cannot read ${JSON.stringify(path)}: ${(err as Error).message}`);
  }
  return data;
}

function field(value: YamlValue | undefined, key: string): YamlValue | undefined {
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return Object.prototype.hasOwnProperty.call(value, key) ? value[key] : undefined;
}

function str(value: YamlValue | undefined): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'boolean' || typeof value === 'number' ? String(value) : undefined;
}

/** The `inner` object of the entry named `name` in the list `list` (kubeconfig's `{ name, cluster: {…} }`). */
function named(doc: YamlValue, list: string, name: string, inner: string, path: string): YamlValue {
  const entries = field(doc, list);
  const entry = Array.isArray(entries) ? entries.find((e) => str(field(e, 'name')) === name) : undefined;
  const value = field(entry, inner);
  if (entry === undefined || (value !== undefined && value !== null && typeof value !== 'object')) {
    throw new TypeError(`kubeconfig ${path}: no ${inner} named ${JSON.stringify(name)} in ${list}`);
  }
  return value ?? {}; // an entry without settings (\`user: {}\`): no credentials
}
