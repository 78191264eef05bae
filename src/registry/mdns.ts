import type { RemoteInfo } from 'node:dgram';
import { isIP, isIPv4 } from 'node:net';
import type * as dns from 'dns-packet';
import { describe, parseHostPort } from '../address';
import { integer, knownKeys, nonEmptyString, positiveMs, withMethod } from '../options';
import {
  instanceName, LIST_SERVICE, listName, listRecords, MAX_PACKET_BYTES, nameProblem, nodePacketBytes, nodeRecords, parsePacket, queryPacket,
  responsePacket, serviceName, type Asked, type Heard,
} from './mdns-wire';
import { MdnsSockets } from './mdns-sockets';
import { systemClock, type Clock, type RegisterOptions, type Registry, type ServiceNode } from './registry';
import { copyNode, validateNode, validateRegister } from './validate-node';
import { WatchHub } from './watch-hub';

export interface MdnsRegistryOptions {
  /** IPv4 address of the interface to join the group on and send from. Default: unset, the OS default interface. */
  interface?: string;
  /** UDP port of the group, shared with other processes (`reuseAddr`). Default 5353. */
  port?: number;
  /** IPv4 multicast group. Default `224.0.0.251`. */
  group?: string;
  /** DNS domain of the records. Default `micro` (go-micro's). */
  domain?: string;
  /** How often a watcher queries again, refreshing TTLs and noticing nodes that stopped answering. Default 1000. */
  queryIntervalMs?: number;
  /** How long `getService`, `listServices` (and a new watcher, before its first list) collect answers. Default 150. */
  queryTimeoutMs?: number;
  /** Time source for TTLs. Default: `Date.now`. */
  clock?: Clock;
}

interface Entry {
  node: ServiceNode;
  expiresAt: number;
}
/** A node heard from the network, with the watch queries it has left unanswered in a row. */
interface HeardEntry extends Entry {
  answered: boolean;
  missed: number;
}
/** service name → instance name → entry. */
type Table<E extends Entry = Entry> = Map<string, Map<string, E>>;

const MAX_TIMER_MS = 2 ** 31 - 1;
/** Heard nodes kept per service (a watch, a lookup): anyone on the LAN can announce, memory stays bounded. */
const MAX_NODES_PER_SERVICE = 1024;
/** A watched node that answered none of this many queries in a row has gone (RFC 6762 §10.5). */
const MISSED_QUERIES = 2;

/**
 * Discovery across the hosts of a LAN over multicast DNS, in go-micro v5's format: a keel node and a go-micro
 * node on one LAN, each with its default mDNS registry, find each other (records: see `mdns-wire.ts`).
 * - `register` keeps the node in this process, which answers queries for it until `ttlMs` passes without
 *   another `register`, and announces it unsolicited when it is new or changed; `deregister` and `close`
 *   send goodbyes (TTL 0), which go-micro's watchers and keel's take as a delete.
 * - Queries go out from a socket of their own (an ephemeral port), because go-micro answers by unicast to
 *   the address and port a query came from: on the shared port the kernel would hand the answer to any one
 *   of the processes bound there. keel answers the same way (to a query from the group port itself, by
 *   multicast), repeating the query's questions, which go-micro's client requires.
 * - `watch` queries at once and every `queryIntervalMs`, and also takes unsolicited announcements. A heard
 *   node expires at receipt time + its TTL, or earlier when it answered none of two queries in a row
 *   (go-micro always says 120 s and never refreshes; a killed go-micro node just stops answering).
 *   The first list comes `queryTimeoutMs` after the first query went out (empty if nobody answered).
 * - `getService` queries and collects answers for `queryTimeoutMs`, merged with this process's own nodes
 *   and with what a watcher of the same name holds.
 * Two UDP sockets per registry, opened on first use (see `mdns-sockets.ts`): the shared group port, and the
 * query socket.
 * @example const registry = mdnsRegistry(); // tests: mdnsRegistry({ interface: '127.0.0.1', port: 49152 })
 */
