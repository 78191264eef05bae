import { createGateway } from '../../gateway/gateway';
import { parseListenAddress } from '../../http-listener';
import { bearerToken } from '../../gateway/guard';
import { positiveFlag } from '../flag-values';
import { protoOptions, PROTO_FLAGS } from '../proto-flags';
import { registryFromFlags } from '../registry-flags';
import { UsageError, type Command } from '../command';
import { asUsageError, listenOn, rateOption, untilAborted } from '../serve-gateway';

/** Where `keel api` listens unless told: this machine only (Micro's `:8080` is every interface). */
export const API_DEFAULT_ADDRESS = '127.0.0.1:8080';

/**
 * `keel api --address host:port`: the HTTP API gateway (Micro API's `micro api`) in front of the registry's
 * services, until Ctrl-C. Prints the bound address (`--json`: `{"address": "…"}`) once it listens. Listens on
 * loopback unless `--address` says otherwise; listening on every interface is said on stderr at start, with
 * whether a token guards it (`--token`, or `KEEL_API_TOKEN` to keep it out of the process list).
 */
export const api: Command = {
  name: 'api',
  summary: 'serve the HTTP API gateway: POST /rpc and POST /<service>/<Service>/<Method> (until Ctrl-C)',
  usage: '',
  flags: [
    { name: 'address', help: 'where to listen, host:port (":8080": every interface: see --token)', default: API_DEFAULT_ADDRESS },
    { name: 'token', help: 'require Authorization: Bearer <token> on every request (or set KEEL_API_TOKEN); at least 16 characters' },
    { name: 'allow_origin', help: 'an origin whose pages may call (https://app.example.com), repeatable; other sites are refused', repeated: true },
    { name: 'timeout', help: 'deadline of a call in ms; a request may ask for less with a Timeout header (seconds)', default: '5000' },
    { name: 'max_body', help: 'largest request body in bytes (larger: 413)', default: '1048576' },
    { name: 'rate', help: 'calls per second across the gateway (over it: 429); default unlimited' },
    ...PROTO_FLAGS,
  ],
  async run({ positional, flags }, io) {
    if (positional.length > 0) throw new UsageError('api takes no arguments');
    const address = typeof flags.address === 'string' ? flags.address : API_DEFAULT_ADDRESS;
    const token = typeof flags.token === 'string' ? flags.token : io.env.KEEL_API_TOKEN || undefined;
    const origins = (flags.allow_origin as string[] | undefined) ?? [];
    const registry = registryFromFlags(flags, io);
    const gateway = (() => {
      try {
        return createGateway({
          registry,
          timeoutMs: positiveFlag(flags, 'timeout') ?? 5000,
          maxBodyBytes: positiveFlag(flags, 'max_body') ?? 1024 * 1024,
          ...rateOption(flags),
          ...protoOptions(flags),
          ...(token !== undefined ? { authorize: bearerToken(token), forwardAuthorization: false } : {}),
          ...(origins.length > 0 ? { allowedOrigins: origins } : {}),
        });
      } catch (err) {
        throw asUsageError(err, 'createGateway');
      }
    })();
    try {
      const bound = await listenOn(gateway, address);
      const notice = startNotice(address, typeof flags.address === 'string', token !== undefined);
      if (notice !== undefined) io.stderr.write(`${notice}\n`);
      io.stdout.write(flags.json === true ? `${JSON.stringify({ address: bound })}\n` : `keel api listening on http://${bound}\n`);
      await untilAborted(io.signal);
      return 0;
    } finally {
      await gateway.close();
      await registry.close();
    }
  },
};

const isWildcard = (host: string): boolean => host === '' || host === '0.0.0.0' || host === '::' || host === '[::]';

/**
 * What `keel api` says on stderr at start about who can reach it: on every interface, that anyone can (with the
 * token, when there is one); on the default address, that the default is loopback now (Micro's was every interface).
 */
export function startNotice(address: string, given: boolean, token: boolean): string | undefined {
  if (isWildcard(parseListenAddress(address).host)) {
    return `keel api: listening on every interface (${address}): anyone who can reach this host ` +
      (token ? 'with the token can call every registered service.' : 'can call every registered service (no --token). Use --address 127.0.0.1:8080 to keep it local.');
  }
  if (!given) return `keel api: listening on this machine only (${address}, the default); --address :8080 listens on every interface.`;
  return undefined;
}
