import { watch as watchDir, type FSWatcher } from 'node:fs';
import type { ServiceNode } from '../registry';
import type { Clock } from '../../time/clock';
import type { NodeStore } from './store';

/** Debounce for bursts of file events: one rescan for many writes. */
const EVENT_DEBOUNCE_MS = 15;
const FALLBACK_POLL_MS = 100;
/**
 * How often a watcher looks again while a live node's process runs on this host: a killed process cannot
 * deregister, and only a scan sees that its pid is gone (a readdir, an lstat per file and a /proc read per
 * node: unchanged files are not re-read).
 */
const LIVENESS_MS = 250;

export interface DirWatcherDeps {
  store: NodeStore;
  /** The service's current list, after each scan. */
  publish(name: string, nodes: ServiceNode[]): void;
  /** A directory refused or unreadable (the last list is kept). */
  report(err: Error): void;
  rescanMs: number;
  clock: Clock;
}

/**
 * Watches one service's directory: `fs.watch` events (debounced) trigger a rescan within about 20 ms, with
 * a periodic rescan as a fallback (fast polling when file events are unavailable), a timer for the next
 * expiry, and frequent looks while a node's process on this host could die without deregistering.
 */
export class DirWatcher {
  private fsWatcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private scanning = false;
  private rescan = false;
  private stopped = false;
  private pollMs: number;

  constructor(private readonly name: string, private readonly d: DirWatcherDeps) {
    this.pollMs = d.rescanMs;
    void this.start();
  }

  private async start(): Promise<void> {
    let dir: string | undefined;
    try {
      dir = await this.d.store.checkedDir(this.name, true);
    } catch (err) {
      // Refused (a link, another user's): reported, never watched; rescans keep the answer (an empty list).
      this.d.report(err as Error);
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
    this.pollMs = Math.min(this.d.rescanMs, FALLBACK_POLL_MS);
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
      const { nodes, nextExpiry, local } = await this.d.store.scan(this.name);
      if (!this.stopped) this.d.publish(this.name, nodes);
      next = Math.min(next, Math.max(1, nextExpiry - this.d.clock.now() + 1), local ? LIVENESS_MS : Infinity);
    } catch (err) {
      // The directory could not be read: keep the last list (registry contract) and try again later.
      this.d.report(err as Error);
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
    this.d.store.forget(this.name);
    this.fsWatcher?.close();
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}
