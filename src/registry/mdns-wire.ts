import * as dns from 'dns-packet';
import type { ServiceNode } from './registry';
import { copyNode, parseNode } from './validate-node';

/**
 * The mDNS packet format of `mdnsRegistry`: pure functions, no sockets.
 *
 * Each node is a DNS-SD-like instance of the service type `_keel._tcp`:
 * - PTR `<service>._keel._tcp.<domain>` → `<node id>.<service>._keel._tcp.<domain>` (shared record)
 * - TXT `<node id>.<service>._keel._tcp.<domain>`: `keel=1`, `ttlms=<ms left>`, then the node JSON cut into
 *   ≤255-byte strings (a reader joins them). No SRV/A: the address travels inside the node JSON.
 * The DNS TTL is whole seconds, `ceil(ms / 1000)`, for standard tools and goodbyes; keel readers take the
 * exact `ttlms` (never more than the DNS TTL), so a node leaves every watcher when its owner drops it.
 * Names and ids become labels by escaping: `a-z 0-9 -` stay, every other UTF-8 byte is `_hh`
 * (`go.micro.srv.basis` → `go_2emicro_2esrv_2ebasis`), cut into labels of at most 63 bytes. The result is
 * lower case, so a responder that folds case does no harm, and distinct names stay distinct.
 * A goodbye is the same records with TTL 0 (RFC 6762 §10.1).
 *
 * Listing services is DNS-SD browsing one level up (RFC 6763 §4, with keel services as the "instances"):
 * a PTR query for `_keel._tcp.<domain>` is answered by every process with one PTR
 * `_keel._tcp.<domain>` → `<service>._keel._tcp.<domain>` per service it has a live node of.
 */
export const SERVICE_TYPE = '_keel._tcp';
const TXT_MARKER = 'keel=1';
const MAX_LABEL_BYTES = 63;
/** The longest name dns-packet decodes (and RFC 1035 allows) in dotted text form. */
export const MAX_NAME_BYTES = 253;
/** Responses are packed up to this size so that they fit an Ethernet frame unfragmented. */
const PACKET_TARGET_BYTES = 1400;
/** One node must fit one packet (RFC 6762 §17: at most 9000 bytes). */
export const MAX_PACKET_BYTES = 9000;

/** Escapes any string into lower-case DNS labels (see the file comment). */
export function encodeLabels(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const ch = String.fromCharCode(byte);
    out += /[a-z0-9-]/.test(ch) ? ch : `_${byte.toString(16).padStart(2, '0')}`;
  }
  return out.match(new RegExp(`.{1,${MAX_LABEL_BYTES}}`, 'g'))?.join('.') ?? '';
}

/** The inverse of `encodeLabels`; undefined for anything `encodeLabels` would not have produced. */
export function decodeLabels(labels: string): string | undefined {
  const flat = labels.toLowerCase().replace(/\./g, '');
  if (!/^(?:[a-z0-9-]|_[0-9a-f]{2})+$/.test(flat)) return undefined;
  const bytes = flat.replace(/_([0-9a-f]{2})|([a-z0-9-])/g, (_, hex: string | undefined, ch: string | undefined) =>
    hex !== undefined ? String.fromCharCode(parseInt(hex, 16)) : (ch as string),
  );
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(bytes, 'latin1'));
    return encodeLabels(text) === labels.toLowerCase() ? text : undefined;
  } catch {
    return undefined;
  }
}

export const serviceDomain = (service: string, domain: string): string =>
  `${encodeLabels(service)}.${SERVICE_TYPE}.${domain}`;

export const instanceName = (node: Pick<ServiceNode, 'id' | 'name'>, domain: string): string =>
  `${encodeLabels(node.id)}.${serviceDomain(node.name, domain)}`;

const MAX_TTL_SEC = 2 ** 31 - 1;

/** The DNS TTL for `ms` milliseconds left: whole seconds rounded up, 0 only for 0 (a goodbye). */
export const ttlSeconds = (ms: number): number => (ms <= 0 ? 0 : Math.min(MAX_TTL_SEC, Math.ceil(ms / 1000)));

/** The PTR and TXT records announcing `node` with `ttlMs` left; 0 makes them a goodbye. */
export function nodeRecords(node: ServiceNode, ttlMs: number, domain: string): dns.Answer[] {
  const instance = instanceName(node, domain);
  const json = Buffer.from(JSON.stringify(copyNode(node)));
  const ttlSec = ttlSeconds(ttlMs);
  const strings = [Buffer.from(TXT_MARKER), Buffer.from(`ttlms=${Math.max(0, Math.ceil(ttlMs))}`)];
  for (let i = 0; i < json.length; i += 255) strings.push(json.subarray(i, i + 255));
  return [
    { type: 'PTR', name: serviceDomain(node.name, domain), ttl: ttlSec, data: instance },
    { type: 'TXT', name: instance, ttl: ttlSec, flush: true, data: strings },
  ];
}

const response = (answers: dns.Answer[]): dns.Packet =>
  ({ type: 'response', id: 0, flags: dns.AUTHORITATIVE_ANSWER, answers });

