import { isIPv4 } from 'node:net';
import { describe } from '../../address';
import { integer, knownKeys, positiveMs, withMethod } from '../../options';
import { systemClock, type Clock } from '../../time/clock';

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

/** The options checked, with their defaults. */
export interface MdnsSettings {
  iface: string | undefined;
  port: number;
  group: string;
  domain: string;
  queryIntervalMs: number;
  queryTimeoutMs: number;
  clock: Clock;
}

/** `options` checked at construction (TypeError/RangeError naming the option), defaults filled in. */
export function mdnsSettings(options: MdnsRegistryOptions): MdnsSettings {
  knownKeys(options, ['interface', 'port', 'group', 'domain', 'queryIntervalMs', 'queryTimeoutMs', 'clock'], 'mdnsRegistry');
  const clock = withMethod(options.clock ?? systemClock, 'mdnsRegistry: clock', 'now');
  return {
    iface: options.interface === undefined ? undefined : ipv4(options.interface, 'mdnsRegistry: interface'),
    port: portNumber(options.port ?? 5353, 'mdnsRegistry: port'),
    group: multicastGroup(options.group ?? '224.0.0.251', 'mdnsRegistry: group'),
    domain: domainName(options.domain ?? 'micro', 'mdnsRegistry: domain'),
    queryIntervalMs: positiveMs(options.queryIntervalMs ?? 1000, 'mdnsRegistry: queryIntervalMs'),
    queryTimeoutMs: positiveMs(options.queryTimeoutMs ?? 150, 'mdnsRegistry: queryTimeoutMs'),
    clock,
  };
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
  return integer(value, option, 1, { max: 65535 });
}

function domainName(value: unknown, option: string): string {
  if (typeof value !== 'string') throw new TypeError(`${option} must be a string, got ${describe(value)}`);
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i.test(value) || value.length > 100) {
    throw new RangeError(`${option} must be a DNS domain such as "local", got ${JSON.stringify(value)}`);
  }
  return value.toLowerCase();
}
