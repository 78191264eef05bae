import { createSocket, type Socket } from 'node:dgram';
import { isIPv4 } from 'node:net';
import { describe } from '../address';
import { knownKeys, nonEmptyString, positiveMs } from '../options';
import {
  encodeListQuery, encodeQuery, encodeResponses, serviceListRecords, instanceName, MAX_NAME_BYTES, MAX_PACKET_BYTES, nodePacketBytes, nodeRecords,
  parsePacket, type Heard,
} from './mdns-wire';
import { systemClock, type Clock, type RegisterOptions, type Registry, type ServiceNode } from './registry';
import { copyNode, validateNode, validateRegister } from './validate-node';
import { WatchHub } from './watch-hub';

export interface MdnsRegistryOptions {
  /** IPv4 address of the interface to join the group on and send from. Default: unset, the OS default interface. */
  interface?: string;
  /** UDP port, shared with other processes (`reuseAddr`). Default 5353. */
  port?: number;
  /** IPv4 multicast group. Default `224.0.0.251`. */
  group?: string;
  /** DNS domain of the records. Default `local`. */
  domain?: string;
  /** How often a watcher queries again, refreshing TTLs and recovering lost packets. Default 1000. */
  queryIntervalMs?: number;
  /** How long `getService` (and a new watcher, before its first list) collects answers. Default 150. */
  queryTimeoutMs?: number;
  /** Time source for TTLs. Default: `Date.now`. */
  clock?: Clock;
}

interface Entry {
  node: ServiceNode;
  expiresAt: number;
}
/** service name → instance name → entry. */
type Table = Map<string, Map<string, Entry>>;

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Discovery across the hosts of a LAN over multicast DNS, as go-micro's default registry (not wire
 * compatible with it). Records: see `mdns-wire.ts`; one PTR + one TXT (node JSON) per node, DNS TTL
 * `ceil(ttlMs / 1000)` seconds, and the exact milliseconds left in the TXT.
 * - `register` keeps the node in this process, which answers queries for it until `ttlMs` passes without
 *   another `register`, and announces it unsolicited; `deregister` and `close` send goodbyes (TTL 0).
 * - `watch` queries at once and every `queryIntervalMs`, and also takes unsolicited announcements. A heard
 *   node expires at receipt time + the time it had left (answers carry what remains, not the full TTL),
 *   so a node whose owner vanished without a goodbye leaves watchers when its TTL runs out.
 *   The first list comes `queryTimeoutMs` after the first query went out (empty if nobody answered).
 * - `getService` queries and collects answers for `queryTimeoutMs`, merged with this process's own nodes
 *   and with what a watcher of the same name holds.
 * One UDP socket per registry, opened on first use: bound to `0.0.0.0:port` with `reuseAddr` so that many
 * processes on a host share the port, multicast TTL 1, loopback on. The socket and timers are unref'd.
 * @example const registry = mdnsRegistry(); // tests: mdnsRegistry({ interface: '127.0.0.1', port: 49152 })
 */
