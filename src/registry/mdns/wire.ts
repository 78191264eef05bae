import { isIPv4, isIPv6 } from 'node:net';
import * as dns from 'dns-packet';
import { formatHostPort, parseHostPort } from '../../address';
import { decodeTxt, encodeTxt } from './txt';
import type { ServiceNode } from '../registry';
import { parseNode } from '../validate-node';

/**
 * The mDNS packet format of `mdnsRegistry`: go-micro v5's (`registry/mdns_registry.go` on `util/mdns`),
 * pure functions, no sockets. With the domain `micro` (go-micro's):
 * - a node is the instance `<node id>.<service>.micro`, answered for a PTR query of `<service>.micro` with,
 *   in this order (go-micro's reader takes them in order): PTR `<service>.micro` → instance; SRV instance
 *   (priority 10, weight 1, the node's port, target: the instance itself); A (or AAAA) instance → the node's
 *   IP; TXT instance: go-micro's encoded `{Metadata, Service, Version, Endpoints}` (see `mdns-txt.ts`).
 *   go-micro's own SRV target is the host name, with the A record under it; keel reads both ways.
 * - listing: a PTR query of `_services.micro` is answered per service with PTR `_services.micro` →
 *   `<service>._services.micro`, and that entry's SRV (port 9999), A `0.0.0.0` and an empty TXT, as
 *   go-micro's wildcard entry does; go-micro's `ListServices` needs all four.
 * - one node (or listed service) per response packet: go-micro's reader completes only the last instance
 *   of each packet. A response to a query repeats the query's questions: go-micro's client drops any that
 *   does not.
 * - TTL: whole seconds, `ceil(ms left / 1000)` (go-micro always says 120); a goodbye is the same records
 *   with TTL 0, as go-micro's `Deregister` sends (RFC 6762 §10.1).
 * Names are go-micro's, not escaped (go-micro compares them byte for byte): the node id and service name
 * must be dot-separated labels of printable ASCII without the characters DNS text would escape.
 */
