import { type ClientTlsOptions, readClientTls } from '../library';
import { UsageError } from './command';
import type { Flags, FlagSpec } from './flags';
import { stringFlag } from './registry-flags';

/** TLS to the nodes, for the commands that talk to them (`call`, `describe`, `health`). */
export const TLS_FLAGS: readonly FlagSpec[] = [
  { name: 'tls', help: 'TLS to the nodes, verified against the public roots (or --tls_ca)', boolean: true },
  { name: 'tls_ca', help: 'CA certificate file that signed the nodes\' certificates (implies --tls)' },
  { name: 'tls_cert', help: 'client certificate file, for mutual TLS (with --tls_key)' },
  { name: 'tls_key', help: 'the client certificate\'s key file' },
  { name: 'tls_server_name', help: 'the name the nodes\' certificates carry', default: 'the service name' },
];

const FLAG_OF: Record<string, string> = { ca: '--tls_ca', cert: '--tls_cert', key: '--tls_key', serverName: '--tls_server_name' };

/**
 * The client TLS options of the flags, undefined for plaintext. Files are read here, so a missing or
 * malformed one is a usage error naming its flag.
 */
export function tlsFromFlags(flags: Flags): ClientTlsOptions | undefined {
  const given: Record<string, string> = {};
  for (const [key, flag] of Object.entries(FLAG_OF)) {
    const value = stringFlag(flags, flag.slice(2));
    if (value !== undefined) given[key] = value;
  }
  if (flags.tls !== true && Object.keys(given).length === 0) return undefined;
  if ((given.cert === undefined) !== (given.key === undefined)) throw new UsageError('--tls_cert and --tls_key go together');
  try {
    const read = readClientTls(given, 'tls');
    return Object.fromEntries(Object.entries(read).filter(([, v]) => v !== undefined)) as ClientTlsOptions;
  } catch (err) {
    const message = (err as Error).message.replace(/^tls\.(\w+)/, (_, key: string) => FLAG_OF[key] ?? `tls.${key}`);
    throw new UsageError(message);
  }
}