/** Packs groups of records (one group per node, never split) into as few response packets as fit. */
export function encodeResponses(groups: dns.Answer[][]): Buffer[] {
  const packets: Buffer[] = [];
  let answers: dns.Answer[] = [];
  for (const group of groups) {
    if (answers.length > 0 && dns.encodingLength(response([...answers, ...group])) > PACKET_TARGET_BYTES) {
      packets.push(dns.encode(response(answers)));
      answers = [];
    }
    answers.push(...group);
  }
  if (answers.length > 0) packets.push(dns.encode(response(answers)));
  return packets;
}

/** The size of the packet announcing `node` alone: must not exceed `MAX_PACKET_BYTES`. */
export const nodePacketBytes = (node: ServiceNode, domain: string): number =>
  dns.encodingLength(response(nodeRecords(node, 1, domain)));

export function encodeQuery(services: string[], domain: string): Buffer {
  return dns.encode({
    type: 'query',
    id: 0,
    flags: 0,
    questions: services.map((s) => ({ type: 'PTR', class: 'IN', name: serviceDomain(s, domain) })),
  });
}

/** The browse query for the names of all services (see the file comment). */
export function encodeListQuery(domain: string): Buffer {
  return dns.encode({ type: 'query', id: 0, flags: 0, questions: [{ type: 'PTR', class: 'IN', name: `${SERVICE_TYPE}.${domain}` }] });
}

/** The answer to a browse query: one PTR per service, with the DNS TTL of its longest-lived node here. */
export function serviceListRecords(services: ReadonlyMap<string, number>, domain: string): dns.Answer[] {
  return [...services].map(([service, ttlMs]) => ({ type: 'PTR', name: `${SERVICE_TYPE}.${domain}`, ttl: ttlSeconds(ttlMs), data: serviceDomain(service, domain) }));
}

/** One instance heard in a response: a node with the time it has left, or a goodbye (no node). */
export interface Heard {
  service: string;
  instance: string;
  ttlMs: number;
  node: ServiceNode | undefined;
}

export interface Parsed {
  /** Service names asked for by a query (PTR or ANY questions). */
  queries: string[];
  /** Whether the packet is a browse query for all service names. */
  listQuery: boolean;
  heard: Heard[];
  /** Service names heard in answers to a browse query. */
  listed: string[];
}

/** Reads a packet; undefined for garbage. Records that are not well-formed keel instances are skipped. */
export function parsePacket(buf: Buffer, domain: string): Parsed | undefined {
  let packet: dns.DecodedPacket;
  try {
    packet = dns.decode(buf);
  } catch {
    return undefined;
  }
  const suffix = `.${SERVICE_TYPE}.${domain}`;
  const serviceOf = (name: string): string | undefined =>
    name.toLowerCase().endsWith(suffix) ? decodeLabels(name.slice(0, -suffix.length)) : undefined;
  const parsed: Parsed = { queries: [], listQuery: false, heard: [], listed: [] };
  const typeDomain = `${SERVICE_TYPE}.${domain}`;
  if (!packet.flag_qr) {
    for (const q of packet.questions ?? []) {
      if ((q.type === 'PTR' || (q.type as string) === 'ANY') && q.name.toLowerCase() === typeDomain) parsed.listQuery = true;
      const service = q.type === 'PTR' || (q.type as string) === 'ANY' ? serviceOf(q.name) : undefined;
      if (service !== undefined) parsed.queries.push(service);
    }
    return parsed;
  }
  const records = [...(packet.answers ?? []), ...(packet.additionals ?? [])];
  const txt = new Map<string, unknown>();
  for (const r of records) if (r.type === 'TXT') txt.set(r.name.toLowerCase(), r.data);
  for (const r of records) {
    if (r.type !== 'PTR' || typeof r.data !== 'string') continue;
    if (r.name.toLowerCase() === typeDomain) {
      const listed = serviceOf(r.data);
      if (listed !== undefined && (r.ttl ?? 0) > 0) parsed.listed.push(listed);
      continue;
    }
    const service = serviceOf(r.name);
    const instance = r.data.toLowerCase();
    if (service === undefined || !instance.endsWith(`.${r.name.toLowerCase()}`)) continue;
    const ttlSec = r.ttl ?? 0;
    if (ttlSec === 0) {
      parsed.heard.push({ service, instance, ttlMs: 0, node: undefined });
      continue;
    }
    const found = parseTxt(txt.get(instance));
    if (found === undefined || found.node.name !== service || instanceName(found.node, domain) !== instance) continue;
    const ttlMs = Math.min(ttlSec * 1000, found.ttlMs ?? Infinity);
    parsed.heard.push({ service, instance, ttlMs, node: found.node });
  }
  return parsed;
}

function parseTxt(data: unknown): { node: ServiceNode; ttlMs: number | undefined } | undefined {
  if (!Array.isArray(data) || !data.every((s) => Buffer.isBuffer(s))) return undefined;
  const [marker, ...rest] = data as Buffer[];
  if (marker?.toString() !== TXT_MARKER) return undefined;
  const ttl = /^ttlms=(\d{1,15})$/.exec(rest[0]?.toString() ?? '');
  if (ttl !== null) rest.shift();
  try {
    const node = parseNode(JSON.parse(Buffer.concat(rest).toString('utf8')));
    return node && { node, ttlMs: ttl === null ? undefined : Number(ttl[1]) };
  } catch {
    return undefined;
  }
}
