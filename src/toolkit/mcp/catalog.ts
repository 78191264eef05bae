import { type Registry, type ServiceNode } from '../library';
import type { DynamicCaller } from '../dynamic/caller';
import type { McpSettings } from './options';
import { toolsOf, type ToolEntry } from './tools';

/** Services described at once: describing is a reflection stream per service, bounded in time by the caller. */
const DESCRIBE_CONCURRENCY = 2;
/** A service that could not be described is tried again after this long (or at once when a node joins). */
const RETRY_MS = 10_000;

interface Followed {
  nodes: readonly ServiceNode[];
  stop: () => void;
  tools: ToolEntry[];
  /** The tools' JSON, to tell a real change from a re-description that found the same methods. */
  signature: string;
  state: 'idle' | 'queued' | 'describing';
  failedAt?: number;
  /** A node joined while describing: describe again after. */
  again: boolean;
}

/**
 * The tools of the registry's services, kept current: the service list is read every `pollMs`, each
 * allowed service's nodes are watched, and a service is described (reflection, else the .proto files) when
 * it appears and whenever a node joins (a new version may bring new methods). `onChange` runs when the tool
 * list changed: a service came, went, or changed its methods.
 *
 * The work is bounded: at most `maxServices` services are followed, `DESCRIBE_CONCURRENCY` described at
 * once, each within the caller's reflection timeout.
 */
export class ToolCatalog {
  private readonly followed = new Map<string, Followed>();
  private readonly queue: string[] = [];
  private readonly abort = new AbortController();
  private byName = new Map<string, ToolEntry>();
  private timer: NodeJS.Timeout | undefined;
  private describing = 0;
  private listing = false;
  private closed = false;
  private firstList: Promise<void> | undefined;

  constructor(
    private readonly registry: Registry & { listServices(): Promise<string[]> },
    private readonly caller: Pick<DynamicCaller, 'resolvedMethods'>,
    private readonly settings: McpSettings,
    private readonly onChange: () => void,
  ) {}

  /** Starts following the registry; resolves once the first list was read (descriptions may still run). */
  start(): Promise<void> {
    if (this.firstList === undefined) {
      this.firstList = this.list();
      this.timer = setInterval(() => void this.list(), this.settings.pollMs);
      this.timer.unref();
    }
    return this.firstList;
  }

  /** Every tool, in a stable order (by name). */
  tools(): ToolEntry[] {
    return [...this.byName.values()];
  }

  find(name: string): ToolEntry | undefined {
    return this.byName.get(name);
  }

  close(): void {
    this.closed = true;
    this.abort.abort();
    clearInterval(this.timer);
    for (const f of this.followed.values()) f.stop();
    this.followed.clear();
    this.byName.clear();
  }

  private async list(): Promise<void> {
    if (this.listing || this.closed) return;
    this.listing = true;
    try {
      const names = await this.registry.listServices();
      for (const name of names) {
        if (this.closed || !this.settings.allow(name)) continue;
        const known = this.followed.get(name);
        if (known === undefined && this.followed.size < this.settings.maxServices) this.follow(name);
        else if (known?.failedAt !== undefined && performance.now() - known.failedAt > RETRY_MS) this.enqueue(name);
      }
    } catch {
      // The registry is unreachable: keep the tools last seen (a registry never reports an outage as empty).
    } finally {
      this.listing = false;
    }
  }

  private follow(name: string): void {
    const entry: Followed = { nodes: [], stop: () => {}, tools: [], signature: '', state: 'idle', again: false };
    this.followed.set(name, entry);
    const stop = this.registry.watch(name, (nodes) => {
      if (this.closed || this.followed.get(name) !== entry) return;
      const known = new Set(entry.nodes.map((n) => n.id));
      entry.nodes = nodes;
      if (nodes.length === 0) {
        // Gone: its tools go at once; the next listing follows it again if it comes back.
        entry.stop();
        this.followed.delete(name);
        if (entry.tools.length > 0) this.rebuild();
      } else if (entry.signature === '' || nodes.some((n) => !known.has(n.id))) this.enqueue(name);
    });
    entry.stop = stop;
    if (this.followed.get(name) !== entry) stop();
  }

  private enqueue(name: string): void {
    const entry = this.followed.get(name);
    if (entry === undefined) return;
    if (entry.state === 'describing') entry.again = true;
    else if (entry.state === 'idle') {
      entry.state = 'queued';
      this.queue.push(name);
      this.drain();
    }
  }

  private drain(): void {
    while (this.describing < DESCRIBE_CONCURRENCY && this.queue.length > 0 && !this.closed) {
      const name = this.queue.shift()!;
      const entry = this.followed.get(name);
      if (entry === undefined) continue;
      this.describing++;
      entry.state = 'describing';
      void this.describe(name, entry).finally(() => {
        this.describing--;
        entry.state = 'idle';
        if (entry.again) {
          entry.again = false;
          this.enqueue(name);
        }
        this.drain();
      });
    }
  }

  private async describe(name: string, entry: Followed): Promise<void> {
    try {
      const methods = await this.caller.resolvedMethods(name, this.abort.signal);
      entry.failedAt = undefined;
      if (this.closed || this.followed.get(name) !== entry) return;
      const tools = toolsOf(name, methods, this.settings);
      const signature = JSON.stringify(tools.map((t) => t.tool));
      if (signature === entry.signature) return;
      entry.tools = tools;
      entry.signature = signature;
      this.rebuild();
    } catch {
      entry.failedAt = performance.now(); // tried again by a later listing, or when a node joins
    }
  }

  private rebuild(): void {
    const all = [...this.followed.values()].flatMap((f) => f.tools).sort((a, b) => a.tool.name.localeCompare(b.tool.name));
    this.byName = new Map(all.map((t) => [t.tool.name, t]));
    this.onChange();
  }
}
