import type { AgentOptions } from 'node:https';
import { readClientTls } from '../../tls';
import type { ClientTlsOptions } from '../../tls';

/**
 * How to reach Consul over HTTPS, from the `tls` option or, as Consul's own CLI reads them, from
 * `CONSUL_HTTP_SSL`, `CONSUL_CACERT`, `CONSUL_CLIENT_CERT`, `CONSUL_CLIENT_KEY` and
 * `CONSUL_TLS_SERVER_NAME`. The option replaces the variables as a whole (no mixing of the two).
 * HTTPS is used when the address says `https://`, `CONSUL_HTTP_SSL` is true, or `tls` is given;
 * the certificate variables alone do not switch to HTTPS (as with the Consul CLI).
 */
export function consulTls(
  tls: ClientTlsOptions | undefined,
  scheme: 'http' | 'https' | undefined,
  env: NodeJS.ProcessEnv,
): { secure: boolean; agent: AgentOptions } {
  const where = 'consulRegistry: tls';
  if (tls !== undefined && scheme === 'http') throw new TypeError(`${where} was given but the address says http://`);
  const sslEnv = (env.CONSUL_HTTP_SSL ?? '').trim().toLowerCase();
  const secure = scheme === 'https' || tls !== undefined || (scheme === undefined && ['1', 'true', 't', 'yes'].includes(sslEnv));
  if (!secure) return { secure, agent: {} };
  const fromEnv: ClientTlsOptions = {};
  if (tls === undefined) {
    if (env.CONSUL_CACERT) fromEnv.ca = env.CONSUL_CACERT;
    if (env.CONSUL_CLIENT_CERT) fromEnv.cert = env.CONSUL_CLIENT_CERT;
    if (env.CONSUL_CLIENT_KEY) fromEnv.key = env.CONSUL_CLIENT_KEY;
    if (env.CONSUL_TLS_SERVER_NAME) fromEnv.serverName = env.CONSUL_TLS_SERVER_NAME;
  }
  const read = readClientTls(tls ?? fromEnv, tls === undefined ? 'consulRegistry: CONSUL_CACERT/CONSUL_CLIENT_CERT/CONSUL_CLIENT_KEY' : where);
  // Node verifies an IP address against the certificate's IP SANs without sending it as SNI (no DEP0123);
  // a serverName is both sent and checked.
  return { secure, agent: { ...(read.ca ? { ca: read.ca } : {}), ...(read.cert ? { cert: read.cert, key: read.key } : {}), ...(read.serverName ? { servername: read.serverName } : {}) } };
}
