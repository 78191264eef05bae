import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import * as dns from 'dns-packet';
import { mdnsRegistry, type MdnsRegistryOptions } from '../../src/registry/mdns';
import { deflateSync, inflateSync } from 'node:zlib';
import { decodeTxt, encodeTxt } from '../../src/registry/mdns/txt';
import { instanceName, listRecords, nameProblem, nodeRecords, parsePacket, queryPacket, responsePacket } from '../../src/registry/mdns/wire';
import type { Registry, ServiceNode } from '../../src/registry/registry';
import { eventually } from '../support/basis';
import { repoRoot } from '../support/external';
import { FakeClock } from '../support/fake-clock';
import { freeUdpPort, LOOPBACK, loopbackMulticastGate, sendRaw } from '../support/loopback-multicast';
import { node, registryConformance } from './conformance';

// Every registry here joins and sends on 127.0.0.1 only, on a fresh ephemeral port (never 5353).
const gate = loopbackMulticastGate();
let conformancePort = 0;
before(async () => {
  if (gate.problem !== undefined) throw new Error(gate.problem);
  conformancePort = await freeUdpPort();
});

const registries: Registry[] = [];
const make = (port: number, extra: MdnsRegistryOptions = {}): Registry => {
  const r = mdnsRegistry({ ...extra, interface: LOOPBACK, port });
  registries.push(r);
  return r;
};
const children: ChildProcess[] = [];
after(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(registries.map((r) => r.close()));
});

const ids = (nodes: ServiceNode[] | undefined): string => (nodes ?? []).map((n) => n.id).sort().join();
const watcher = (r: Registry, name: string) => {
  const lists: ServiceNode[][] = [];
  const stop = r.watch(name, (nodes) => lists.push(nodes));
  return { lists, stop, last: (): string => ids(lists.at(-1)) };
};
const since = (t0: number): number => Date.now() - t0;

const hexOf = (txt: unknown): string => (txt as Buffer[]).map(String).join('');
const dataOf = (r: dns.Answer | undefined): unknown => (r as { data?: unknown } | undefined)?.data;
const jsonOf = (txt: unknown): string => inflateSync(Buffer.from(hexOf(txt), 'hex')).toString();

