import type { ServiceNode } from '../registry';
import type { Clock } from '../../time/clock';
import { copyNode } from '../validate-node';

export interface Entry {
  node: ServiceNode;
  expiresAt: number;
}
/** A node heard from the network, with the watch queries it has left unanswered in a row. */
interface HeardEntry extends Entry {
  answered: boolean;
  missed: number;
}
/** service name → instance name → entry. */
export type Table<E extends Entry = Entry> = Map<string, Map<string, E>>;

const MAX_TIMER_MS = 2 ** 31 - 1;
/** Heard nodes kept per service (a watch, a lookup): anyone on the LAN can announce, memory stays bounded. */
export const MAX_NODES_PER_SERVICE = 1024;
/** A watched node that answered none of this many queries in a row has gone (RFC 6762 §10.5). */
const MISSED_QUERIES = 2;

/** True when `m` may take `instance`: it is there already, or there is room. */
export const room = (m: Map<string, unknown>, instance: string): boolean => m.size < MAX_NODES_PER_SERVICE || m.has(instance);

/**
 * The nodes an mDNS registry knows: its own (`local`, answered for until their TTL passes) and those heard
 * from the LAN for the names it watches (`remote`). One timer for the earliest expiry of any entry, so
 * expired nodes leave watchers on time; `onChange` hears each watched name whose list changed.
 */
export class MdnsCache {
  readonly local: Table = new Map();
  private readonly remote: Table<HeardEntry> = new Map();
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweepAt = Infinity;
  private closed = false;

  constructor(private readonly clock: Clock, private readonly onChange: (name: string, nodes: ServiceNode[]) => void) {}

  /** The live nodes of `name` by id (this process's own entry wins), with `extra` (a lookup's answers). */
  current(name: string, extra?: Map<string, Entry>): ServiceNode[] {
    const now = this.clock.now();
    const nodes = new Map<string, ServiceNode>();
    for (const entries of [this.local.get(name)?.values(), this.remote.get(name)?.values(), extra?.values()]) {
      for (const e of entries ?? []) if (e.expiresAt > now && !nodes.has(e.node.id)) nodes.set(e.node.id, copy(e.node));
    }
    return [...nodes.values()];
  }

  /** Tells the watchers of `name` its current list (only watched names are told). */
  publish(name: string): void {
    if (this.remote.has(name)) this.onChange(name, this.current(name));
  }

  /** Names with a node here or heard. */
  names(): Set<string> {
    return new Set([...this.local.keys(), ...this.remote.keys()]);
  }

  /** Starts keeping what is heard for `name`. */
  watch(name: string): void {
    this.remote.set(name, new Map());
  }

  unwatch(name: string): void {
    this.remote.delete(name);
  }

  /** Forgets `instance` of `name` as heard (our own announcement, looped back, after a deregister). */
  forgetHeard(name: string, instance: string): void {
    this.remote.get(name)?.delete(instance);
  }

  /** A node heard for a watched name (`entry` undefined: its goodbye). Returns nothing: watchers are told. */
  hear(service: string, instance: string, entry: Entry | undefined): void {
    const cache = this.remote.get(service);
    if (cache === undefined) return;
    if (entry === undefined) {
      if (!cache.delete(instance)) return;
    } else {
      if (!room(cache, instance)) return;
      const before = cache.get(instance);
      cache.set(instance, { ...entry, answered: true, missed: 0 });
      this.armSweep(entry.expiresAt);
      if (before !== undefined && sameNode(before.node, entry.node)) return; // a refresh: nothing to tell
    }
    this.publish(service);
  }

  /** After a watch query went out: drop the nodes that answered none of the last `MISSED_QUERIES` ones. */
  noteMisses(name: string): void {
    const cache = this.remote.get(name);
    let changed = false;
    for (const [instance, e] of cache ?? []) {
      if (e.answered) {
        e.answered = false;
        e.missed = 0;
      } else if (++e.missed >= MISSED_QUERIES) {
        cache?.delete(instance);
        changed = true;
      }
    }
    if (changed) this.publish(name);
  }

  /** Makes sure the sweep runs by `at`. */
  armSweep(at: number): void {
    if (this.closed || at >= this.sweepAt) return;
    if (this.sweepTimer !== undefined) clearTimeout(this.sweepTimer);
    this.sweepAt = at;
    this.sweepTimer = setTimeout(() => this.sweep(), Math.min(MAX_TIMER_MS, Math.max(1, at - this.clock.now())));
    this.sweepTimer.unref();
  }

  close(): void {
    this.closed = true;
    if (this.sweepTimer !== undefined) clearTimeout(this.sweepTimer);
    this.local.clear();
  }

  private sweep(): void {
    this.sweepTimer = undefined;
    this.sweepAt = Infinity;
    const now = this.clock.now();
    let next = Infinity;
    for (const table of [this.local, this.remote] as Table[]) {
      for (const [name, entries] of table) {
        let changed = false;
        for (const [instance, e] of entries) {
          if (e.expiresAt > now) next = Math.min(next, e.expiresAt);
          else {
            entries.delete(instance);
            changed = true;
          }
        }
        if (table === this.local && entries.size === 0) this.local.delete(name);
        if (changed) this.publish(name);
      }
    }
    if (next !== Infinity) this.armSweep(next);
  }
}

/** A node as stored and handed out: `ServiceNode`'s fields, endpoints included when it has some. */
export function copy(node: ServiceNode): ServiceNode {
  return node.endpoints === undefined || node.endpoints.length === 0 ? copyNode(node) : { ...copyNode(node), endpoints: node.endpoints };
}

export const sameNode = (a: ServiceNode, b: ServiceNode): boolean => JSON.stringify(copy(a)) === JSON.stringify(copy(b));
