import { createGateway } from '../../gateway/gateway';
import { positiveFlag } from '../flag-values';
import { protoOptions, PROTO_FLAGS } from '../proto-flags';
import { registryFromFlags } from '../registry-flags';
import { UsageError, type Command } from '../command';

/**
 * `keel api --address host:port`: the HTTP API gateway (Micro API's `micro api`) in front of the registry's
 * services, until Ctrl-C. Prints the bound address (`--json`: `{"address": "…"}`) once it listens.
 */
export const api: Command = {
  name: 'api',
  summary: 'serve the HTTP API gateway: POST /rpc and POST /<service>/<Service>/<Method> (until Ctrl-C)',
  usage: '',
  flags: [
    { name: 'address', help: 'where to listen, host:port (":8080": every interface)', default: ':8080' },
    { name: 'timeout', help: 'deadline of a call in ms; a request may ask for less with a Timeout header (seconds)', default: '5000' },
    { name: 'max_body', help: 'largest request body in bytes (larger: 413)', default: '1048576' },
    { name: 'rate', help: 'calls per second across the gateway (over it: 429); default unlimited' },
    ...PROTO_FLAGS,
  ],
  async run({ positional, flags }, io) {
    if (positional.length > 0) throw new UsageError('api takes no arguments');
    const address = typeof flags.address === 'string' ? flags.address : ':8080';
    const registry = registryFromFlags(flags, io);
    const rate = positiveFlag(flags, 'rate');
    const gateway = (() => {
      try {
        return createGateway({
          registry,
          timeoutMs: positiveFlag(flags, 'timeout') ?? 5000,
          maxBodyBytes: positiveFlag(flags, 'max_body') ?? 1024 * 1024,
          ...(rate !== undefined ? { rateLimit: { ratePerSecond: rate } } : {}),
          ...protoOptions(flags),
        });
      } catch (err) {
        if (err instanceof RangeError || err instanceof TypeError) throw new UsageError(err.message.replace(/^createGateway: /, ''));
        throw err;
      }
    })();
    try {
      let bound: string;
      try {
        bound = await gateway.listen(address);
      } catch (err) {
        if (err instanceof RangeError) throw new UsageError(`--address: ${err.message}`);
        throw err;
      }
      io.stdout.write(flags.json === true ? `${JSON.stringify({ address: bound })}\n` : `keel api listening on http://${bound}\n`);
      if (!io.signal.aborted) await new Promise((resolve) => io.signal.addEventListener('abort', resolve, { once: true }));
      return 0;
    } finally {
      await gateway.close();
      await registry.close();
    }
  },
};
