import { describe } from '../../address';
import { readClientTls, type ClientTlsOptions } from '../../tls';

/** etcd user and password (etcd's `auth enable`). */
export interface EtcdAuth {
  username: string;
  password: string;
}

/**
 * The etcd3 options keel sets for TLS and authentication (etcd3's `IOptions` fields, described here rather
 * than imported so that keel's declarations do not need etcd3, an optional peer, to be installed).
 */
export interface EtcdSecurityOptions {
  credentials?: { rootCertificate: Buffer; certChain?: Buffer; privateKey?: Buffer };
  grpcOptions?: Record<string, string>;
  auth?: { username: string; password: string };
}

/**
 * The etcd3 options for TLS and authentication. TLS is on when `tls` is given or the endpoints say
 * `https://` (then with Node's public roots unless `tls.ca`). Auth comes from the `auth` option, else
 * from env `ETCD_USERNAME` and `ETCD_PASSWORD` (both set), the variables go-micro's etcd registry reads.
 */
export function etcdSecurity(
  tls: ClientTlsOptions | undefined,
  httpsEndpoints: boolean,
  auth: EtcdAuth | undefined,
  env: NodeJS.ProcessEnv,
): EtcdSecurityOptions {
  const out: EtcdSecurityOptions = {};
  if (tls !== undefined || httpsEndpoints) {
    const { ca, cert, key, serverName } = readClientTls(tls ?? {}, 'etcdRegistry: tls');
    // etcd3 hands these to grpc-js createSsl, for which a missing CA means the public roots.
    out.credentials = { rootCertificate: ca as Buffer, ...(cert ? { certChain: cert, privateKey: key as Buffer } : {}) };
    // Sent as SNI and verified instead of the endpoint's host: an IP as SNI makes Node print DEP0123.
    if (serverName) out.grpcOptions = { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName };
  }
  const given = auth ?? (env.ETCD_USERNAME && env.ETCD_PASSWORD ? { username: env.ETCD_USERNAME, password: env.ETCD_PASSWORD } : undefined);
  if (given !== undefined) {
    if (typeof given !== 'object' || given === null) throw new TypeError(`etcdRegistry: auth must be { username, password }, got ${describe(given)}`);
    for (const k of ['username', 'password'] as const) {
      if (typeof given[k] !== 'string' || given[k] === '') throw new TypeError(`etcdRegistry: auth.${k} must be a non-empty string, got ${describe(given[k])}`);
    }
    out.auth = { username: given.username, password: given.password };
  }
  return out;
}

/**
 * `err` with a hint when etcd's own words do not say what to fix: a permission error without a user
 * (auth is on), or a TLS connection that failed with no reason while no client certificate was given.
 */
export function explainEtcdError(err: unknown, security: EtcdSecurityOptions): unknown {
  if (!(err instanceof Error)) return err;
  let hint: string | undefined;
  if (/permission denied/i.test(err.message)) {
    hint = security.auth === undefined
      ? 'etcd has auth enabled and no user was given: set the auth option or ETCD_USERNAME and ETCD_PASSWORD'
      : `etcd user ${JSON.stringify(security.auth.username)} lacks read-write permission on the registry prefix`;
  } else if (security.credentials !== undefined && /No connection established\. Last error: (null|Failed to connect)/.test(err.message)) {
    // grpc-js lost the TLS error (etcd3 retried on a fresh connection): say what to check.
    hint = security.credentials.certChain === undefined
      ? 'the TLS connection failed: if etcd runs with --client-cert-auth, give tls.cert and tls.key'
      : 'the TLS connection failed: check that tls.ca signed etcd\'s certificate and that it names tls.serverName';
  }
  if (hint === undefined) return err;
  return Object.assign(new Error(`${err.message} (${hint})`, { cause: err }), { code: (err as { code?: unknown }).code });
}
