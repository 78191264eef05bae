import type { RemoteInfo } from 'node:dgram';
import { isIP } from 'node:net';
import { parseHostPort } from '../../address';
import { nonEmptyString } from '../../options';
import type { RegisterOptions, Registry, ServiceNode } from '../registry';
import { validateNode, validateRegister } from '../validate-node';
import { WatchHub } from '../watch-hub';
import { answerRecords } from './answer';
import { copy, MdnsCache, room, sameNode, type Entry } from './cache';
import { mdnsSettings, type MdnsRegistryOptions } from './options';
import { MdnsSockets } from './sockets';
import {
  instanceName, listName, MAX_PACKET_BYTES, nameProblem, nodePacketBytes, nodeRecords, parsePacket, queryPacket, responsePacket, serviceName,
  type Asked, type Heard,
} from './wire';

export type { MdnsRegistryOptions } from './options';

/**
 * Discovery across the hosts of a LAN over multicast DNS, in go-micro v5's format: a keel node and a go-micro
 * node on one LAN, each with its default mDNS registry, find each other (records: see `wire.ts`).
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
 * Two UDP sockets per registry, opened on first use (see `sockets.ts`): the shared group port, and the
 * query socket.
 * The jobs live beside this file: `options.ts` (checked at construction), `cache.ts` (own and heard nodes,
 * expiry), `answer.ts` (what a query gets), `wire.ts` (the records), `sockets.ts`; this file wires them and browses.
 * @example const registry = mdnsRegistry(); // tests: mdnsRegistry({ interface: '127.0.0.1', port: 49152 })
 */
export function mdnsRegistry(options: MdnsRegistryOptions = {}): Registry {
  const { iface, port, group, domain, queryIntervalMs, queryTimeoutMs, clock } = mdnsSettings(options);
  const hub = new WatchHub();
  const cache = new MdnsCache(clock, (name, nodes) => hub.publish(name, nodes));
  const collecting = new Map<string, Set<Map<string, Entry>>>(); // getService calls in flight
  const listing = new Set<Set<string>>(); // listServices calls in flight
  const watches = new Map<string, () => void>(); // name → stop
  const waits = new Set<() => void>();
  let closed = false;
  let closing: Promise<void> | undefined;

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
    const groups = answerRecords(asked.names, cache.local, now, domain);
    if (groups.length === 0) return;
    // RFC 6762 §6.7: a query from another port than the group's is a one-shot querier; answer it directly.
    const direct = from.port !== port;
    const packets = groups.map((records) => responsePacket(records, direct ? asked : undefined));
    sockets.reply(packets, direct ? from : { port, address: group }).catch(() => undefined);
  }

  /** A node (or its goodbye) heard: for the lookups in flight, and for the watchers of its service. */
  function hear({ service, instance, ttlMs, node }: Heard, now: number): void {
    const entry = node && { node, expiresAt: now + ttlMs };
    for (const found of collecting.get(service) ?? []) if (!entry) found.delete(instance); else if (room(found, instance)) found.set(instance, entry);
    cache.hear(service, instance, entry);
  }

  /** Browsing one watched name: a query at once and every `queryIntervalMs`; the first list after `queryTimeoutMs`. */
  function startWatch(name: string): void {
    let stopped = false;
    let listed = false;
    const timers: NodeJS.Timeout[] = [];
    const tick = (): void => {
      query(serviceName(name, domain)).then(() => {
        if (stopped) return;
        cache.noteMisses(name);
        if (listed) return;
        // The first list, even if empty, once the first query that went out had time to be answered.
        listed = true;
        timers.push(setTimeout(() => setImmediate(() => cache.publish(name)), queryTimeoutMs).unref()); // answers first, as in wait()
      }, () => undefined); // unsent: not "no nodes", keep what watchers have and retry on the next tick
    };
    cache.watch(name);
    tick();
    timers.push(setInterval(tick, queryIntervalMs).unref());
    watches.set(name, () => {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      cache.unwatch(name);
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
      let entries = cache.local.get(node.name);
      if (entries === undefined) cache.local.set(node.name, (entries = new Map()));
      const instance = instanceName(node, domain);
      const before = entries.get(instance);
      entries.set(instance, entry);
      cache.armSweep(entry.expiresAt);
      cache.publish(node.name);
      // New or changed: tell the LAN. A refresh is not news: watchers keep it alive by asking.
      if (before === undefined || before.expiresAt <= clock.now() || !sameNode(before.node, entry.node)) {
        await announce([responsePacket(nodeRecords(entry.node, ttlMs, domain))]);
      } else await sockets.ready();
    },
    async deregister(node: ServiceNode): Promise<void> {
      validateNode(node, 'mdnsRegistry.deregister');
      const instance = instanceName(node, domain);
      const entry = cache.local.get(node.name)?.get(instance);
      if (closing !== undefined || entry === undefined) return; // never say goodbye for a node another process owns
      cache.local.get(node.name)?.delete(instance);
      if (cache.local.get(node.name)?.size === 0) cache.local.delete(node.name);
      cache.forgetHeard(node.name, instance); // our own announcement, looped back
      cache.publish(node.name);
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
      return cache.current(name, found);
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
      for (const name of cache.names()) if (cache.current(name).length > 0) found.add(name);
      return [...found].sort();
    },
    watch(name: string, onChange: (nodes: ServiceNode[]) => void): () => void {
      nonEmptyString(name, 'mdnsRegistry.watch: name');
      if (closing !== undefined) throw new Error('mdnsRegistry: watch after close');
      return hub.subscribe(name, onChange, () => startWatch(name), () => stopWatch(name));
    },
    close(): Promise<void> {
      closing ??= (async () => {
        const goodbyes = [...cache.local.values()].flatMap((entries) => [...entries.values()].map((e) => responsePacket(nodeRecords(e.node, 0, domain))));
        if (goodbyes.length > 0 && sockets.opened) await announce(goodbyes).catch(() => undefined);
        closed = true;
        for (const name of [...watches.keys()]) stopWatch(name);
        for (const done of [...waits]) done();
        cache.close();
        hub.clear();
        await sockets.close();
      })();
      return closing;
    },
  };
}