export function mdnsRegistry(options: MdnsRegistryOptions = {}): Registry {
  knownKeys(options, ['interface', 'port', 'group', 'domain', 'queryIntervalMs', 'queryTimeoutMs', 'clock'], 'mdnsRegistry');
  const iface = options.interface === undefined ? undefined : ipv4(options.interface, 'mdnsRegistry: interface');
  const port = portNumber(options.port ?? 5353, 'mdnsRegistry: port');
  const group = multicastGroup(options.group ?? '224.0.0.251', 'mdnsRegistry: group');
  const domain = domainName(options.domain ?? 'micro', 'mdnsRegistry: domain');
  const queryIntervalMs = positiveMs(options.queryIntervalMs ?? 1000, 'mdnsRegistry: queryIntervalMs');
  const queryTimeoutMs = positiveMs(options.queryTimeoutMs ?? 150, 'mdnsRegistry: queryTimeoutMs');
  const clock = withMethod(options.clock ?? systemClock, 'mdnsRegistry: clock', 'now');

  const hub = new WatchHub();
  const local: Table = new Map(); // nodes this process answers for
  const remote: Table<HeardEntry> = new Map(); // nodes heard, kept only for watched names
  const collecting = new Map<string, Set<Map<string, Entry>>>(); // getService calls in flight
  const listing = new Set<Set<string>>(); // listServices calls in flight
  const watches = new Map<string, () => void>(); // name → stop
  const waits = new Set<() => void>();
  let sweepTimer: NodeJS.Timeout | undefined;
  let sweepAt = Infinity;
  let closed = false;
  let closing: Promise<void> | undefined;

  const live = (entries: Iterable<Entry> | undefined, now: number, into: Map<string, ServiceNode>): void => {
    for (const e of entries ?? []) if (e.expiresAt > now && !into.has(e.node.id)) into.set(e.node.id, copy(e.node));
  };
  const current = (name: string, extra?: Map<string, Entry>): ServiceNode[] => {
    const now = clock.now();
    const nodes = new Map<string, ServiceNode>(); // by id; this process's own entry wins
    live(local.get(name)?.values(), now, nodes);
    live(remote.get(name)?.values(), now, nodes);
    live(extra?.values(), now, nodes);
    return [...nodes.values()];
  };
  const publish = (name: string): void => {
    if (remote.has(name)) hub.publish(name, current(name));
  };

  // One timer for the earliest expiry of any entry, local or heard: expired nodes leave watchers on time.
  const sweep = (): void => {
    sweepTimer = undefined;
    sweepAt = Infinity;
    const now = clock.now();
    let next = Infinity;
    for (const table of [local, remote] as Table[]) {
      for (const [name, entries] of table) {
        let changed = false;
        for (const [instance, e] of entries) {
          if (e.expiresAt > now) next = Math.min(next, e.expiresAt);
          else {
            entries.delete(instance);
            changed = true;
          }
        }
        if (table === local && entries.size === 0) local.delete(name);
        if (changed) publish(name);
      }
    }
    if (next !== Infinity) armSweep(next);
  };
  const armSweep = (at: number): void => {
    if (closed || at >= sweepAt) return;
    if (sweepTimer !== undefined) clearTimeout(sweepTimer);
    sweepAt = at;
    sweepTimer = setTimeout(sweep, Math.min(MAX_TIMER_MS, Math.max(1, at - clock.now())));
    sweepTimer.unref();
  };

  const sockets = new MdnsSockets(port, group, iface, onMessage);
  const announce = (packets: Buffer[]): Promise<void> => sockets.announce(packets);
  const query = (name: string): Promise<void> => sockets.query(queryPacket(name));
  const wait = (ms: number): Promise<void> => new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      waits.delete(done);
      resolve();
    };
    // Not unref'd: someone awaits it, and it is short. When it fires, the answers that came while this process
    // was not scheduled still wait in the poll phase, which runs after timers: take them (setImmediate) first.
    const timer = setTimeout(() => setImmediate(done), ms);
    waits.add(done);
  });

  function onMessage(buf: Buffer, from: RemoteInfo): void {
    const parsed = parsePacket(buf, domain);
    if (parsed === undefined || closed) return;
    const now = clock.now();
    if (parsed.query !== undefined) return answer(parsed.query, from, now);
    for (const heard of parsed.heard) hear(heard, now);
    for (const found of listing) for (const name of parsed.listed) found.add(name);
  }

  /** One packet per node (go-micro reads one instance a packet), to the asker's own address and port. */
  function answer(asked: Asked & { names: string[] }, from: RemoteInfo, now: number): void {
    const groups = new Map<string, dns.Answer[]>(); // by instance: each once
    for (const name of new Set(asked.names)) {
      if (name === LIST_SERVICE) {
        for (const [service, entries] of local) {
          const left = Math.max(0, ...[...entries.values()].map((e) => e.expiresAt - now));
          if (left > 0) groups.set(`${service}.${listName(domain)}`, listRecords(service, left, domain));
        }
        continue;
      }
      const instance = `${name}.${domain}`; // go-micro asks for an instance by name when its answer was incomplete
      for (const [service, entries] of local) {
        for (const [key, e] of entries) {
          if ((service === name || key === instance) && e.expiresAt > now) groups.set(key, nodeRecords(e.node, e.expiresAt - now, domain));
        }
      }
    }
    if (groups.size === 0) return;
    // RFC 6762 §6.7: a query from another port than the group's is a one-shot querier; answer it directly.
    const direct = from.port !== port;
    const packets = [...groups.values()].map((records) => responsePacket(records, direct ? asked : undefined));
    sockets.reply(packets, direct ? from : { port, address: group }).catch(() => undefined);
  }

  function hear({ service, instance, ttlMs, node }: Heard, now: number): void {
    const entry = node && { node, expiresAt: now + ttlMs };
    const room = (m: Map<string, unknown>): boolean => m.size < MAX_NODES_PER_SERVICE || m.has(instance);
    for (const found of collecting.get(service) ?? []) if (!entry) found.delete(instance); else if (room(found)) found.set(instance, entry);
    const cache = remote.get(service);
    if (cache === undefined) return;
    if (entry === undefined) {
      if (!cache.delete(instance)) return;
    } else {
      if (!room(cache)) return;
      const before = cache.get(instance);
      cache.set(instance, { ...entry, answered: true, missed: 0 });
      armSweep(entry.expiresAt);
      if (before !== undefined && sameNode(before.node, entry.node)) return; // a refresh: nothing to tell
    }
    publish(service);
  }

  /** After a watch query went out: drop the nodes that answered none of the last `MISSED_QUERIES` ones. */
  function noteMisses(name: string): void {
    const cache = remote.get(name);
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
    if (changed) publish(name);
  }

  function startWatch(name: string): void {
    let stopped = false;
    let listed = false;
    const timers: NodeJS.Timeout[] = [];
    const tick = (): void => {
      query(serviceName(name, domain)).then(() => {
        if (stopped) return;
        noteMisses(name);
        if (listed) return;
        // The first list, even if empty, once the first query that went out had time to be answered.
        listed = true;
        timers.push(setTimeout(() => setImmediate(() => publish(name)), queryTimeoutMs).unref()); // answers first, as in wait()
      }, () => undefined); // unsent: not "no nodes", keep what watchers have and retry on the next tick
    };
    remote.set(name, new Map());
    tick();
    timers.push(setInterval(tick, queryIntervalMs).unref());
    watches.set(name, () => {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      remote.delete(name);
    });
  }
  const stopWatch = (name: string): void => {
    watches.get(name)?.();
    watches.delete(name);
  };

  function checkFits(node: ServiceNode, where: string): void {
    const problem = nameProblem(node, domain);
    if (problem !== undefined) throw new RangeError(`${where}: ${problem}`);
    const { host } = parseHostPort(node.address, `${where}: node.address`);
    if (isIP(host) === 0) {
      throw new RangeError(`${where}: node.address must have an IP address as its host (mDNS announces it in an A or AAAA record), got ${JSON.stringify(node.address)}`);
    }
    const packetBytes = nodePacketBytes(node, domain);
    if (packetBytes > MAX_PACKET_BYTES) {
      throw new RangeError(`${where}: node is too large for one mDNS packet (${packetBytes} bytes, max ${MAX_PACKET_BYTES}); shrink node.metadata`);
    }
  }

  return {
    kind: 'mdns',
    async register(node: ServiceNode, opts: RegisterOptions): Promise<void> {
      const ttlMs = validateRegister(node, opts, 'mdnsRegistry.register');
      checkFits(node, 'mdnsRegistry.register');
      if (closing !== undefined) throw new Error('mdnsRegistry: register after close');
      const entry = { node: copy(node), expiresAt: clock.now() + ttlMs };
      let entries = local.get(node.name);
      if (entries === undefined) local.set(node.name, (entries = new Map()));
      const instance = instanceName(node, domain);
      const before = entries.get(instance);
      entries.set(instance, entry);
      armSweep(entry.expiresAt);
      publish(node.name);
      // New or changed: tell the LAN. A refresh is not news: watchers keep it alive by asking.
      if (before === undefined || before.expiresAt <= clock.now() || !sameNode(before.node, entry.node)) {
        await announce([responsePacket(nodeRecords(entry.node, ttlMs, domain))]);
      } else await sockets.ready();
    },
    async deregister(node: ServiceNode): Promise<void> {
      validateNode(node, 'mdnsRegistry.deregister');
      const instance = instanceName(node, domain);
      const entry = local.get(node.name)?.get(instance);
      if (closing !== undefined || entry === undefined) return; // never say goodbye for a node another process owns
      local.get(node.name)?.delete(instance);
      if (local.get(node.name)?.size === 0) local.delete(node.name);
      remote.get(node.name)?.delete(instance); // our own announcement, looped back
      publish(node.name);
      await announce([responsePacket(nodeRecords(entry.node, 0, domain))]);
    },
    async getService(name: string): Promise<ServiceNode[]> {
      nonEmptyString(name, 'mdnsRegistry.getService: name');
      if (closing !== undefined) throw new Error('mdnsRegistry: getService after close');
      const found = new Map<string, Entry>();
      let calls = collecting.get(name);
      if (calls === undefined) collecting.set(name, (calls = new Set()));
      calls.add(found);
      try {
        await query(serviceName(name, domain));
        await wait(queryTimeoutMs);
      } finally {
        calls.delete(found);
        if (calls.size === 0) collecting.delete(name);
      }
      return current(name, found);
    },
    /**
     * go-micro's `ListServices`: a PTR query for `_services.<domain>`, answered by every process (keel or
     * go-micro) with one entry per service it has a live node of, collected for `queryTimeoutMs` and merged
     * with this process's own and its watchers' live nodes. A node that vanished without a goodbye is never
     * listed, since nobody answers for it.
     */
    async listServices(): Promise<string[]> {
      if (closing !== undefined) throw new Error('mdnsRegistry: listServices after close');
      const found = new Set<string>();
      listing.add(found);
      try {
        await query(listName(domain));
        await wait(queryTimeoutMs);
      } finally {
        listing.delete(found);
      }
      for (const name of new Set([...local.keys(), ...remote.keys()])) if (current(name).length > 0) found.add(name);
      return [...found].sort();
    },
    watch(name: string, onChange: (nodes: ServiceNode[]) => void): () => void {
      nonEmptyString(name, 'mdnsRegistry.watch: name');
      if (closing !== undefined) throw new Error('mdnsRegistry: watch after close');
      return hub.subscribe(name, onChange, () => startWatch(name), () => stopWatch(name));
    },
    close(): Promise<void> {
      closing ??= (async () => {
        const goodbyes = [...local.values()].flatMap((entries) => [...entries.values()].map((e) => responsePacket(nodeRecords(e.node, 0, domain))));
        if (goodbyes.length > 0 && sockets.opened) await announce(goodbyes).catch(() => undefined);
        closed = true;
        for (const name of [...watches.keys()]) stopWatch(name);
        if (sweepTimer !== undefined) clearTimeout(sweepTimer);
        for (const done of [...waits]) done();
        local.clear();
        hub.clear();
        await sockets.close();
      })();
      return closing;
    },
  };
}