describe('mdns wire format (go-micro v5\'s)', () => {
  it('names nodes as go-micro does, and refuses names DNS text would escape', () => {
    assert.equal(instanceName({ id: 'basis-1', name: 'go.micro.srv.basis' }, 'micro'), 'basis-1.go.micro.srv.basis.micro');
    for (const ok of [{ id: 'basis-6f1c', name: 'basis' }, { id: 'Go.Micro_Basis-1', name: 'go.micro.srv.basis' }, { id: 'a:b+c', name: 'x/y' }]) {
      assert.equal(nameProblem(ok, 'micro'), undefined, JSON.stringify(ok));
    }
    for (const [bad, what] of [[{ id: 'a b', name: 'basis' }, 'node.id'], [{ id: 'x', name: 'ünï' }, 'node.name'], [{ id: 'x', name: 'a..b' }, 'node.name'],
      [{ id: 'x', name: '.basis' }, 'node.name'], [{ id: 'x;', name: 'basis' }, 'node.id'], [{ id: 'x', name: 'y'.repeat(64) }, 'node.name'],
      [{ id: 'x'.repeat(60), name: Array(4).fill('y'.repeat(60)).join('.') }, 'too long']] as const) {
      assert.match(nameProblem(bad, 'micro') ?? '', new RegExp(what.replace('.', '\\.')), JSON.stringify(bad));
    }
  });

  it('writes a node as go-micro answers for one: PTR, SRV, A, TXT of zlib\'d hex JSON in 255-character strings', () => {
    const endpoints = [{ name: 'Basis.Hello', request: { name: 'Request', type: 'Request', values: null }, response: null, metadata: {} }];
    const n = { ...node('go.micro.srv.basis', { id: 'Node.1', metadata: { blob: 'é'.repeat(700), 'k.e.y': 'v', protocol: 'grpc' } }), endpoints };
    const records = nodeRecords(n, 2500, 'micro');
    const instance = 'Node.1.go.micro.srv.basis.micro';
    assert.deepEqual(records.map((r) => [r.type, r.name, (r as { ttl: number }).ttl]), [
      ['PTR', 'go.micro.srv.basis.micro', 3], ['SRV', instance, 3], ['A', instance, 3], ['TXT', instance, 3],
    ]);
    assert.equal(dataOf(records[0]), instance);
    assert.deepEqual(dataOf(records[1]), { priority: 10, weight: 1, port: Number(n.address.split(':')[1]), target: instance });
    assert.equal(dataOf(records[2]), '127.0.0.1');
    const txt = dataOf(records[3]) as string[];
    assert.ok(txt.length > 1 && txt.slice(0, -1).every((s) => s.length === 255) && /^[0-9a-f]+$/.test(txt.join('')), 'hex in 255-character strings');
    // Go's json.Marshal of mdnsTxt{Metadata, Service, Version, Endpoints}: field names as keys, in this order.
    assert.equal(jsonOf(txt), `{"Metadata":{"blob":"${'é'.repeat(700)}","k.e.y":"v","protocol":"grpc"},"Service":"go.micro.srv.basis",` +
      `"Version":"1.0.0","Endpoints":[{"request":{"name":"Request","type":"Request","values":null},"response":null,"metadata":{},"name":"Basis.Hello"}]}`);
    assert.deepEqual(decodeTxt(txt), { service: n.name, version: n.version, metadata: n.metadata, endpoints });

    const packet = responsePacket(records);
    assert.deepEqual(parsePacket(packet, 'micro'), { query: undefined, listed: [], heard: [{ service: n.name, instance, ttlMs: 3000, node: n }] });
    assert.deepEqual(parsePacket(responsePacket(nodeRecords(n, 0, 'micro')), 'micro')?.heard, [{ service: n.name, instance, ttlMs: 0, node: undefined }]);
    assert.deepEqual(parsePacket(packet, 'other.domain')?.heard, [], 'another domain is not ours');
    const v6 = { ...node('six'), address: '[::1]:5' };
    assert.deepEqual(parsePacket(responsePacket(nodeRecords(v6, 1000, 'micro')), 'micro')?.heard[0]?.node, v6);
  });

  it('reads go-micro\'s own answers: SRV target the host name with the A record under it, goodbyes without a PTR', () => {
    const instance = 'gm-1.basis.micro';
    const txt = encodeTxt({ ...node('basis'), version: 'latest', metadata: { protocol: 'grpc', registry: 'mdns' } });
    const answers = (ttl: number): dns.Answer[] => [
      { type: 'PTR', name: 'basis.micro', ttl, data: instance },
      { type: 'SRV', name: instance, ttl, data: { priority: 10, weight: 1, port: 4321, target: 'some-host.' } },
      { type: 'A', name: 'some-host', ttl, data: '10.1.2.3' },
      { type: 'TXT', name: instance, ttl, data: txt },
    ];
    const asked = { id: 7, questions: [{ type: 'PTR' as const, class: 'IN' as const, name: 'basis.micro' }] };
    assert.deepEqual(parsePacket(responsePacket(answers(120), asked), 'micro')?.heard, [{
      service: 'basis', instance, ttlMs: 120_000,
      node: { id: 'gm-1', name: 'basis', version: 'latest', address: '10.1.2.3:4321', metadata: { protocol: 'grpc', registry: 'mdns' } },
    }]);
    assert.deepEqual(parsePacket(responsePacket(answers(0).slice(1)), 'micro')?.heard, [{ service: 'basis', instance, ttlMs: 0, node: undefined }]);
    assert.deepEqual(parsePacket(responsePacket(answers(120).slice(0, 3)), 'micro')?.heard, [], 'no TXT: incomplete');
    assert.deepEqual(parsePacket(responsePacket(answers(120).filter((r) => r.type !== 'A')), 'micro')?.heard, [], 'no address: incomplete');
  });

  it('reads the packets of a real go-micro v5.12 process, and writes its TXT JSON byte for byte as Go does', () => {
    // Captured by test/interop/fixtures/capture-gomicro-mdns.mjs from basis-server --registry mdns.
    const captured = JSON.parse(readFileSync(join(repoRoot, 'test', 'interop', 'fixtures', 'gomicro-mdns-packets.json'), 'utf8')) as
      Record<'answer' | 'list' | 'goodbye', string[]>;
    const packet = (hex: string | undefined): Buffer => Buffer.from(hex ?? '', 'hex');
    const answer = dns.decode(packet(captured.answer[0]));
    assert.deepEqual(answer.questions?.map((q) => q.name), ['fixture.micro'], 'go-micro repeats the question');
    const id = 'fixture-00000000-0000-0000-0000-000000000001';
    const [heard, ...more] = parsePacket(packet(captured.answer[0]), 'micro')?.heard ?? [];
    assert.equal(more.length, 0);
    assert.equal(heard?.ttlMs, 120_000, 'go-micro\'s TTL: 120 s');
    assert.deepEqual({ ...heard?.node, endpoints: heard?.node?.endpoints?.map((e) => e.name) }, {
      id, name: 'fixture', version: 'latest', address: '10.53.53.1:4321',
      metadata: { broker: 'http', protocol: 'grpc', registry: 'mdns', server: 'grpc', transport: 'grpc' },
      endpoints: ['Basis.Chat', 'Basis.Collect', 'Basis.Hello', 'Basis.Stream'],
    });
    const goTxt = (answer.answers ?? []).find((r) => r.type === 'TXT');
    assert.equal(jsonOf(encodeTxt(heard?.node as ServiceNode)), jsonOf(dataOf(goTxt)), 'keel writes the JSON go-micro wrote');
    assert.deepEqual(parsePacket(packet(captured.list[0]), 'micro')?.listed, ['fixture']);
    assert.deepEqual(parsePacket(packet(captured.goodbye[0]), 'micro')?.heard, [{ service: 'fixture', instance: `${id}.fixture.micro`, ttlMs: 0, node: undefined }]);
  });

  it('reads queries and repeats their id and questions in the answer; lists services as go-micro\'s _services entry', () => {
    assert.deepEqual(parsePacket(queryPacket('basis.micro'), 'micro')?.query, {
      id: 0, questions: [{ type: 'PTR', class: 'IN', name: 'basis.micro' }], names: ['basis'],
    });
    assert.deepEqual(parsePacket(queryPacket('x.local'), 'micro')?.query?.names, [], 'another domain');
    const asked = { id: 4242, questions: [{ type: 'PTR' as const, class: 'IN' as const, name: '_services.micro' }] };
    const answer = dns.decode(responsePacket(listRecords('go.micro.srv.basis', 2500, 'micro'), asked));
    assert.equal(answer.id, 4242);
    assert.deepEqual(answer.questions, asked.questions);
    assert.deepEqual(answer.answers?.map((r) => [r.type, r.name, dataOf(r)]), [
      ['PTR', '_services.micro', 'go.micro.srv.basis._services.micro'],
      ['SRV', 'go.micro.srv.basis._services.micro', { priority: 10, weight: 1, port: 9999, target: 'go.micro.srv.basis._services.micro' }],
      ['A', 'go.micro.srv.basis._services.micro', '0.0.0.0'],
      ['TXT', 'go.micro.srv.basis._services.micro', []],
    ]);
    assert.deepEqual(parsePacket(responsePacket(listRecords('go.micro.srv.basis', 2500, 'micro')), 'micro')?.listed, ['go.micro.srv.basis']);
    assert.deepEqual(parsePacket(responsePacket(listRecords('basis', 0, 'micro')), 'micro')?.listed, [], 'TTL 0 lists nothing');
  });

  it('reads garbage as nothing, without throwing, and refuses a TXT that inflates past 64 KiB', () => {
    for (let i = 0; i < 2000; i++) {
      const buf = randomBytes(1 + (i % 300));
      assert.doesNotThrow(() => parsePacket(buf, 'micro'));
      assert.equal(parsePacket(buf, 'micro')?.heard.length ?? 0, 0);
    }
    const good = responsePacket(nodeRecords(node('cut'), 5000, 'micro'));
    for (let end = 0; end < good.length; end++) {
      assert.equal(parsePacket(good.subarray(0, end), 'micro')?.heard.length ?? 0, 0, `cut at ${end}`);
    }
    const bomb = deflateSync(Buffer.from(`{"Service":"x","Metadata":{"a":"${'a'.repeat(100_000)}"}}`)).toString('hex');
    assert.equal(decodeTxt([bomb]), undefined);
    for (const bad of [['zz'], ['abc'], [deflateSync('[1]').toString('hex')], [deflateSync('{"Service":""}').toString('hex')], []]) {
      assert.equal(decodeTxt(bad), undefined, JSON.stringify(bad));
    }
  });
});

