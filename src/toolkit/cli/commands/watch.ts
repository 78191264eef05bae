import { type Registry, type ServiceNode } from '../../library';
import { UsageError, type Command, type Io } from '../command';
import { msFlag } from '../flag-values';
import { nodeChanges, type NodeChange } from '../node-changes';
import { paint, type Paint } from '../output';
import { registryFromFlags } from '../registry-flags';

/**
 * `keel watch [service]`: registry changes live — nodes `present` when the watch starts, then `joined`,
 * `left`, `changed` — until Ctrl-C. Without a service, every service: `listServices` polled every
 * `--interval` ms, and each name found watched through the registry's own watch (which also reports
 * the nodes leaving a service that then drops off the list).
 */
export const watch: Command = {
  name: 'watch',
  summary: 'print registry changes (node joined / left / changed) until Ctrl-C',
  usage: '[service]',
  flags: [{ name: 'interval', help: 'without a service: how often to look for new services, in ms', default: '1000' }],
  async run({ positional, flags }, io) {
    const [service, ...extra] = positional;
    if (extra.length > 0) throw new UsageError('watch takes at most one service name');
    const intervalMs = msFlag(flags, 'interval') ?? 1000;
    if (service !== undefined && flags.interval !== undefined) throw new UsageError('--interval is only used when watching every service');
    const registry = registryFromFlags(flags, io);
    const print = printer(io, flags.json === true);
    const stops: Array<() => void> = [];
    const watched = new Set<string>();
    /** `late`: a service found after the watch started, whose nodes have joined (not been present) since. */
    const follow = (name: string, late = false): void => {
      if (watched.has(name)) return;
      watched.add(name);
      let last: ServiceNode[] | undefined = late ? [] : undefined;
      stops.push(registry.watch(name, (nodes) => {
        for (const change of nodeChanges(last, nodes)) print(name, change);
        last = nodes;
      }));
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      if (service !== undefined) follow(service);
      else await poll(registry, follow, io, intervalMs, (t) => (timer = t));
      // The registries' timers and sockets are unref'd (they never hold a program open): this does, until Ctrl-C.
      const keepAlive = setInterval(() => undefined, 2 ** 30);
      if (!io.signal.aborted) await new Promise((resolve) => io.signal.addEventListener('abort', resolve, { once: true }));
      clearInterval(keepAlive);
      return 0;
    } finally {
      clearTimeout(timer);
      for (const stop of stops) stop();
      await registry.close();
    }
  },
};

/** Looks for new services now (failing the command if the registry cannot be read at all) and then every `intervalMs`. */
async function poll(registry: Registry, follow: (name: string, late: boolean) => void, io: Io, intervalMs: number, setTimer: (t: NodeJS.Timeout) => void): Promise<void> {
  for (const name of await registry.listServices()) follow(name, false);
  const again = (): void => {
    if (io.signal.aborted) return;
    registry.listServices().then((names) => names.forEach((name) => follow(name, true)), (err: Error) => {
      io.stderr.write(`keel watch: listing services failed, trying again: ${err.message}\n`); // a blip must not end the watch
    }).finally(() => !io.signal.aborted && setTimer(setTimeout(again, intervalMs)));
  };
  setTimer(setTimeout(again, intervalMs));
}

function printer(io: Io, json: boolean): (service: string, change: NodeChange) => void {
  const p = paint(io);
  return (service, { event, node }) => {
    const time = new Date().toISOString();
    if (json) {
      const { id, address, version, metadata } = node;
      io.stdout.write(`${JSON.stringify({ time, event, service, node: { id, address, version, metadata } })}\n`);
    } else {
      io.stdout.write(`${p.dim(time.slice(11, 23))}  ${colour(event, p)}  ${p.cyan(service)}  ${node.id}  ${node.address}  ${node.version}\n`);
    }
  };
}

function colour(event: NodeChange['event'], p: Paint): string {
  const padded = event.padEnd(7);
  return event === 'joined' ? p.green(padded) : event === 'left' ? p.red(padded) : event === 'changed' ? p.yellow(padded) : padded;
}
