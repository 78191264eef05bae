import { registryFromFlags } from '../registry-flags';
import { createGateway } from '../../gateway/gateway';
import { startSidecar } from '../../sidecar/sidecar';
import type { GatewayFactory, SidecarEvent, SidecarOptions } from '../../sidecar/options';
import { UsageError, type Command, type Io } from '../command';
import type { Flags, FlagSpec } from '../flags';

/**
 * What `--address` serves: keel's API gateway (`keel api`), calling the app through the registry like any
 * service, so it needs the app's server reflection. It routes the app's service only: the sidecar fronts one
 * app, not the whole registry (any other name is answered 404).
 */
export const sidecarGateway: GatewayFactory = ({ registry, service }) => createGateway({ registry, services: [service] });

const FLAGS: readonly FlagSpec[] = [
  { name: 'name', help: 'the service name to register the app under (required)' },
  { name: 'app', help: "the app's plaintext gRPC host:port (required)" },
  { name: 'advertise', help: 'host:port to register instead of --app', default: '--app' },
  { name: 'version', help: 'the version registered', default: 'latest' },
  { name: 'metadata', help: 'node metadata k=v, repeatable (over protocol=grpc, registry=<kind>, …)', repeated: true },
  { name: 'health_service', help: 'the grpc.health.v1 service checked ("" is the whole server)', default: '""' },
  { name: 'interval', help: 'time between checks', default: '5s' },
  { name: 'check_timeout', help: 'deadline of one check', default: '1s' },
  { name: 'fail_after', help: 'deregister after this many failed checks in a row', default: '2' },
  { name: 'recover_after', help: 'register again after this many passed checks in a row', default: '2' },
  { name: 'register_ttl', help: 'TTL of the registration', default: '30s' },
  { name: 'register_interval', help: 'refresh of the registration, below the TTL', default: '10s' },
  { name: 'address', help: 'host:port to serve the API gateway for the app on', default: 'none' },
];

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** `500ms`, `5s`, `1.5m`, `1h`; a bare number is seconds, as go-micro's `--register_ttl 30`. */
export function parseDuration(value: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  const ms = m ? Number(m[1]) * UNITS[m[2] ?? 's']! : NaN;
  if (!(ms > 0)) throw new UsageError(`--${flag} must be a positive duration like 500ms, 5s or 1m, got ${JSON.stringify(value)}`);
  return ms;
}

function count(value: string, flag: string): number {
  if (!/^[1-9]\d*$/.test(value)) throw new UsageError(`--${flag} must be a whole number >= 1, got ${JSON.stringify(value)}`);
  return Number(value);
}

const OPTION_FLAGS: Record<string, string> = {
  name: 'name', app: 'app', advertise: 'advertise', address: 'address', metadata: 'metadata', healthService: 'health_service',
  registerTtlMs: 'register_ttl', registerIntervalMs: 'register_interval',
};

/** `startSidecar: app must be …` → `--app must be …`: name the flag the person typed. */
function asFlags(message: string): string {
  return message.replace(/^startSidecar: /, '').replace(/\b(name|app|advertise|address|metadata|healthService|registerTtlMs|registerIntervalMs)\b/g,
    (key) => `--${OPTION_FLAGS[key]}`);
}

function text(flags: Flags, name: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : undefined;
}

function describeEvent(e: SidecarEvent, name: string): string | undefined {
  switch (e.type) {
    case 'registered':
      return `registered ${e.id} at ${e.address} (checked by ${e.via === 'health' ? 'grpc.health.v1' : 'TCP connect: the app has no health service'}, ` +
        `${e.endpoints} endpoint${e.endpoints === 1 ? '' : 's'} from reflection)`;
    case 'deregistered':
      return `deregistered ${e.id} from ${name}: ${e.why}`;
    case 'check':
      return `check: ${e.result.passed ? 'passed' : 'failed'} (${e.result.via}: ${e.result.detail})`;
  }
}