describe('mdnsRegistry options', () => {
  const cases: [string, unknown, string, typeof TypeError | typeof RangeError][] = [
    ['interface name', { interface: 'eth0' }, 'interface', RangeError],
    ['interface octet > 255', { interface: '256.1.1.1' }, 'interface', RangeError],
    ['IPv6 interface', { interface: '::1' }, 'interface', RangeError],
    ['interface number', { interface: 127 }, 'interface', TypeError],
    ['port 0', { port: 0 }, 'port', RangeError],
    ['port 65536', { port: 65536 }, 'port', RangeError],
    ['fractional port', { port: 53.5 }, 'port', RangeError],
    ['port string', { port: '5353' }, 'port', TypeError],
    ['unicast group', { group: '10.0.0.1' }, 'group', RangeError],
    ['group name', { group: 'mdns' }, 'group', RangeError],
    ['empty domain', { domain: '' }, 'domain', RangeError],
    ['domain with a space', { domain: 'my domain' }, 'domain', RangeError],
    ['domain number', { domain: 5 }, 'domain', TypeError],
    ['zero query interval', { queryIntervalMs: 0 }, 'queryIntervalMs', RangeError],
    ['infinite query timeout', { queryTimeoutMs: Infinity }, 'queryTimeoutMs', RangeError],
    ['query timeout string', { queryTimeoutMs: '150' }, 'queryTimeoutMs', TypeError],
    ['clock without now', { clock: {} }, 'clock', TypeError],
    ['misspelt option', { intreface: '127.0.0.1' }, 'intreface', TypeError],
  ];
  for (const [what, options, option, errorType] of cases) {
    it(`rejects ${what}, naming ${option}`, () => {
      assert.throws(() => mdnsRegistry(options as MdnsRegistryOptions), (err: Error) => {
        assert.ok(err instanceof errorType, `${err.name}: ${err.message}`);
        assert.match(err.message, new RegExp(`\\b${option}\\b`));
        return true;
      });
    });
  }

  it('accepts good options and opens no socket before first use', async () => {
    const udp = (): number => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;
    const before = udp();
    const r = mdnsRegistry({ interface: LOOPBACK, port: 65000, group: '239.1.2.3', domain: 'Keel.Test', queryIntervalMs: 50, queryTimeoutMs: 10 });
    assert.equal(udp(), before);
    await r.close();
  });

  it('rejects nodes that cannot be advertised, before sending anything', async () => {
    const r = mdnsRegistry({ interface: LOOPBACK, port: 65000 });
    await assert.rejects(r.register(node('x'.repeat(200), { id: 'short' }), { ttlMs: 1000 }), { name: 'RangeError', message: /node\.name/ });
    await assert.rejects(r.register(node(Array(5).fill('y'.repeat(60)).join('.'), { id: 'short' }), { ttlMs: 1000 }), { name: 'RangeError', message: /node\.id and node\.name are too long/ });
    await assert.rejects(r.register(node('spaced name', { id: 'short' }), { ttlMs: 1000 }), { name: 'RangeError', message: /node\.name "spaced name" is not a DNS name/ });
    await assert.rejects(r.register(node('host', { address: 'localhost:80' }), { ttlMs: 1000 }), { name: 'RangeError', message: /node\.address must have an IP address/ });
    await assert.rejects(r.register(node('big', { metadata: { blob: randomBytes(6000).toString('base64') } }), { ttlMs: 1000 }), { name: 'RangeError', message: /metadata/ });
    await assert.rejects(r.register(node('bad', { address: 'nope' }), { ttlMs: 1000 }), /address/);
    await assert.rejects(r.getService(''), { name: 'TypeError', message: /name/ });
    assert.throws(() => r.watch(undefined as unknown as string, () => undefined), { name: 'TypeError', message: /name/ });
    await r.close();
  });
});

