import type { RegisterOptions, Registry, ServiceNode } from '../registry';
import { validateNode, validateRegister } from '../validate-node';
import { WatchHub } from '../watch-hub';
import { WatchLoops } from '../watch-loops';
import { DirWatcher } from './dir-watcher';
import { localSettings, type LocalRegistryOptions } from './options';
import { NodeStore } from './store';

export type { LocalRegistryOptions } from './options';

/**
 * The embedded default registry: processes on one host find each other through a shared directory,
 * one JSON file per node (`<dir>/<service>/<node id>.json`) holding its expiry time. Files are written
 * atomically (temp file + rename), so readers never see half a node; watchers hear of changes through
 * `fs.watch` within about 20 ms, with a periodic rescan as a fallback and a timer for the next expiry.
 * No network, no server: works in containers, CI sandboxes and where multicast is blocked.
 *
 * Whoever can write in the directory can register nodes (and so receive calls): by default it is this
 * user's own (`0700`), and a directory another user owns or group/others can write is refused unless
 * `allowSharedDirectory`. Only regular files of at most `maxFileBytes` are read (never a FIFO, socket or
 * device), each only when it changed; every other entry is reported once through `onError`. The registry
 * never follows a symbolic link to a directory (the root or a service's: refused with an error naming it), and
 * removes only what it writes itself: expired node files named for their node, and its own `.…tmp` files.
 * The jobs live beside this file: `options.ts`, `store.ts` (the directory: read, write, sweep), `dir-watcher.ts`
 * (one service's watch), `names.ts`, and the file checks (`node-files.ts`, `service-dir.ts`, `owner.ts`, `private-dir.ts`).
 * @example const registry = localRegistry({ dir: '/run/keel' });
 */
export function localRegistry(options: LocalRegistryOptions = {}): Registry {
  const settings = localSettings(options);
  /** Refused directories already reported: a watcher's rescans must not repeat the report every second. */
  const reported = new Set<string>();
  const report = (err: Error): void => {
    if (reported.has(err.message) || reported.size >= 1024) return;
    reported.add(err.message);
    try {
      settings.onError(err);
    } catch {
      /* a throwing error handler must not stop discovery */
    }
  };
  const store = new NodeStore(settings, settings.onError);
  const hub = new WatchHub();
  const watchers = new WatchLoops(hub);
  const watcherDeps = { store, report, publish: (name: string, nodes: ServiceNode[]) => hub.publish(name, nodes), rescanMs: settings.rescanMs, clock: settings.clock };
  let closed = false;

  return {
    kind: 'local',
    async register(node: ServiceNode, opts: RegisterOptions): Promise<void> {
      const ttlMs = validateRegister(node, opts, 'localRegistry.register');
      await store.write(node, settings.clock.now() + ttlMs);
    },
    async deregister(node: ServiceNode): Promise<void> {
      validateNode(node, 'localRegistry.deregister');
      await store.remove(node);
    },
    async getService(name: string): Promise<ServiceNode[]> {
      return (await store.scan(name)).nodes;
    },
    /** Every service directory that holds a live node (a directory left behind by nodes that are gone is not listed). */
    async listServices(): Promise<string[]> {
      const names = await store.serviceNames();
      const live = await Promise.all(names.map(async (name) => (await store.scan(name).catch((err: Error) => {
        report(err);
        return { nodes: [] };
      })).nodes.length > 0));
      return names.filter((_, i) => live[i]).sort();
    },
    watch(name: string, onChange: (nodes: ServiceNode[]) => void): () => void {
      if (closed) throw new Error('localRegistry: watch after close');
      return watchers.subscribe(name, onChange, () => new DirWatcher(name, watcherDeps));
    },
    async close(): Promise<void> {
      closed = true;
      watchers.close();
    },
  };
}
