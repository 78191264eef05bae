import { readFileSync } from 'node:fs';
import { credentials, ServerCredentials, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { describe } from './address';

/**
 * A certificate, key or CA bundle: PEM text (a string containing `-----BEGIN`, or a Buffer), or else a
 * file path, read once when the client, server or registry is created (so a missing file fails there).
 */
export type Pem = string | Buffer;

/** TLS for a keel client. */
export interface ClientTlsOptions {
  /** CA certificate(s) that signed the servers' certificates. Default: Node's bundled public roots. */
  ca?: Pem;
  /** Client certificate chain for mutual TLS; with `key`. Default: none (the client shows no certificate). */
  cert?: Pem;
  /** The client certificate's private key; with `cert`. */
  key?: Pem;
  /**
   * The name each server's certificate must carry (DNS SAN), also sent as SNI and as the `:authority`.
   * Registries hold IP addresses, which are no good as a TLS server name (RFC 6066, Node's DEP0123), so
   * every node of a service is verified against one name. Default: the service name given to `createClient`.
   */
  serverName?: string;
}

/** TLS for a keel server. */
export interface ServerTlsOptions {
  /** The server's certificate chain. Required. */
  cert: Pem;
  /** Its private key. Required. */
  key: Pem;
  /** CA certificate(s) that clients' certificates must chain to. Default: none (no client certificates). */
  ca?: Pem;
  /** Require a client certificate signed by `ca` (mutual TLS); `false`: ask for none. Default: true when `ca` is given. */
  requireClientCert?: boolean;
}

const CLIENT_KEYS = ['ca', 'cert', 'key', 'serverName'];
const SERVER_KEYS = ['cert', 'key', 'ca', 'requireClientCert'];

/** PEM text from `value` (see `Pem`), as a Buffer; throws naming `option` (and the path) when it is none. */
export function readPem(value: unknown, option: string): Buffer {
  let pem: Buffer;
  if (Buffer.isBuffer(value)) {
    pem = value;
  } else if (typeof value === 'string' && value.includes('-----BEGIN')) {
    pem = Buffer.from(value);
  } else if (typeof value === 'string' && value.trim() !== '') {
    try {
      pem = readFileSync(value);
    } catch (err) {
      throw new TypeError(`${option}: cannot read ${JSON.stringify(value)}: ${(err as Error).message}`);
    }
  } else {
    throw new TypeError(`${option} must be PEM text (a string or Buffer) or a file path, got ${describe(value)}`);
  }
  if (!pem.includes('-----BEGIN')) throw new TypeError(`${option} is not PEM (no "-----BEGIN" line)${typeof value === 'string' ? ` in ${value}` : ''}`);
  return pem;
}

function checkKeys(tls: unknown, allowed: string[], option: string): Record<string, unknown> {
  if (typeof tls !== 'object' || tls === null || Array.isArray(tls) || Buffer.isBuffer(tls)) {
    throw new TypeError(`${option} must be an object like { ca, cert, key }, got ${describe(tls)}`);
  }
  for (const key of Object.keys(tls)) {
    if (!allowed.includes(key)) throw new TypeError(`${option}: unknown option "${key}" (known: ${allowed.join(', ')})`);
  }
  return tls as Record<string, unknown>;
}

/** The client certificate and key: both or neither. */
function keyPair(tls: Record<string, unknown>, option: string): { cert: Buffer; key: Buffer } | undefined {
  if (tls.cert === undefined && tls.key === undefined) return undefined;
  if (tls.cert === undefined || tls.key === undefined) throw new TypeError(`${option}: cert and key go together; got only ${tls.cert === undefined ? 'key' : 'cert'}`);
  return { cert: readPem(tls.cert, `${option}.cert`), key: readPem(tls.key, `${option}.key`) };
}

/**
 * Validated client TLS files, read once; shared by keel clients and the registries' clients (for a registry
 * of your own that takes `ClientTlsOptions`). Errors are TypeErrors naming `option` (`${option}.ca`, …).
 */
export function readClientTls(tls: unknown, option: string): { ca?: Buffer; cert?: Buffer; key?: Buffer; serverName?: string } {
  const t = checkKeys(tls, CLIENT_KEYS, option);
  const serverName = t.serverName;
  if (serverName !== undefined && (typeof serverName !== 'string' || serverName.trim() === '')) {
    throw new TypeError(`${option}.serverName must be a non-empty string, got ${describe(serverName)}`);
  }
  return {
    ...(t.ca === undefined ? {} : { ca: readPem(t.ca, `${option}.ca`) }),
    ...keyPair(t, option),
    ...(serverName === undefined ? {} : { serverName }),
  };
}

/**
 * A client's channel credentials and options from its `tls`, `credentials` and `channelOptions`
 * options (at most one of `tls` and `credentials`). With `tls`, every channel verifies the server's
 * certificate against `serverName` (default: the service name) rather than the node's IP address.
 * `channelOptions` given by the caller win over the ones set here. Errors name `createClient: tls`.
 * @example const { credentials, channelOptions } = clientChannel({ ca: 'ca.pem' }, undefined, undefined, 'items');
 */
export function clientChannel(
  tls: unknown,
  given: ChannelCredentials | undefined,
  channelOptions: ChannelOptions | undefined,
  serviceName: string,
): { credentials: ChannelCredentials; channelOptions: ChannelOptions } {
  if (tls === undefined) return { credentials: given ?? credentials.createInsecure(), channelOptions: channelOptions ?? {} };
  if (given !== undefined) throw new TypeError('createClient: give tls or credentials, not both');
  const { ca, cert, key, serverName = serviceName } = readClientTls(tls, 'createClient: tls');
  return {
    credentials: credentials.createSsl(ca ?? null, key ?? null, cert ?? null),
    // grpc-js sends this name as SNI and checks the certificate against it; without it, it would use
    // the node's IP (Node then prints DEP0123 and the certificate needs an IP SAN per node).
    channelOptions: { 'grpc.ssl_target_name_override': serverName, 'grpc.default_authority': serverName, ...channelOptions },
  };
}

/** A server's credentials from its `tls` or `credentials` option (at most one). Default: insecure. */
export function serverCredentials(tls: unknown, given: ServerCredentials | undefined): ServerCredentials {
  if (tls === undefined) return given ?? ServerCredentials.createInsecure();
  if (given !== undefined) throw new TypeError('createServer: give tls or credentials, not both');
  const t = checkKeys(tls, SERVER_KEYS, 'createServer: tls');
  if (t.cert === undefined || t.key === undefined) throw new TypeError('createServer: tls needs cert and key');
  const ca = t.ca === undefined ? null : readPem(t.ca, 'createServer: tls.ca');
  const require = t.requireClientCert ?? ca !== null;
  if (typeof require !== 'boolean') throw new TypeError(`createServer: tls.requireClientCert must be a boolean, got ${describe(require)}`);
  if (require && ca === null) throw new TypeError('createServer: tls.requireClientCert needs tls.ca, the CA that signs client certificates');
  return ServerCredentials.createSsl(ca, [{ cert_chain: readPem(t.cert, 'createServer: tls.cert'), private_key: readPem(t.key, 'createServer: tls.key') }], require);
}