describe('mdnsRegistry over loopback multicast', { skip: gate.skip }, () => {
  it('finds a node registered by another instance sharing the port, promptly', async () => {
    const port = await freeUdpPort();
    const a = make(port);
    const b = make(port);
    const n = node('mdns-find', { metadata: { zone: 'b', 'x-y': 'z' } });
    await a.register(n, { ttlMs: 10_000 });
    const t0 = Date.now();
    assert.deepEqual(await b.getService(n.name), [n]);
    assert.ok(since(t0) < 600, `getService took ${since(t0)} ms with queryTimeoutMs 150`);
    assert.deepEqual(await a.getService(n.name), [n], 'the owner finds its own node');
    assert.deepEqual(await b.getService('mdns-find-other'), []);
  });

  it('finds many nodes, whose answers span several packets', async () => {
    const port = await freeUdpPort();
    const a = make(port);
    const b = make(port);
    const nodes = Array.from({ length: 40 }, () => node('mdns-many'));
    await Promise.all(nodes.map((n) => a.register(n, { ttlMs: 10_000 })));
    assert.equal(ids(await b.getService('mdns-many')), ids(nodes));
  });

  it('round-trips names with dots and case, metadata with non-ASCII, without prefix collisions', async () => {
    const port = await freeUdpPort();
    const a = make(port);
    const b = make(port);
    const n = node('go.micro.srv.basis', { id: 'Go.Micro_Basis-1', metadata: { 'k.e.y': 'välue ✓', blob: 'y'.repeat(1500) } });
    await a.register(n, { ttlMs: 10_000 });
    assert.deepEqual(await b.getService('go.micro.srv.basis'), [n]);
    // go-micro compares names byte for byte, so does keel: another case is another service.
    for (const other of ['go.micro.srv', 'micro.srv.basis', 'srv.basis', 'GO.MICRO.SRV.BASIS', 'Go.Micro_Basis-1.go.micro.srv.basis', 'go-micro-srv-basis']) {
      assert.deepEqual(await b.getService(other), [], other);
    }
  });

  it('tells a watcher of a join by the announcement and of a leave by the goodbye, each within a second', async (t) => {
    const port = await freeUdpPort();
    const a = make(port);
    const b = make(port, { queryIntervalMs: 60_000 }); // one query at start: the join must come unsolicited
    const name = 'mdns-join-leave';
    const w = watcher(b, name);
    await eventually(() => w.lists.length === 1, 'the first (empty) list', 2000);
    assert.deepEqual(w.lists[0], []);
    const n = node(name);
    let t0 = Date.now();
    await a.register(n, { ttlMs: 30_000 });
    await eventually(() => w.last() === n.id, 'the watcher to see the join', 1000);
    const joinMs = since(t0);
    t0 = Date.now();
    await a.deregister(n); // the TTL is 30 s: only the goodbye can make it leave now
    await eventually(() => w.last() === '', 'the watcher to see the leave', 1000);
    assert.deepEqual(w.lists.map(ids), ['', n.id, ''], 'one call per change');
    t.diagnostic(`join seen in ${joinMs} ms, leave in ${since(t0)} ms`);
    w.stop();
  });

  it('drops a node whose owner stops refreshing it (no goodbye) at its TTL, and keeps a refreshed one', async () => {
    const port = await freeUdpPort();
    const a = make(port);
    const b = make(port, { queryIntervalMs: 300 });
    const name = 'mdns-expiry';
    const w = watcher(b, name);
    await eventually(() => w.lists.length === 1, 'the first list', 2000);
    const stale = node(name);
    const kept = node(name);
    const t0 = Date.now();
    await a.register(stale, { ttlMs: 1000 });
    await a.register(kept, { ttlMs: 1000 });
    const refresh = setInterval(() => void a.register(kept, { ttlMs: 1000 }), 300);
    try {
      await eventually(() => w.last() === ids([stale, kept]), 'the watcher to see both', 1000);
      await eventually(() => w.last() === kept.id, 'the stale node to expire', 4000);
      const goneMs = since(t0);
      assert.ok(goneMs >= 950, `dropped after ${goneMs} ms, before its TTL of 1000 ms`);
      assert.ok(goneMs <= 1000 + 300 + 400, `dropped after ${goneMs} ms: more than TTL + query interval (+400 ms slack)`);
      await new Promise((res) => setTimeout(res, 1200)); // past the kept node's first TTL
      assert.equal(w.last(), kept.id, 'the refreshed node stays');
      assert.equal(ids(await b.getService(name)), kept.id);
    } finally {
      clearInterval(refresh);
    }
    w.stop();
  });

  it('expires by the injected clock, in the owner and in the asker', async () => {
    const port = await freeUdpPort();
    const clock = new FakeClock(Date.now());
    const a = make(port, { clock });
    const b = make(port, { clock });
    const n = node('mdns-clock');
    await a.register(n, { ttlMs: 5000 });
    clock.advance(4999);
    assert.deepEqual(await b.getService(n.name), [n]);
    clock.advance(1);
    assert.deepEqual(await b.getService(n.name), []);
    assert.deepEqual(await a.getService(n.name), []);
  });

  it('discovers nodes between separate processes: join, goodbye, crash and get', async () => {
    const port = await freeUdpPort();
    const here = make(port, { queryIntervalMs: 300 });
    const name = 'mdns-two-procs';
    const w = watcher(here, name);

    const polite = node(name, { id: 'peer-polite' });
    const p1 = peer(['register', String(port), JSON.stringify(polite), '30000']);
    await eventually(() => p1.lines.includes('ready'), 'peer 1 to register', 10_000);
    await eventually(() => w.last() === polite.id, 'this process to see the other one\'s node', 1000);
    let t0 = Date.now();
    p1.child.stdin?.end(); // the peer closes its registry: a goodbye
    await eventually(() => w.last() === '', 'the goodbye from the other process', 1000);
    assert.ok(since(t0) < 1000);
    assert.equal(await p1.exited, 0);

    const crashing = node(name, { id: 'peer-crashing' });
    const p2 = peer(['register', String(port), JSON.stringify(crashing), '30000']);
    await eventually(() => p2.lines.includes('ready'), 'peer 2 to register', 10_000);
    await eventually(() => w.last() === crashing.id, 'the crashing peer\'s node', 1000);
    t0 = Date.now();
    p2.child.kill('SIGKILL'); // no goodbye, TTL 30 s: the node must leave when it answers no more queries
    await eventually(() => w.last() === '', 'the crashed peer\'s node to leave', 5000);
    assert.ok(since(t0) <= 3 * 300 + 1000, `left ${since(t0)} ms after the crash: more than 3 query intervals of 300 ms (+1 s slack)`);

    const mine = node(name, { id: 'here' });
    await here.register(mine, { ttlMs: 10_000 });
    const p3 = peer(['get', String(port), name]);
    assert.equal(await p3.exited, 0);
    assert.deepEqual(JSON.parse(p3.lines[0] ?? 'null'), [mine], 'the other process finds this one\'s node');
    w.stop();
  });

  it('survives malformed and forged packets, to the group and unicast, and adds no node from them', async () => {
    const port = await freeUdpPort();
    const r = make(port, { queryIntervalMs: 200 });
    const name = 'mdns-garbage';
    const own = node(name, { id: 'own' });
    await r.register(own, { ttlMs: 30_000 });
    const w = watcher(r, name);
    await eventually(() => w.last() === own.id, 'the own node', 2000);

    const forge = (n: ServiceNode, txt: (string | Buffer)[], instance = instanceName(n, 'micro'), address = '127.0.0.1'): Buffer =>
      dns.encode({
        type: 'response',
        answers: [
          { type: 'PTR', name: `${name}.micro`, ttl: 30, data: instance },
          { type: 'SRV', name: instance, ttl: 30, data: { port: 4000, target: instance } },
          { type: 'A', name: instance, ttl: 30, data: address },
          { type: 'TXT', name: instance, ttl: 30, data: txt },
        ],
      });
    const forgedNode = (id: string, extra: Partial<ServiceNode> = {}): ServiceNode => ({ ...node(name), id, ...extra });
    const json = (n: unknown): string => JSON.stringify(n);
    const hex = (text: string): string => deflateSync(text).toString('hex');
    const goodPacket = responsePacket(nodeRecords(forgedNode('x'), 30_000, 'micro'));
    const garbage = [
      Buffer.alloc(0),
      Buffer.from('not a dns packet at all'),
      Buffer.from([0, 0, 0x84, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0]), // claims 65535 answers
      Buffer.from([0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0xc0, 12, 0, 12, 0, 1]), // name pointing at itself
      goodPacket.subarray(0, goodPacket.length - 9),
      ...Array.from({ length: 200 }, (_, i) => randomBytes(1 + i * 3)),
      forge(forgedNode('forged-json'), [hex('{"Service":')]),
      forge(forgedNode('forged-plain-json'), [json({ Service: name, Version: '1' })]),
      forge(forgedNode('forged-name'), encodeTxt(forgedNode('forged-name', { name: 'other' }))),
      forge(forgedNode('forged-address'), encodeTxt(forgedNode('forged-address')), undefined, '0.0.0.0.1'),
      forge(forgedNode('forged-no-txt'), []),
      forge(forgedNode('forged-txt-type'), [hex('[1,2,3]')]),
      forge(forgedNode('forged-metadata'), [hex(`{"Service":"${name}","Version":5}`)]),
      dns.encode({ type: 'query', questions: [{ type: 'PTR', name: `\u0000\u00ff.${name}.micro` }] }),
      dns.encode({ type: 'query', questions: [{ type: 'PTR', name: '_zz._services.micro' }] }),
    ];
    await sendRaw(port, garbage, 'group');
    await sendRaw(port, garbage, 'unicast');
    // The control: a well-formed node from "another host", sent after the garbage through the same path,
    // again until heard (a burst of 400 datagrams may fill the socket's receive buffer: UDP then drops).
    const control = forgedNode('control');
    const controlPackets = [responsePacket(nodeRecords(control, 30_000, 'micro'))];
    await eventually(async () => {
      await sendRaw(port, controlPackets, 'group');
      await new Promise((res) => setTimeout(res, 50));
      return w.last() === ids([own, control]);
    }, 'the control node, heard after the garbage', 3000).catch((err: Error) => {
      throw new Error(`${err.message}; lists: ${json(w.lists.map(ids))}`);
    });
    assert.ok(w.lists.every((l) => l.every((n) => n.id === own.id || n.id === control.id)), `lists: ${json(w.lists.map(ids))}`);
    assert.equal(ids(await r.getService(name)), ids([own, control]), 'still answering and asking');
    w.stop();
  });

  it('keeps at most 1024 heard nodes of a service, however many are announced', async () => {
    const port = await freeUdpPort();
    const r = make(port, { queryIntervalMs: 60_000 });
    const name = 'mdns-flood';
    const w = watcher(r, name);
    await eventually(() => w.lists.length === 1, 'the first list', 2000);
    const packets = Array.from({ length: 1100 }, (_, i) => responsePacket(nodeRecords({ ...node(name), id: `flood-${i}` }, 30_000, 'micro')));
    await eventually(async () => {
      for (let i = 0; i < packets.length; i += 100) {
        await sendRaw(port, packets.slice(i, i + 100), 'group');
        await new Promise((res) => setTimeout(res, 10));
      }
      return (w.lists.at(-1)?.length ?? 0) >= 1024;
    }, '1024 heard nodes', 10_000);
    assert.ok(w.lists.every((l) => l.length <= 1024), `a list of ${Math.max(...w.lists.map((l) => l.length))} nodes`);
    w.stop();
  });

  it('reports a port it cannot bind; a watcher then stays silent rather than report no nodes, and recovers', async () => {
    const port = await freeUdpPort();
    const blocker = createSocket('udp4'); // no reuseAddr: nobody may share the port
    await new Promise<void>((res) => blocker.bind(port, LOOPBACK, res));
    const r = make(port, { queryIntervalMs: 100 });
    const w = watcher(r, 'mdns-blocked');
    try {
      await assert.rejects(r.getService('mdns-blocked'), /cannot open UDP 0\.0\.0\.0:\d+/);
      await new Promise((res) => setTimeout(res, 500));
      assert.deepEqual(w.lists, [], 'an unreachable network is not an empty service');
    } finally {
      await new Promise<void>((res) => blocker.close(res));
    }
    await eventually(() => w.lists.length === 1, 'the first list once the port is free', 2000);
    w.stop();
  });

  it('close() says goodbye, refuses further use, and is idempotent', async () => {
    const port = await freeUdpPort();
    const a = mdnsRegistry({ interface: LOOPBACK, port });
    const b = make(port, { queryIntervalMs: 60_000 });
    const n = node('mdns-close');
    await a.register(n, { ttlMs: 30_000 });
    const w = watcher(b, n.name);
    await eventually(() => w.last() === n.id, 'the node', 2000);
    await Promise.all([a.close(), a.close()]);
    await eventually(() => w.last() === '', 'the goodbye sent by close()', 1000);
    await assert.rejects(a.register(n, { ttlMs: 1000 }), /after close/);
    await assert.rejects(a.getService(n.name), /after close/);
    assert.throws(() => a.watch(n.name, () => undefined), /after close/);
    await a.deregister(n);
    await a.close();
    w.stop();
  });

  it('leaves nothing that keeps a process alive, closed or not', async () => {
    for (const closeIt of [true, false]) {
      const port = await freeUdpPort();
      const p = peer(['lifecycle', String(port), 'mdns-lifecycle', closeIt ? 'close' : 'no-close']);
      const timeout = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
      const exit = await p.exited;
      clearTimeout(timeout);
      assert.equal(exit, 0, `the peer (${closeIt ? 'closed' : 'not closed'}) was still running after 10 s; output: ${p.lines.join('\n')}`);
      assert.equal(JSON.parse(p.lines[0] ?? '{}').found, 1);
    }
  });
});

