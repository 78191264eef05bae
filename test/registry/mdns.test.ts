import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import * as dns from 'dns-packet';
import { mdnsRegistry, type MdnsRegistryOptions } from '../../src/registry/mdns';
import {
  decodeLabels, encodeLabels, encodeListQuery, encodeQuery, encodeResponses, instanceName, nodeRecords, parsePacket, serviceDomain,
  serviceListRecords,
} from '../../src/registry/mdns-wire';
import type { Registry, ServiceNode } from '../../src/registry/registry';
import { eventually } from '../support/basis';
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

describe('mdns wire format', () => {
  it('escapes any name into lower-case labels of at most 63 bytes, and back', () => {
    const names = ['basis', 'go.micro.srv.basis', 'Basis', 'a_b', 'a-b', '_5f', 'ünïcödé ✓ 🚀', ' ', 'x'.repeat(100), 'A'.repeat(40)];
    const encoded = names.map(encodeLabels);
    for (const [i, e] of encoded.entries()) {
      assert.match(e, /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/, names[i]);
      for (const label of e.split('.')) assert.ok(label.length <= 63, `${names[i]}: label of ${label.length} bytes`);
      assert.equal(decodeLabels(e), names[i]);
      assert.equal(decodeLabels(e.toUpperCase()), names[i], 'a responder may change case');
    }
    assert.equal(new Set(encoded).size, names.length, 'distinct names stay distinct');
    assert.equal(encodeLabels('go.micro.srv.basis'), 'go_2emicro_2esrv_2ebasis');
    for (const bad of ['', 'a b', '_zz', '_4', '_61' /* not canonical: "a" */, '_ff', 'a..b']) {
      assert.equal(decodeLabels(bad), undefined, JSON.stringify(bad));
    }
  });

  it('round-trips a node through PTR + TXT, splitting big TXT data into 255-byte strings', () => {
    const n = node('go.micro.srv.basis', { id: 'Node.1', metadata: { blob: 'é'.repeat(700), 'k.e.y': 'v' } });
    const records = nodeRecords(n, 2500, 'local');
    const txt = records.find((r) => r.type === 'TXT')?.data as Buffer[];
    assert.ok(txt.length > 5 && txt.every((s) => s.length <= 255), 'TXT strings of at most 255 bytes');
    assert.deepEqual(records.map((r) => [r.type, r.name, (r as { ttl: number }).ttl]), [
      ['PTR', 'go_2emicro_2esrv_2ebasis._keel._tcp.local', 3],
      ['TXT', instanceName(n, 'local'), 3],
    ]);
    const [packet, ...more] = encodeResponses([records]);
    assert.equal(more.length, 0);
    assert.deepEqual(parsePacket(packet as Buffer, 'local'), {
      queries: [],
      listQuery: false,
      listed: [],
      heard: [{ service: n.name, instance: instanceName(n, 'local'), ttlMs: 2500, node: n }],
    });
    const [bye] = encodeResponses([nodeRecords(n, 0, 'local')]);
    assert.deepEqual(parsePacket(bye as Buffer, 'local')?.heard, [{ service: n.name, instance: instanceName(n, 'local'), ttlMs: 0, node: undefined }]);
    assert.deepEqual(parsePacket(encodeQuery(['go.micro.srv.basis', 'x'], 'local'), 'local'), { queries: ['go.micro.srv.basis', 'x'], listQuery: false, heard: [], listed: [] });
    assert.deepEqual(parsePacket(packet as Buffer, 'other.domain')?.heard, [], 'another domain is not ours');
  });

  it('packs many nodes into packets of about 1400 bytes, never splitting a node', () => {
    const nodes = Array.from({ length: 30 }, () => node('packed'));
    const packets = encodeResponses(nodes.map((n) => nodeRecords(n, 5000, 'local')));
    assert.ok(packets.length > 1 && packets.every((p) => p.length <= 1400), `sizes ${packets.map((p) => p.length).join()}`);
    const heard = packets.flatMap((p) => parsePacket(p, 'local')?.heard ?? []);
    assert.equal(ids(heard.map((h) => h.node as ServiceNode)), ids(nodes));
  });

  it('reads garbage as nothing, without throwing', () => {
    for (let i = 0; i < 2000; i++) {
      const buf = randomBytes(1 + (i % 300));
      assert.doesNotThrow(() => parsePacket(buf, 'local'));
      assert.equal(parsePacket(buf, 'local')?.heard.length ?? 0, 0);
    }
    const [good] = encodeResponses([nodeRecords(node('cut'), 5000, 'local')]);
    for (let end = 0; end < (good as Buffer).length; end++) {
      assert.equal(parsePacket((good as Buffer).subarray(0, end), 'local')?.heard.length ?? 0, 0, `cut at ${end}`);
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
    await assert.rejects(r.register(node('x'.repeat(200)), { ttlMs: 1000 }), { name: 'RangeError', message: /node\.id and node\.name/ });
    await assert.rejects(r.register(node('big', { metadata: { blob: 'x'.repeat(10_000) } }), { ttlMs: 1000 }), { name: 'RangeError', message: /metadata/ });
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

  it('round-trips names with dots, case and non-ASCII, without prefix or escape collisions', async () => {
    const port = await freeUdpPort();
    const a = make(port);
    const b = make(port);
    const n = node('go.micro.srv.basis', { id: 'Go.Micro_Basis-1 ünï', metadata: { 'k.e.y': 'välue ✓', blob: 'y'.repeat(1500) } });
    await a.register(n, { ttlMs: 10_000 });
    assert.deepEqual(await b.getService('go.micro.srv.basis'), [n]);
    for (const other of ['go.micro.srv', 'micro.srv.basis', 'GO.MICRO.SRV.BASIS', 'go_2emicro_2esrv_2ebasis', 'go-micro-srv-basis']) {
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
    const p2 = peer(['register', String(port), JSON.stringify(crashing), '1500']);
    await eventually(() => p2.lines.includes('ready'), 'peer 2 to register', 10_000);
    await eventually(() => w.last() === crashing.id, 'the crashing peer\'s node', 1000);
    t0 = Date.now();
    p2.child.kill('SIGKILL'); // no goodbye: the node must expire
    await eventually(() => w.last() === '', 'the crashed peer\'s node to expire', 5000);
    assert.ok(since(t0) <= 1500 + 300 + 500, `expired ${since(t0)} ms after the crash, TTL 1500`);

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

    const forge = (n: ServiceNode, txt: (string | Buffer)[], instance = instanceName(n, 'local')): Buffer =>
      dns.encode({
        type: 'response',
        answers: [
          { type: 'PTR', name: serviceDomain(name, 'local'), ttl: 30, data: instance },
          { type: 'TXT', name: instance, ttl: 30, data: txt },
        ],
      });
    const forgedNode = (id: string, extra: Partial<ServiceNode> = {}): ServiceNode => ({ ...node(name), id, ...extra });
    const json = (n: unknown): string => JSON.stringify(n);
    const [goodPacket] = encodeResponses([nodeRecords(forgedNode('x'), 30_000, 'local')]);
    const garbage = [
      Buffer.alloc(0),
      Buffer.from('not a dns packet at all'),
      Buffer.from([0, 0, 0x84, 0, 0, 0, 0xff, 0xff, 0, 0, 0, 0]), // claims 65535 answers
      Buffer.from([0, 0, 0x84, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0xc0, 12, 0, 12, 0, 1]), // name pointing at itself
      (goodPacket as Buffer).subarray(0, (goodPacket as Buffer).length - 9),
      ...Array.from({ length: 200 }, (_, i) => randomBytes(1 + i * 3)),
      forge(forgedNode('forged-json'), ['keel=1', '{"id":']),
      forge(forgedNode('forged-marker'), [json(forgedNode('forged-marker'))]),
      forge(forgedNode('forged-name', { name: 'other' }), ['keel=1', json(forgedNode('forged-name', { name: 'other' }))], instanceName({ id: 'forged-name', name }, 'local')),
      forge(forgedNode('forged-id'), ['keel=1', json(forgedNode('forged-id'))], instanceName({ id: 'forged-id-2', name }, 'local')),
      forge(forgedNode('forged-address', { address: 'nope' }), ['keel=1', json(forgedNode('forged-address', { address: 'nope' }))]),
      forge(forgedNode('forged-no-txt'), []),
      forge(forgedNode('forged-txt-type'), ['keel=1', '[1,2,3]']),
      dns.encode({ type: 'query', questions: [{ type: 'PTR', name: `\u0000\u00ff.${serviceDomain(name, 'local')}` }] }),
      dns.encode({ type: 'query', questions: [{ type: 'PTR', name: '_zz._keel._tcp.local' }] }),
    ];
    await sendRaw(port, garbage, 'group');
    await sendRaw(port, garbage, 'unicast');
    // The control: a well-formed node from "another host", sent after the garbage through the same path,
    // again until heard (a burst of 400 datagrams may fill the socket's receive buffer: UDP then drops).
    const control = forgedNode('control');
    const controlPackets = encodeResponses([nodeRecords(control, 30_000, 'local')]);
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

describe('mdnsRegistry.listServices across registries (DNS-SD browsing)', { skip: gate.skip }, () => {
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

  it('answers a browse query with one PTR per live service, and reads such answers', () => {
    const query = parsePacket(encodeListQuery('local'), 'local');
    assert.equal(query?.listQuery, true);
    assert.deepEqual(query?.queries, [], 'a browse query asks for no one service');
    const [answer] = encodeResponses([serviceListRecords(new Map([['basis', 2500], ['x.y', 1]]), 'local')]);
    assert.deepEqual(parsePacket(answer as Buffer, 'local')?.listed, ['basis', 'x.y']);
    const [bye] = encodeResponses([serviceListRecords(new Map([['basis', 0]]), 'local')]);
    assert.deepEqual(parsePacket(bye as Buffer, 'local')?.listed, [], 'TTL 0 lists nothing');
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