/**
 * `keel sidecar --name legacy --app 127.0.0.1:9000`: registers a plain gRPC app under `--name` while
 * grpc.health.v1 (else a TCP connect) says it serves, until Ctrl-C / SIGTERM, which deregisters it. Prints
 * each registration change (every check with --verbose); with --json one JSON object a line.
 */
export function sidecarCommand(options: { gateway?: GatewayFactory } = {}): Command {
  return {
    name: 'sidecar',
    summary: 'register a plain gRPC app (any language) while it is healthy, and serve the gateway for it',
    usage: '--name <service> --app <host:port>',
    flags: FLAGS,
    async run({ positional, flags }, io: Io): Promise<number> {
      if (positional.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positional[0])}`);
      const name = text(flags, 'name');
      const app = text(flags, 'app');
      if (!name) throw new UsageError('--name is required: the service name to register the app under');
      if (!app) throw new UsageError("--app is required: the app's gRPC host:port");
      const address = text(flags, 'address');
      if (address !== undefined && options.gateway === undefined) throw new UsageError('--address: this keel has no gateway built in');
      const metadata: Record<string, string> = {};
      for (const pair of (flags.metadata as string[] | undefined) ?? []) {
        const eq = pair.indexOf('=');
        if (eq <= 0) throw new UsageError(`--metadata takes k=v, got ${JSON.stringify(pair)}`);
        metadata[pair.slice(0, eq)] = pair.slice(eq + 1);
      }
      const ms = (flag: string, fallback: number): number => (text(flags, flag) === undefined ? fallback : parseDuration(text(flags, flag)!, flag));
      const n = (flag: string, fallback: number): number => (text(flags, flag) === undefined ? fallback : count(text(flags, flag)!, flag));
      const registry = registryFromFlags(flags, io);
      const json = flags.json === true;
      const say = (line: string, record: object): void => void io.stdout.write(json ? `${JSON.stringify(record)}\n` : `${line}\n`);
      const sidecarOptions: SidecarOptions = {
        name, app, registry, metadata, address,
        advertise: text(flags, 'advertise'),
        version: text(flags, 'version'),
        healthService: text(flags, 'health_service'),
        intervalMs: ms('interval', 5000),
        checkTimeoutMs: ms('check_timeout', 1000),
        failAfter: n('fail_after', 2),
        recoverAfter: n('recover_after', 2),
        registerTtlMs: ms('register_ttl', 30_000),
        registerIntervalMs: ms('register_interval', 10_000),
        gateway: address === undefined ? undefined : options.gateway,
        signal: io.signal,
        onEvent: (e) => {
          if (e.type === 'check' && flags.verbose !== true) return;
          say(describeEvent(e, name)!, e.type === 'check' ? { type: 'check', ...e.result } : e);
        },
        onError: (err) => void io.stderr.write(`keel sidecar: ${err.message}\n`),
      };
      let sidecar;
      try {
        sidecar = await startSidecar(sidecarOptions);
      } catch (err) {
        await registry.close();
        // Options the flags did not catch (host:port syntax, TTL below the refresh) are usage errors too.
        if (err instanceof RangeError || err instanceof TypeError) throw new UsageError(asFlags(err.message));
        throw err;
      }
      if (!sidecar.registered) say(`waiting for ${app}: ${sidecar.lastCheck?.detail}`, { type: 'waiting', app, detail: sidecar.lastCheck?.detail });
      if (address !== undefined) say(`gateway for ${name} on ${address}`, { type: 'gateway', address });
      await new Promise<void>((resolve) => (io.signal.aborted ? resolve() : io.signal.addEventListener('abort', () => resolve(), { once: true })));
      await sidecar.stop();
      await registry.close();
      say(`stopped: ${name} deregistered`, { type: 'stopped', id: sidecar.id });
      return 0;
    },
  };
}

export const sidecar: Command = sidecarCommand({ gateway: sidecarGateway });