export const LIST_SERVICE = '_services';
/** The port go-micro's `_services` entries advertise. */
const LIST_PORT = 9999;
/** The longest name dns-packet decodes (and RFC 1035 allows) in dotted text form. */
export const MAX_NAME_BYTES = 253;
/** One node must fit one packet (RFC 6762 §17: at most 9000 bytes). */
export const MAX_PACKET_BYTES = 9000;
const LABEL = /^[A-Za-z0-9!#$%&*+,/:<=>?[\]^_`{|}~-]{1,63}$/;
const MAX_TTL_SEC = 2 ** 31 - 1;

export const serviceName = (service: string, domain: string): string => `${service}.${domain}`;
export const instanceName = (node: Pick<ServiceNode, 'id' | 'name'>, domain: string): string => `${node.id}.${node.name}.${domain}`;
export const listName = (domain: string): string => `${LIST_SERVICE}.${domain}`;

/** Why `node` cannot be advertised by name, or undefined when it can. */
export function nameProblem(node: Pick<ServiceNode, 'id' | 'name'>, domain: string): string | undefined {
  for (const [what, value] of [['node.id', node.id], ['node.name', node.name]] as const) {
    if (!value.split('.').every((label) => LABEL.test(label))) {
      return `${what} ${JSON.stringify(value)} is not a DNS name as go-micro's mDNS writes it: dot-separated labels of ` +
        '1-63 printable ASCII characters other than space and \'"();@\\';
    }
  }
  const bytes = instanceName(node, domain).length;
  return bytes > MAX_NAME_BYTES ? `node.id and node.name are too long for a DNS name (${bytes} bytes, max ${MAX_NAME_BYTES})` : undefined;
}

/** The DNS TTL for `ms` milliseconds left: whole seconds rounded up, 0 only for 0 (a goodbye). */
export const ttlSeconds = (ms: number): number => (ms <= 0 ? 0 : Math.min(MAX_TTL_SEC, Math.ceil(ms / 1000)));

/** The records announcing `node` with `ttlMs` left (0: a goodbye). Its address must be an IP and port. */
export function nodeRecords(node: ServiceNode, ttlMs: number, domain: string): dns.Answer[] {
  const instance = instanceName(node, domain);
  const { host, port } = parseHostPort(node.address, 'node.address');
  const ttl = ttlSeconds(ttlMs);
  return [
    { type: 'PTR', name: serviceName(node.name, domain), ttl, data: instance },
    { type: 'SRV', name: instance, ttl, data: { priority: 10, weight: 1, port, target: instance } },
    isIPv4(host) ? { type: 'A', name: instance, ttl, data: host } : { type: 'AAAA', name: instance, ttl, data: host },
    { type: 'TXT', name: instance, ttl, data: encodeTxt(node) },
  ];
}

/** The records listing `service` (go-micro's `_services` wildcard entry). */
export function listRecords(service: string, ttlMs: number, domain: string): dns.Answer[] {
  const entry = `${service}.${listName(domain)}`;
  const ttl = ttlSeconds(ttlMs);
  return [
    { type: 'PTR', name: listName(domain), ttl, data: entry },
    { type: 'SRV', name: entry, ttl, data: { priority: 10, weight: 1, port: LIST_PORT, target: entry } },
    { type: 'A', name: entry, ttl, data: '0.0.0.0' },
    { type: 'TXT', name: entry, ttl, data: [] },
  ];
}

/** The query a response answers: its id and questions are repeated in the response. */
export interface Asked {
  id: number;
  questions: dns.Question[];
}

/** One response packet; `to` is the query it answers (unset: unsolicited, an announcement or goodbye). */
export const responsePacket = (answers: dns.Answer[], to?: Asked): Buffer =>
  dns.encode({ type: 'response', id: to?.id ?? 0, flags: dns.AUTHORITATIVE_ANSWER, questions: to?.questions ?? [], answers });

/** The size of the packet announcing `node` alone: must not exceed `MAX_PACKET_BYTES`. */
export const nodePacketBytes = (node: ServiceNode, domain: string): number => responsePacket(nodeRecords(node, 1, domain)).length;

/** A PTR query for one DNS name (`serviceName(…)` or `listName(…)`). */
export const queryPacket = (name: string): Buffer =>
  dns.encode({ type: 'query', id: 0, flags: 0, questions: [{ type: 'PTR', class: 'IN', name }] });

/** One instance heard in a response: a node with the time it has left, or a goodbye (no node). */
export interface Heard {
  service: string;
  instance: string;
  ttlMs: number;
  node: ServiceNode | undefined;
}

export interface Parsed {
  /** Set for a query: what it asked (the names in `domain`, without it) and what to repeat when answering. */
  query: (Asked & { names: string[] }) | undefined;
  heard: Heard[];
  /** Service names heard in answers to a listing query. */
  listed: string[];
}

const ASKABLE = new Set(['PTR', 'ANY', 'SRV', 'TXT', 'A', 'AAAA']);

/** Reads a packet; undefined for garbage. Records that do not make a node are skipped. */
export function parsePacket(buf: Buffer, domain: string): Parsed | undefined {
  let packet: dns.DecodedPacket;
  try {
    packet = dns.decode(buf);
  } catch {
    return undefined;
  }
  const suffix = `.${domain}`;
  if (!packet.flag_qr) {
    const questions = (packet.questions ?? []).filter((q) => ASKABLE.has(q.type) && q.name.endsWith(suffix))
      .map((q) => ({ type: q.type, class: 'IN' as const, name: q.name }));
    return { query: { id: packet.id ?? 0, questions, names: questions.map((q) => q.name.slice(0, -suffix.length)) }, heard: [], listed: [] };
  }
  const records = [...(packet.answers ?? []), ...(packet.additionals ?? [])];
  const srv = new Map<string, { port: number; target: string; ttl: number }>();
  const ipv4 = new Map<string, string>();
  const ipv6 = new Map<string, string>();
  for (const r of records) {
    if (r.type === 'SRV' && typeof r.data === 'object') srv.set(r.name, { port: r.data.port, target: r.data.target, ttl: r.ttl ?? 0 });
    else if (r.type === 'A' && isIPv4(r.data)) ipv4.set(r.name, r.data);
    else if (r.type === 'AAAA' && isIPv6(r.data)) ipv6.set(r.name, r.data);
  }
  const parsed: Parsed = { query: undefined, heard: [], listed: [] };
  const said = new Set<string>();
  const listSuffix = `.${listName(domain)}`;
  for (const r of records) {
    if (r.type === 'TXT' && r.name.endsWith(suffix) && Array.isArray(r.data)) {
      const fields = decodeTxt(r.data);
      const instanceSuffix = `.${fields?.service}${suffix}`;
      if (fields === undefined || !r.name.endsWith(instanceSuffix) || r.name.length === instanceSuffix.length) continue;
      const heard: Heard = { service: fields.service, instance: r.name, ttlMs: 0, node: undefined };
      const location = srv.get(r.name);
      if ((r.ttl ?? 0) > 0) {
        const ip = location && (ipv4.get(location.target) ?? ipv6.get(location.target));
        if (location === undefined || ip === undefined || location.ttl === 0) continue; // incomplete: asked again later
        const node = parseNode({ id: r.name.slice(0, -instanceSuffix.length), name: fields.service, version: fields.version,
          address: formatHostPort(ip, location.port), metadata: fields.metadata });
        if (node === undefined) continue;
        heard.node = fields.endpoints === undefined ? node : { ...node, endpoints: fields.endpoints };
        heard.ttlMs = Math.min(r.ttl ?? 0, location.ttl) * 1000;
      }
      said.add(r.name);
      parsed.heard.push(heard);
    }
  }
  for (const r of records) {
    if (r.type === 'PTR' && typeof r.data === 'string') {
      if (r.name === listName(domain)) {
        if (r.data.endsWith(listSuffix) && r.data.length > listSuffix.length && (r.ttl ?? 0) > 0) parsed.listed.push(r.data.slice(0, -listSuffix.length));
      } else if ((r.ttl ?? 0) === 0 && r.name.endsWith(suffix) && r.data.endsWith(`.${r.name}`) && !said.has(r.data)) {
        said.add(r.data); // a goodbye by PTR alone
        parsed.heard.push({ service: r.name.slice(0, -suffix.length), instance: r.data, ttlMs: 0, node: undefined });
      }
    }
  }
  return parsed;
}
