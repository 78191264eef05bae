import { registryFromFlags } from '../registry-flags';
import { createGateway } from '../../gateway/gateway';
import { positiveFlag } from '../flag-values';
import { protoOptions, PROTO_FLAGS } from '../proto-flags';
import { startWeb } from '../../web/web';
import { UsageError, type Command } from '../command';

/**
 * `keel web [--address host:port] [--jaeger URL]`: the dashboard, until Ctrl-C. Its call form goes through
 * `retry, leastLoaded, breaker (per node), tracing` — behind `rateLimit(--rate)` when given — and the page
 * shows those wrappers' state live.
 */
export const web: Command = {
  name: 'web',
  summary: 'a dashboard in the browser: services, nodes, health, endpoints, calls, circuits (until Ctrl-C)',
  usage: '',
  flags: [
    { name: 'address', help: 'host:port to serve the dashboard on (:port for every interface)', default: '127.0.0.1:8082' },
    { name: 'jaeger', help: 'Jaeger UI base URL: trace ids link to <jaeger>/trace/<id>' },
    { name: 'allowed_host', help: 'a host name the dashboard answers to besides IP addresses, localhost and this host\'s name, repeatable', repeated: true },
    { name: 'rate', help: 'calls/s the call form may make (a token bucket; shown on the page)' },
    { name: 'timeout', help: 'deadline of each call, in ms', default: '5000' },
    ...PROTO_FLAGS,
  ],
  async run({ positional, flags }, io) {
    if (positional.length > 0) throw new UsageError(`web takes no arguments, got ${JSON.stringify(positional[0])}`);
    const timeoutMs = positiveFlag(flags, 'timeout') ?? 5000;
    const rate = positiveFlag(flags, 'rate');
    const registry = registryFromFlags(flags, io);
    // The form's calls go through keel's API gateway (the same code as `keel api`), whose wrappers' state the page shows.
    const gateway = createGateway({
      registry, timeoutMs, ...protoOptions(flags),
      ...(rate === undefined ? {} : { rateLimit: { ratePerSecond: rate } }),
    });
    try {
      const dashboard = await startWeb({
        registry,
        gateway,
        ...(typeof flags.address === 'string' ? { address: flags.address } : {}),
        ...(typeof flags.jaeger === 'string' ? { jaeger: flags.jaeger } : {}),
        ...(Array.isArray(flags.allowed_host) ? { allowedHosts: flags.allowed_host } : {}),
      });
      io.stdout.write(flags.json ? `${JSON.stringify({ url: dashboard.url, address: dashboard.address, registry: registry.kind })}\n`
        : `keel web: ${dashboard.url} (registry ${registry.kind}); Ctrl-C stops\n`);
      await new Promise<void>((resolve) => {
        if (io.signal.aborted) resolve();
        else io.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      await dashboard.close();
    } finally {
      await gateway.close();
      await registry.close();
    }
    return 0;
  },
};