describe('mdnsRegistry.listServices across registries (go-micro\'s _services entries)', { skip: gate.skip }, () => {
  it('lists the services another registry answers for, and drops one after its goodbye', async () => {
    const port = await freeUdpPort();
    const owner = make(port);
    const browser = make(port);
    await browser.listServices(); // opens the socket before the owner announces
    const a = node('list-alpha');
    const b = node('go.micro.srv.list-beta');
    await owner.register(a, { ttlMs: 10_000 });
    await owner.register(b, { ttlMs: 10_000 });
    assert.deepEqual(await browser.listServices(), ['go.micro.srv.list-beta', 'list-alpha']);
    await owner.deregister(a);
    assert.deepEqual(await browser.listServices(), ['go.micro.srv.list-beta']);
  });

});

if (gate.skip === false) {
  registryConformance('mdns', () => mdnsRegistry({ interface: LOOPBACK, port: conformancePort, queryIntervalMs: 200 }));
}

/** A second process (test/fixtures/mdns-peer.ts), always on the loopback interface. */
function peer(args: string[]): { child: ChildProcess; lines: string[]; exited: Promise<number | string | null> } {
  const child = spawn(process.execPath, [join(__dirname, '..', 'fixtures', 'mdns-peer.js'), ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  const lines: string[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => lines.push(line));
  const exited = new Promise<number | string | null>((resolve) => child.on('close', (code, signal) => resolve(code ?? signal)));
  return { child, lines, exited };
}
