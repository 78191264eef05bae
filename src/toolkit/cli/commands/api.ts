import { createGateway } from '../../gateway/gateway';
import { registryFromFlags } from '../registry-flags';
import { UsageError, type Command } from '../command';
import type { Flags } from '../flags';

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
    { name: 'proto', help: '.proto file for services without server reflection', repeated: true },
    { name: 'proto_path', help: 'import path for --proto files', repeated: true },
  ],
  async run({ positional, flags }, io) {
    if (positional.length > 0) throw new UsageError('api takes no arguments');
    const address = typeof flags.address === 'string' ? flags.address : ':8080';
    const registry = registryFromFlags(flags, io);
    const rate = numberFlag(flags, 'rate');
    const gateway = (() => {
      try {
        return createGateway({
          registry,
          timeoutMs: numberFlag(flags, 'timeout') ?? 5000,
          maxBodyBytes: numberFlag(flags, 'max_body') ?? 1024 * 1024,
          ...(rate !== undefined ? { rateLimit: { ratePerSecond: rate } } : {}),
          ...(Array.isArray(flags.proto) ? { protoFiles: flags.proto } : {}),
          ...(Array.isArray(flags.proto_path) ? { protoPaths: flags.proto_path } : {}),
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

function numberFlag(flags: Flags, name: string): number | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got ${JSON.stringify(value)}`);
  return n;
}

