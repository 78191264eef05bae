import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { after, before, describe, it, type TestContext } from 'node:test';
import type { ServiceNode } from '../../src/index';
import { eventually, replier } from '../support/basis';
import { goMicroPeers, runGoMicroClient, startGoMicroServer, type GoMicroPeers, type GoMicroServer } from '../support/go-micro-peers';
import { createNetns, NETNS_IP, type Netns } from './netns';

/**
 * keel's mdnsRegistry against go-micro v5.12's default registry (mDNS), both with no options but the
 * interface: keel servers and clients in agent processes (mdns-agent.ts), go-micro peers built by
 * scripts/build-interop, all inside a network namespace this file creates and removes, so that no
 * multicast (go-micro's IPv6 mDNS included) can leave the machine.
 */

interface Agent {
  child: ChildProcess;
  send<T = unknown>(op: string, args?: Record<string, unknown>): Promise<T>;
  exited: Promise<void>;
}

const run = promisify(execFile);
let netns: Netns | undefined;
let why: string | undefined;
let peers: GoMicroPeers | undefined;
const agents: Agent[] = [];
const goServers: GoMicroServer[] = [];

/** A keel process in the namespace (see mdns-agent.ts); `queryIntervalMs` is its registry's. */
function agent(queryIntervalMs = 500): Agent {
  const child = spawn((netns as Netns).via[0] as string, [...(netns as Netns).via.slice(1), process.execPath,
    join(__dirname, 'mdns-agent.js'), NETNS_IP, String(queryIntervalMs)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let seq = 0;
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (!line.startsWith('{"id":')) return void process.stderr.write(`[keel agent] ${line}\n`); // keel's own log lines
    const answer = JSON.parse(line) as { id: number; ok: boolean; value: unknown; error: string };
    const w = waiting.get(answer.id);
    waiting.delete(answer.id);
    if (answer.ok) w?.resolve(answer.value);
    else w?.reject(new Error(answer.error));
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => {
    for (const w of waiting.values()) w.reject(new Error('the keel agent exited'));
    resolve();
  }));
  const a: Agent = {
    child,
    exited,
    send: <T>(op: string, args: Record<string, unknown> = {}) => new Promise<T>((resolve, reject) => {
      const id = ++seq;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.stdin?.write(`${JSON.stringify({ id, op, ...args })}\n`);
    }),
  };
  agents.push(a);
  return a;
}

