import { watch as watchDir, type FSWatcher } from 'node:fs';
import { lstat, mkdir, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { boolean, integer, knownKeys, optionalFunction, positiveMs } from '../options';
import { NodeFiles } from './local/node-files';
import { judgeable, ownerIsGone, thisProcess } from './local/owner';
import { defaultRegistryDir, ensurePrivateDir } from './local/private-dir';
import { checkServiceDir, isNodeFileOf, TEMP_FILE } from './local/service-dir';
import { systemClock, type Clock, type RegisterOptions, type Registry, type ServiceNode } from './registry';
import { copyNode, validateNode, validateRegister } from './validate-node';
import { WatchHub } from './watch-hub';

export interface LocalRegistryOptions {
  /**
   * The directory the processes share. Default: this user's own, `$XDG_RUNTIME_DIR/keel-registry`, else
   * `<os tmpdir>/keel-registry-<uid>` (env `MICRO_REGISTRY_ADDRESS` via `registryFromEnv`). Created `0700`.
   */
  dir?: string;
  /**
   * Accept a directory owned by another user or writable by group/others. Anyone who can write there can
   * register nodes and receive the calls of every client using it: only for a directory shared on purpose.
   * Default false: such a directory is refused at construction with an error naming it.
   */
  allowSharedDirectory?: boolean;
  /** Node files larger than this are not read (and reported once). Default 65536 (a node is ~300 bytes plus metadata). */
  maxFileBytes?: number;
  /** Entries that are not node files (wrong type, too big, malformed), each reported once. Default: printed to stderr. */
  onError?: (err: Error) => void;
  /** Rescan period, the fallback for missed file events. Default 1000; 100 when file events are unavailable. */
  rescanIntervalMs?: number;
  /** Expired files are deleted once this long past their expiry (a live owner refreshes long before). Default 60000. */
  sweepAfterMs?: number;
  /** Time source for expiry. Default: `Date.now`. */
  clock?: Clock;
}

/** Debounce for bursts of file events: one rescan for many writes. */
const EVENT_DEBOUNCE_MS = 15;
const FALLBACK_POLL_MS = 100;
/**
 * How often a watcher looks again while a live node's process runs on this host: a killed process cannot
 * deregister, and only a scan sees that its pid is gone (a readdir, an lstat per file and a /proc read per
 * node: unchanged files are not re-read).
 */
const LIVENESS_MS = 250;

/**
 * File-system-safe name. A leading dot is escaped too: `.` and `..` must not become path components,
 * and names starting with a dot are reserved for temp files.
 */
const encode = (s: string): string => encodeURIComponent(s).replace(/^\./, '%2E');
/** The inverse of `encode`; undefined for a directory name `encode` would not have produced. */
const decode = (file: string): string | undefined => {
  try {
    const name = decodeURIComponent(file);
    return encode(name) === file ? name : undefined;
  } catch {
    return undefined;
  }
};

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
 * @example const registry = localRegistry({ dir: '/run/keel' });
 */
export function localRegistry(options: LocalRegistryOptions = {}): Registry {
  knownKeys(options, ['dir', 'allowSharedDirectory', 'maxFileBytes', 'onError', 'rescanIntervalMs', 'sweepAfterMs', 'clock'], 'localRegistry');
  if (options.dir !== undefined && (typeof options.dir !== 'string' || options.dir === '')) {
    throw new TypeError('localRegistry: dir must be a non-empty path');
  }
  const allowShared = boolean(options.allowSharedDirectory ?? false, 'localRegistry: allowSharedDirectory');
  const maxFileBytes = integer(options.maxFileBytes ?? 65_536, 'localRegistry: maxFileBytes', 1);
  const onError = optionalFunction(options.onError, 'localRegistry: onError') ?? ((err: Error) => console.error(err.message));
  const rescanMs = positiveMs(options.rescanIntervalMs ?? 1000, 'localRegistry: rescanIntervalMs');
  const sweepAfterMs = positiveMs(options.sweepAfterMs ?? 60_000, 'localRegistry: sweepAfterMs');
  const clock = options.clock ?? systemClock;
  const root = options.dir ?? defaultRegistryDir();
  ensurePrivateDir(root, allowShared);
  /** Service directories: private like the root unless sharing was asked for (then the umask decides). */
  const dirMode = allowShared ? 0o777 : 0o700;
  const files = new NodeFiles(maxFileBytes, onError);
  const hub = new WatchHub();
  const watchers = new Map<string, DirWatcher>();
  let seq = 0;
  let closed = false;
  /** Refused directories already reported: a watcher's rescans must not repeat the report every second. */
  const reported = new Set<string>();
  const report = (err: Error): void => {
    if (reported.has(err.message) || reported.size >= 1024) return;
    reported.add(err.message);
    try {
      onError(err);
    } catch {
      /* a throwing error handler must not stop discovery */
    }
  };

  const serviceDir = (name: string): string => join(root, encode(name));
  /** The service's directory, checked (a real directory of ours), created when `create`; undefined when missing. */
  async function checkedDir(name: string, create: boolean): Promise<string | undefined> {
    const dir = serviceDir(name);
    if (await checkServiceDir(dir, allowShared)) return dir;
    if (!create) return undefined;
    await mkdir(dir, { recursive: true, mode: dirMode });
    await checkServiceDir(dir, allowShared); // what is there now, whoever made it
    return dir;
  }

  /**
   * Reads the live nodes of a service, sweeping long-expired files; also returns the next expiry, and whether
   * a live node's process runs on this host (then watchers look again every LIVENESS_MS, to see it die).
   */
  async function scan(name: string): Promise<{ nodes: ServiceNode[]; nextExpiry: number; local?: boolean }> {
    const dir = await checkedDir(name, false);
    if (dir === undefined) return { nodes: [], nextExpiry: Infinity };
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { nodes: [], nextExpiry: Infinity };
      throw err;
    }
    const now = clock.now();
    const nodes: ServiceNode[] = [];
    let nextExpiry = Infinity;
    const [records] = await Promise.all([
      files.read(dir, names),
      ...names.filter((file) => TEMP_FILE.test(file)).map((file) => sweepTemp(join(dir, file), now)),
    ]);
    const sweeps: Promise<void>[] = [];
    let local = false;
    for (const { node, expiresAt, path, owner } of records) {
      // A node whose process is gone (killed: no deregistration) leaves at the next scan, not at its TTL.
      if (expiresAt > now && (owner === undefined || !ownerIsGone(owner))) {
        nodes.push(node);
        local ||= owner !== undefined && judgeable(owner);
        nextExpiry = Math.min(nextExpiry, expiresAt);
      } else if (now - expiresAt > sweepAfterMs && node.name === name && isNodeFileOf(basename(path), node.id, encode)) {
        // Only a file keel itself would have written for this node: never one that merely looks like a node.
        sweeps.push(unlink(path).catch(() => undefined));
      }
    }
    await Promise.all(sweeps);
    return { nodes, nextExpiry, local };
  }

  // A writer that crashed between write and rename leaves a temp file behind (a regular file: lstat, no link followed).
  async function sweepTemp(path: string, now: number): Promise<void> {
    try {
      const st = await lstat(path);
      if (st.isFile() && now - st.mtimeMs > sweepAfterMs) await unlink(path);
    } catch {
      /* already gone */
    }
  }

  class DirWatcher {
    private fsWatcher: FSWatcher | undefined;
    private timer: NodeJS.Timeout | undefined;
    private scanning = false;
    private rescan = false;
    private stopped = false;
    private pollMs = rescanMs;

    constructor(private readonly name: string) {
      void this.start();
    }

    private async start(): Promise<void> {
      let dir: string | undefined;
      try {
        dir = await checkedDir(this.name, true);
      } catch (err) {
        // Refused (a link, another user's): reported, never watched; rescans keep the answer (an empty list).
        report(err as Error);
      }
      try {
        if (this.stopped) return;
        if (dir !== undefined) {
          this.fsWatcher = watchDir(dir, { persistent: false }, () => this.soon(EVENT_DEBOUNCE_MS));
          this.fsWatcher.on('error', () => this.withoutEvents());
        }
      } catch {
        this.withoutEvents();
      }
      void this.run();
    }

    /** File events are unavailable (inotify limit, odd file system): poll fast instead. */
    private withoutEvents(): void {
      this.fsWatcher?.close();
      this.fsWatcher = undefined;
      this.pollMs = Math.min(rescanMs, FALLBACK_POLL_MS);
      this.soon(0);
    }

    private soon(delayMs: number): void {
      if (this.stopped) return;
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.run(), delayMs);
      this.timer.unref();
    }

    private async run(): Promise<void> {
      this.timer = undefined;
      if (this.stopped) return;
      if (this.scanning) {
        this.rescan = true;
        return;
      }
      this.scanning = true;
      let next = this.pollMs;
      try {
        const { nodes, nextExpiry, local } = await scan(this.name);
        if (!this.stopped) hub.publish(this.name, nodes);
        next = Math.min(next, Math.max(1, nextExpiry - clock.now() + 1), local ? LIVENESS_MS : Infinity);
      } catch (err) {
        // The directory could not be read: keep the last list (registry contract) and try again later.
        report(err as Error);
      } finally {
        this.scanning = false;
      }
      if (this.rescan) {
        this.rescan = false;
        next = 0;
      }
      if (this.timer === undefined) this.soon(next);
    }

    stop(): void {
      this.stopped = true;
      files.forget(serviceDir(this.name));
      this.fsWatcher?.close();
      if (this.timer !== undefined) clearTimeout(this.timer);
    }
  }

  async function write(node: ServiceNode, expiresAt: number): Promise<void> {
    let dir = (await checkedDir(node.name, true))!;
    const temp = (): string => join(dir, `.${encode(node.id)}.${process.pid}.${seq++}.tmp`);
    // copyNode: the fields keel reads back (endpoints are for go-micro readers, which have no local registry).
    const body = JSON.stringify({ node: copyNode(node), expiresAt, owner: thisProcess() });
    // `wx`: never through a link or over a file someone planted under the temp name.
    let path = temp();
    try {
      await writeFile(path, body, { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      dir = (await checkedDir(node.name, true))!; // removed meanwhile (a sweep of the whole registry): made again
      await writeFile((path = temp()), body, { flag: 'wx' });
    }
    await rename(path, join(dir, `${encode(node.id)}.json`));
  }

  return {
    kind: 'local',
    async register(node: ServiceNode, opts: RegisterOptions): Promise<void> {
      const ttlMs = validateRegister(node, opts, 'localRegistry.register');
      await write(node, clock.now() + ttlMs);
    },
    async deregister(node: ServiceNode): Promise<void> {
      validateNode(node, 'localRegistry.deregister');
      const dir = await checkedDir(node.name, false);
      if (dir === undefined) return;
      await unlink(join(dir, `${encode(node.id)}.json`)).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
    },
    async getService(name: string): Promise<ServiceNode[]> {
      return (await scan(name)).nodes;
    },
    /** Every service directory that holds a live node (a directory left behind by nodes that are gone is not listed). */
    async listServices(): Promise<string[]> {
      let dirs: string[];
      try {
        dirs = await readdir(root);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
      const names = dirs.filter((d) => !d.startsWith('.')).map(decode).filter((n): n is string => n !== undefined);
      const live = await Promise.all(names.map(async (name) => (await scan(name).catch((err: Error) => {
        report(err);
        return { nodes: [] };
      })).nodes.length > 0));
      return names.filter((_, i) => live[i]).sort();
    },
    watch(name: string, onChange: (nodes: ServiceNode[]) => void): () => void {
      if (closed) throw new Error('localRegistry: watch after close');
      return hub.subscribe(
        name,
        onChange,
        () => watchers.set(name, new DirWatcher(name)),
        () => {
          watchers.get(name)?.stop();
          watchers.delete(name);
        },
      );
    },
    async close(): Promise<void> {
      closed = true;
      for (const w of watchers.values()) w.stop();
      watchers.clear();
      hub.clear();
    },
  };
}