export function mdnsRegistry(options: MdnsRegistryOptions = {}): Registry {
  knownKeys(options, ['interface', 'port', 'group', 'domain', 'queryIntervalMs', 'queryTimeoutMs', 'clock'], 'mdnsRegistry');
  const iface = options.interface === undefined ? undefined : ipv4(options.interface, 'mdnsRegistry: interface');
  const port = portNumber(options.port ?? 5353, 'mdnsRegistry: port');
  const group = multicastGroup(options.group ?? '224.0.0.251', 'mdnsRegistry: group');
  const domain = domainName(options.domain ?? 'local', 'mdnsRegistry: domain');
  const queryIntervalMs = positiveMs(options.queryIntervalMs ?? 1000, 'mdnsRegistry: queryIntervalMs');
  const queryTimeoutMs = positiveMs(options.queryTimeoutMs ?? 150, 'mdnsRegistry: queryTimeoutMs');
  const clock = options.clock ?? systemClock;
  if (typeof clock?.now !== 'function') throw new TypeError('mdnsRegistry: clock must have a now() method');

  const hub = new WatchHub();
  const local: Table = new Map(); // nodes this process answers for
  const remote: Table = new Map(); // nodes heard, kept only for watched names
  const collecting = new Map<string, Set<Map<string, Entry>>>(); // getService calls in flight
  const listing = new Set<Set<string>>(); // listServices calls in flight
  const watches = new Map<string, () => void>(); // name → stop
  const waits = new Set<() => void>();
  let socket: Promise<Socket> | undefined;
  let sweepTimer: NodeJS.Timeout | undefined;
  let sweepAt = Infinity;
  let closed = false;
  let closing: Promise<void> | undefined;

  const live = (entries: Iterable<Entry> | undefined, now: number, into: Map<string, ServiceNode>): void => {
    for (const e of entries ?? []) if (e.expiresAt > now && !into.has(e.node.id)) into.set(e.node.id, copyNode(e.node));
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
    for (const table of [local, remote]) {
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

  const open = (): Promise<Socket> => {
    if (closed) return Promise.reject(new Error('mdnsRegistry: closed'));
    socket ??= bindSocket().catch((err: Error) => {
      socket = undefined;
      throw new Error(`mdnsRegistry: cannot open UDP 0.0.0.0:${port} for ${group}: ${err.message}`, { cause: err });
    });
    return socket;
  };
  const bindSocket = (): Promise<Socket> => new Promise((resolve, reject) => {
    const s = createSocket({ type: 'udp4', reuseAddr: true });
    const fail = (err: Error): void => {
      reject(err);
      closeQuietly(s);
    };
    s.once('error', fail);
    s.on('message', onMessage);
    s.bind({ port, address: '0.0.0.0' }, () => {
      try {
        s.setMulticastTTL(1);
        s.setMulticastLoopback(true);
        if (iface === undefined) s.addMembership(group);
        else {
          s.addMembership(group, iface);
          s.setMulticastInterface(iface);
        }
      } catch (err) {
        return fail(err as Error);
      }
      s.off('error', fail);
      s.on('error', () => { // not expected after bind; drop this socket, the next use opens a new one
        if (!closed) socket = undefined;
        closeQuietly(s);
      });
      s.unref();
      resolve(s);
    });
  });
  const send = async (packets: Buffer[]): Promise<void> => {
    const s = await open();
    for (const p of packets) await new Promise<void>((ok, ko) => s.send(p, port, group, (err) => (err ? ko(err) : ok())));
  };
  const wait = (ms: number): Promise<void> => new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      waits.delete(done);
      resolve();
    };
    const timer = setTimeout(done, ms); // not unref'd: someone awaits it, and it is short
    waits.add(done);
  });

  function onMessage(buf: Buffer): void {
    const parsed = parsePacket(buf, domain);
    if (parsed === undefined || closed) return;
    const now = clock.now();
    const answers = [...new Set(parsed.queries)].flatMap((name) =>
      [...(local.get(name)?.values() ?? [])]
        .filter((e) => e.expiresAt > now)
        .map((e) => nodeRecords(e.node, e.expiresAt - now, domain)),
    );
    if (parsed.listQuery) {
      const mine = new Map<string, number>(); // service → the most time any of our nodes has left
      for (const [name, entries] of local) {
        for (const e of entries.values()) if (e.expiresAt > now) mine.set(name, Math.max(mine.get(name) ?? 0, e.expiresAt - now));
      }
      if (mine.size > 0) answers.push(serviceListRecords(mine, domain));
    }
    if (answers.length > 0) send(encodeResponses(answers)).catch(() => undefined);
    for (const heard of parsed.heard) hear(heard, now);
    for (const found of listing) for (const name of parsed.listed) found.add(name);
  }

  function hear({ service, instance, ttlMs, node }: Heard, now: number): void {
    const entry = node && { node, expiresAt: now + ttlMs };
    for (const found of collecting.get(service) ?? []) entry ? found.set(instance, entry) : found.delete(instance);
    const cache = remote.get(service);
    if (cache === undefined) return;
    if (entry === undefined) cache.delete(instance);
    else {
      cache.set(instance, entry);
      armSweep(entry.expiresAt);
    }
    publish(service);
  }

  const query = (name: string): Promise<void> => send([encodeQuery([name], domain)]);

  function startWatch(name: string): void {
    let stopped = false;
    let listed = false;
    const timers: NodeJS.Timeout[] = [];
    const tick = (): void => {
      query(name).then(() => {
        if (listed || stopped) return;
        // The first list, even if empty, once the first query that went out had time to be answered.
        listed = true;
        timers.push(setTimeout(() => publish(name), queryTimeoutMs).unref());
      }, () => undefined); // unsent: not "no nodes", keep what watchers have and retry on the next tick
    };
    tick();
    timers.push(setInterval(tick, queryIntervalMs).unref());
    remote.set(name, new Map());
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
    const nameBytes = Buffer.byteLength(instanceName(node, domain));
    if (nameBytes > MAX_NAME_BYTES) {
      throw new RangeError(`${where}: node.id and node.name are too long for a DNS name (${nameBytes} bytes escaped, max ${MAX_NAME_BYTES})`);
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
      const entry = { node: copyNode(node), expiresAt: clock.now() + ttlMs };
      let entries = local.get(node.name);
      if (entries === undefined) local.set(node.name, (entries = new Map()));
      entries.set(instanceName(node, domain), entry);
      armSweep(entry.expiresAt);
      publish(node.name);
      await send(encodeResponses([nodeRecords(entry.node, ttlMs, domain)]));
    },
    async deregister(node: ServiceNode): Promise<void> {
      validateNode(node, 'mdnsRegistry.deregister');
      const instance = instanceName(node, domain);
      const entry = local.get(node.name)?.get(instance);
      if (closing !== undefined || entry === undefined) return; // never say goodbye for a node another process owns
      local.get(node.name)?.delete(instance);
      remote.get(node.name)?.delete(instance); // our own announcement, looped back
      publish(node.name);
      await send(encodeResponses([nodeRecords(entry.node, 0, domain)]));
    },
    async getService(name: string): Promise<ServiceNode[]> {
      nonEmptyString(name, 'mdnsRegistry.getService: name');
      if (closing !== undefined) throw new Error('mdnsRegistry: getService after close');
      const found = new Map<string, Entry>();
      let calls = collecting.get(name);
      if (calls === undefined) collecting.set(name, (calls = new Set()));
      calls.add(found);
      try {
        await query(name);
        await wait(queryTimeoutMs);
      } finally {
        calls.delete(found);
        if (calls.size === 0) collecting.delete(name);
      }
      return current(name, found);
    },
    /**
     * DNS-SD browsing (see `mdns-wire.ts`): the names every process on the LAN answers with within
     * `queryTimeoutMs`, merged with this process's own and its watchers' live nodes. A name is listed while
     * some process still has a live node of it; a node that vanished without a goodbye is never listed,
     * since nobody answers for it.
     */
    async listServices(): Promise<string[]> {
      if (closing !== undefined) throw new Error('mdnsRegistry: listServices after close');
      const found = new Set<string>();
      listing.add(found);
      try {
        await send([encodeListQuery(domain)]);
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
        const goodbyes = [...local.values()].flatMap((entries) => [...entries.values()].map((e) => nodeRecords(e.node, 0, domain)));
        if (goodbyes.length > 0 && socket !== undefined) await send(encodeResponses(goodbyes)).catch(() => undefined);
        closed = true;
        for (const name of [...watches.keys()]) stopWatch(name);
        if (sweepTimer !== undefined) clearTimeout(sweepTimer);
        for (const done of [...waits]) done();
        local.clear();
        hub.clear();
        const s = await socket?.catch(() => undefined);
        socket = undefined;
        if (s !== undefined) closeQuietly(s);
      })();
      return closing;
    },
  };
}

function closeQuietly(socket: Socket): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}

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
  if (!Number.isInteger(value) || value < 1 || value > 65535) throw new RangeError(`${option} must be an integer 1-65535, got ${value}`);
  return value;
}

function domainName(value: unknown, option: string): string {
  if (typeof value !== 'string') throw new TypeError(`${option} must be a string, got ${describe(value)}`);
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(value) || value.length > 100) {
    throw new RangeError(`${option} must be a DNS domain such as "local", got ${JSON.stringify(value)}`);
  }
  return value.toLowerCase();
}