const startGo = async (name: string): Promise<GoMicroServer> => {
  const s = await startGoMicroServer((peers as GoMicroPeers).server, '', name,
    ['--registry', 'mdns', '--server_address', `${NETNS_IP}:0`], (netns as Netns).via);
  goServers.push(s);
  return s;
};
const goClient = (args: string[]) => runGoMicroClient((peers as GoMicroPeers).client, '', ['--registry', 'mdns', ...args], (netns as Netns).via);
/** What go-micro's mDNS registry decodes for `name` (GetService: a live query, 100 ms). */
const goDescribe = async (name: string): Promise<Array<{ version: string; endpoints: Array<{ name: string; metadata: Record<string, string> }>; nodes: Array<{ id: string; address: string; metadata: Record<string, string> }> }>> => {
  const run = await goClient(['--service', name, '--describe']);
  return run.code === 0 ? JSON.parse(run.stdout[0] as string) : [];
};
const goNodeIds = async (name: string): Promise<string> => (await goDescribe(name)).flatMap((s) => s.nodes.map((n) => n.id)).sort().join();
const sorted = (ids: string[]): string => [...ids].sort().join();
const counts = (lines: string[]): Map<string, number> => {
  const m = new Map<string, number>();
  for (const line of lines) m.set(replier(line), (m.get(replier(line)) ?? 0) + 1);
  return m;
};
const skipped = (t: TestContext): boolean => {
  if (netns !== undefined && peers !== undefined) return false;
  t.skip(why ?? 'KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
  return true;
};

describe('keel and go-micro v5 on mDNS, each with its default registry (in a network namespace)', () => {
  let keel: Agent;
  let keelServer: { id: string; address: string };
  let goServer: GoMicroServer;

  before(async () => {
    const ns = await createNetns();
    if (typeof ns === 'string') {
      why = ns;
      process.stderr.write(`\n${'!'.repeat(78)}\n!! SKIPPING the go-micro mDNS interop suite: ${ns}\n${'!'.repeat(78)}\n\n`);
      return;
    }
    netns = ns;
    peers = await goMicroPeers('go-micro mDNS interoperability');
    if (peers === undefined) return;
    keel = agent();
    keelServer = await keel.send('serve', { name: 'keel-only' });
    goServer = await startGo('go-only');
  });
  after(async () => {
    await Promise.all(goServers.map((s) => s.stop()));
    for (const a of agents) a.child.stdin?.end();
    await Promise.all(agents.map((a) => Promise.race([a.exited, new Promise((r) => setTimeout(r, 5000))])));
    for (const a of agents) if (a.child.exitCode === null) a.child.kill('SIGKILL');
    await netns?.close();
  });

  it('a go-micro client calls a keel server, and sees its version, endpoints and metadata as keel writes them', async (t) => {
    if (skipped(t)) return;
    const run = await goClient(['--service', 'keel-only', '--count', '3']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.stdout, Array(3).fill(`Hello go-micro from ${keelServer.id}`));
    const [service, ...more] = await goDescribe('keel-only');
    assert.equal(more.length, 0);
    assert.equal(service?.version, 'latest');
    assert.deepEqual(service?.nodes.map((n) => [n.id, n.address]), [[keelServer.id, keelServer.address]]);
    assert.deepEqual(service?.nodes[0]?.metadata, { broker: 'none', protocol: 'grpc', registry: 'mdns', server: 'grpc', transport: 'grpc' });
    assert.deepEqual(service?.endpoints.map((e) => [e.name, e.metadata]), [
      ['Basis.Chat', { stream: 'true' }], ['Basis.Collect', { stream: 'true' }], ['Basis.Hello', {}], ['Basis.Stream', { stream: 'true' }],
    ]);
    // go-micro's selector filters read those endpoints and that metadata.
    const filtered = await goClient(['--service', 'keel-only', '--filter_endpoint', 'Basis.Hello', '--filter_protocol']);
    assert.equal(filtered.code, 0, filtered.stderr);
    const none = await goClient(['--service', 'keel-only', '--filter_endpoint', 'Basis.Nope']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /ERROR 1 .*not found|ERROR 1 .*none available/i);
  });

  it('a keel client calls a go-micro server, and reads its node as go-micro wrote it', async (t) => {
    if (skipped(t)) return;
    assert.deepEqual(await keel.send('call', { name: 'go-only', count: 3 }), Array(3).fill(`Hello keel from ${goServer.id} (${goServer.address})`));
    const [node, ...more] = await keel.send<ServiceNode[]>('get', { name: 'go-only' });
    assert.equal(more.length, 0);
    assert.equal(node?.id, goServer.id);
    assert.equal(node?.address, goServer.address);
    assert.equal(node?.metadata.protocol, 'grpc');
    assert.equal(node?.metadata.registry, 'mdns');
    assert.deepEqual(node?.endpoints?.map((e) => e.name).sort(), ['Basis.Chat', 'Basis.Collect', 'Basis.Hello', 'Basis.Stream']);
  });

  it('a mixed fleet (2 keel, 2 go-micro nodes) is round-robined by both clients', async (t) => {
    if (skipped(t)) return;
    const other = agent();
    const k = [await keel.send<{ id: string }>('serve', { name: 'mixed' }), await other.send<{ id: string }>('serve', { name: 'mixed' })];
    const g = [await startGo('mixed'), await startGo('mixed')];
    const all = sorted([...k, ...g].map((n) => n.id));
    await keel.send('watch', { name: 'mixed' });
    await eventually(async () => sorted(await keel.send<string[]>('watched', { name: 'mixed' }) ?? []) === all, 'keel to see the 4 nodes', 10_000);
    assert.equal(await goNodeIds('mixed'), all, 'go-micro sees the 4 nodes');
    const byKeel = counts(await keel.send<string[]>('call', { name: 'mixed', count: 12 }));
    assert.deepEqual([...byKeel.keys()].sort().join(), all);
    assert.deepEqual([...byKeel.values()], [3, 3, 3, 3], 'keel: 12 calls, 3 a node');
    const run = await goClient(['--service', 'mixed', '--count', '12', '--strategy', 'rotate']);
    assert.equal(run.code, 0, run.stderr);
    const byGo = counts(run.stdout);
    assert.deepEqual([...byGo.keys()].sort().join(), all);
    assert.deepEqual([...byGo.values()], [3, 3, 3, 3], 'go-micro: 12 calls, 3 a node');
  });

  it('go-micro\'s ListServices and keel\'s listServices see the services of both', async (t) => {
    if (skipped(t)) return;
    const run = await goClient(['--list']);
    assert.equal(run.code, 0, run.stderr);
    const byGo = JSON.parse(run.stdout[0] as string) as string[];
    const byKeel = await keel.send<string[]>('list');
    for (const name of ['go-only', 'keel-only', 'mixed']) {
      assert.ok(byGo.includes(name), `go-micro lists ${name}: ${byGo}`);
      assert.ok(byKeel.includes(name), `keel lists ${name}: ${byKeel}`);
    }
  });

  it('the keel CLI on mDNS lists, describes and calls services of both kinds', async (t) => {
    if (skipped(t)) return;
    const via = (netns as Netns).via;
    const cli = (args: string[]): Promise<{ stdout: string }> => run(via[0] as string, [...via.slice(1), process.execPath,
      join(__dirname, '..', '..', 'src', 'toolkit', 'cli', 'main.js'), ...args, '--registry', 'mdns'], { timeout: 30_000 });
    const services = (await cli(['services'])).stdout;
    for (const name of ['go-only', 'keel-only']) assert.match(services, new RegExp(`^${name}\\s+1\\s`, 'm'), services);
    const described = (await cli(['describe', 'go-only'])).stdout;
    assert.match(described, new RegExp(`^${goServer.id}\\s+${goServer.address.replace(/\./g, '\\.')}\\s`, 'm'), described);
    assert.match(described, /^Basis\.Hello\s+unary\s/m, described);
    const proto = join(__dirname, 'basis', 'basis.proto');
    assert.deepEqual(JSON.parse((await cli(['call', 'keel-only', 'Basis.Hello', '{"name":"cli"}', '--proto', proto])).stdout),
      { msg: `Hello cli from ${keelServer.id}` });
  });

  it('streams between keel and go-micro through mDNS: server, client and bidi, both ways', async (t) => {
    if (skipped(t)) return;
    const from = `from ${goServer.id} (${goServer.address})`;
    assert.deepEqual(await keel.send('stream', { name: 'go-only', count: 5 }), [1, 2, 3, 4, 5].map((i) => `keel ${i}/5 ${from}`));
    assert.equal(await keel.send('collect', { name: 'go-only', names: ['a', 'b', 'c'] }), `Collected 3: a,b,c ${from}`);
    assert.deepEqual(await keel.send('chat', { name: 'go-only', names: ['x', 'y'] }), [`Echo x ${from}`, `Echo y ${from}`]);

    const kFrom = `from ${keelServer.id}`;
    const stream = await goClient(['--service', 'keel-only', '--stream', '5', '--no_close_send', '--request_name', 'gm']);
    assert.equal(stream.code, 0, stream.stderr);
    assert.deepEqual(stream.stdout, [1, 2, 3, 4, 5].map((i) => `gm ${i}/5 ${kFrom}`));
    const collect = await goClient(['--service', 'keel-only', '--collect', '3', '--request_name', 'up']);
    assert.equal(collect.code, 0, collect.stderr);
    assert.deepEqual(collect.stdout, [`Collected 3: up-1,up-2,up-3 ${kFrom}`]);
    const chat = await goClient(['--service', 'keel-only', '--chat', '3', '--request_name', 'ping']);
    assert.equal(chat.code, 0, chat.stderr);
    assert.deepEqual(chat.stdout, [1, 2, 3].map((i) => `Echo ping-${i} ${kFrom}`));
  });

  it('a new node is announced and one that stops says goodbye, to both sides; a killed one leaves when it stops answering', async (t) => {
    if (skipped(t)) return;
    const name = 'leaving';
    const slow = agent(60_000); // queries once: only a goodbye (or the 120 s TTL) can remove a node from it
    const doomed = agent();
    const k = await keel.send<{ id: string }>('serve', { name });
    const kDoomed = await doomed.send<{ id: string }>('serve', { name });
    const [g, gDoomed] = [await startGo(name), await startGo(name)];
    const ids = (...nodes: { id: string }[]): string => sorted(nodes.map((n) => n.id));
    await slow.send('watch', { name });
    await keel.send('watch', { name });
    const seen = async (a: Agent): Promise<string> => sorted(await a.send<string[] | null>('watched', { name }) ?? []);
    await eventually(async () => (await seen(slow)) === ids(k, kDoomed, g, gDoomed), 'the once-asking keel watcher to see all 4', 10_000);
    await eventually(async () => (await seen(keel)) === ids(k, kDoomed, g, gDoomed), 'the keel watcher to see all 4', 10_000);

    // go-micro's registry watcher (mdns.Listen) hears keel's announcement as a create, its goodbye as a delete.
    const goWatch = goClient(['--service', name, '--watch', '5s']);
    await new Promise((r) => setTimeout(r, 1500)); // let it join the group
    const kNew = await slow.send<{ id: string }>('serve', { name });
    await keel.send('stop', { name: k.id });
    // keel's watchers hear go-micro's goodbye (Deregister on SIGTERM): the once-asking one has no other way.
    let t0 = Date.now();
    await g.stop();
    await eventually(async () => (await seen(slow)) === ids(kDoomed, gDoomed, kNew), 'the goodbyes of a keel and a go-micro node', 5000);
    t.diagnostic(`go-micro SIGTERM to gone from a keel watcher that asks once: ${Date.now() - t0} ms`);
    const watched = (await goWatch).stdout.slice(1).map((line) => JSON.parse(line) as { action: string; nodes: string[] });
    assert.ok(watched.some((r) => r.action === 'create' && r.nodes.join() === kNew.id), `go-micro's watcher: ${JSON.stringify(watched)}`);
    assert.ok(watched.some((r) => r.action === 'delete' && r.nodes.join() === k.id), `go-micro's watcher: ${JSON.stringify(watched)}`);
    assert.equal(await goNodeIds(name), ids(kDoomed, gDoomed, kNew));

    // kill -9: no goodbye. A keel watcher drops a node that answered none of 2 queries in a row; go-micro's
    // GetService asks live, so a node nobody answers for is simply not there.
    t0 = Date.now();
    doomed.child.kill('SIGKILL');
    gDoomed.process.kill('SIGKILL');
    await eventually(async () => (await seen(keel)) === kNew.id, 'the keel watcher to drop both killed nodes', 5000);
    t.diagnostic(`SIGKILL of a keel and a go-micro node to both gone from a keel watcher asking every 500 ms: ${Date.now() - t0} ms`);
    assert.equal(await goNodeIds(name), kNew.id);
  });
});