/** A node as stored and handed out: `ServiceNode`'s fields, endpoints included when it has some. */
function copy(node: ServiceNode): ServiceNode {
  return node.endpoints === undefined || node.endpoints.length === 0 ? copyNode(node) : { ...copyNode(node), endpoints: node.endpoints };
}

const sameNode = (a: ServiceNode, b: ServiceNode): boolean => JSON.stringify(copy(a)) === JSON.stringify(copy(b));

function ipv4(value: unknown, option: string): string {
  if (typeof value !== 'string') throw new TypeError(`${option} must be an IPv4 address string, got ${describe(value)}`);
  if (!isIPv4(value)) throw new RangeError(`${option} must be an IPv4 address like "192.168.1.10", got ${JSON.stringify(value)}`);
  return value;
}

function multicastGroup(value: unknown, option: string): string {
  const ip = ipv4(value, option);
  const first = Number(ip.split('.')[0]);
  if (first < 224 || first > 239) throw new RangeError(`${option} must be an IPv4 multicast address (224.0.0.0-239.255.255.255), got ${JSON.stringify(ip)}`);
  return ip;
}

function portNumber(value: unknown, option: string): number {
  if (typeof value !== 'number' || Number.isNaN(value)) throw new TypeError(`${option} must be a number, got ${describe(value)}`);
  integer(value, option, 1, { max: 65535 });
  return value;
}

function domainName(value: unknown, option: string): string {
  if (typeof value !== 'string') throw new TypeError(`${option} must be a string, got ${describe(value)}`);
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(value) || value.length > 100) {
    throw new RangeError(`${option} must be a DNS domain such as "local", got ${JSON.stringify(value)}`);
  }
  return value.toLowerCase();
}
