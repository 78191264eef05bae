import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { consulRegistry, createClient, createServer, roundRobin, wrapClient, type HandlerContext, type KeelServer, type Registry } from '../../src/index';
import { Basis, eventually, replier, type HelloRequest } from '../support/basis';
import { startConsul, type ConsulAgent } from '../support/consul-agent';
import { toolOrSkip } from '../support/external';
import { chatInTurns, goMicroPeers, PeerBasis, runGoMicroClient, startGoMicroServer, type GoMicroPeers, type GoMicroServer, type StreamRequest } from '../support/go-micro-peers';

const consulBinary = toolOrSkip('consul', 'go-micro streaming interoperability');

/** What a keel Basis server's Stream handler saw. */
interface StreamProbe {
  server: KeelServer;
  id: string;
  started: number;
  /** When each Stream handler was called (epoch ms). */
  startedAt: number[];
  produced: number;
  aborted: number;
  finallyRan: number;
}

it('the peers\' basis.proto keeps examples/basis\'s Hello: same path, same messages on the wire', () => {
  const ours = Basis.service.Hello;
  const peers = PeerBasis.service.Hello;
  assert.equal(peers.path, ours.path);
  assert.deepEqual(peers.requestDeserialize(ours.requestSerialize({ name: 'wire' })), { name: 'wire' });
  assert.deepEqual(ours.responseDeserialize(peers.responseSerialize({ msg: 'back' })), { msg: 'back' });
  assert.equal(PeerBasis.service.Stream.path, '/basis.Basis/Stream');
  assert.equal(PeerBasis.service.Stream.responseStream, true);
  assert.deepEqual([PeerBasis.service.Collect.requestStream, PeerBasis.service.Collect.responseStream], [true, false]);
  assert.deepEqual([PeerBasis.service.Chat.requestStream, PeerBasis.service.Chat.responseStream], [true, true]);
});

describe('streams (server, client, bidi) between keel and go-micro v5 through Consul', { skip: consulBinary === undefined && 'consul missing (KEEL_SKIP_E2E=1)' }, () => {
  let consul: ConsulAgent;
  let peers: GoMicroPeers | undefined;
  let registry: Registry;
  const keelServers: KeelServer[] = [];
  const goServers: GoMicroServer[] = [];

  /** A keel server registered as `name` serving the peers' Basis, Stream as an async generator. */
  const startKeel = async (name: string): Promise<StreamProbe> => {
    const server = createServer({ name, registry, drainDelayMs: 0, registerTtlMs: 10_000, registerIntervalMs: 3000 });
    const probe: StreamProbe = { server, id: server.id, started: 0, startedAt: [], produced: 0, aborted: 0, finallyRan: 0 };
    server.addService(PeerBasis, {
      Hello: ({ name: who }: HelloRequest) => ({ msg: `Hello ${who} from ${server.id}` }),
      Stream: async function* ({ name: who, count, interval_ms }: StreamRequest, ctx: HandlerContext) {
        probe.started++;
        probe.startedAt.push(Date.now());
        ctx.signal.addEventListener('abort', () => probe.aborted++);
        try {
          for (let i = 1; i <= count; i++) {
            if (i > 1 && interval_ms) await new Promise((r) => setTimeout(r, interval_ms));
            probe.produced++;
            yield { msg: `${who} ${i}/${count} from ${server.id}` };
          }
        } finally {
          probe.finallyRan++;
        }
      },
      Collect: async (requests: AsyncIterable<HelloRequest>) => {
        const names: string[] = [];
        for await (const r of requests) names.push(r.name);
        return { msg: `Collected ${names.length}: ${names.join(',')} from ${server.id}` };
      },
      Chat: async function* (requests: AsyncIterable<HelloRequest>) {
        for await (const r of requests) yield { msg: `Echo ${r.name} from ${server.id}` };
      },
    });
    keelServers.push(server);
    await server.start();
    return probe;
  };
  const startGo = async (name: string): Promise<GoMicroServer> => {
    const s = await startGoMicroServer(peers!.server, consul.address, name);
    goServers.push(s);
    return s;
  };
  const goClient = (args: string[]) => runGoMicroClient(peers!.client, consul.address, args);

  before(async () => {
    peers = await goMicroPeers();
    consul = await startConsul(consulBinary as string);
    registry = consulRegistry({ address: consul.address, waitMs: 5000 });
  });
  after(async () => {
    await Promise.all(keelServers.map((s) => s.stop()));
    await Promise.all(goServers.map((s) => s.stop()));
    await registry?.close();
    await consul?.stop();
  });

  describe('a keel client calling a go-micro server', () => {
    let go: GoMicroServer;
    let client: ReturnType<typeof createClient<typeof PeerBasis>>;
    before(async () => {
      if (!peers) return;
      go = await startGo('go-streams');
      client = createClient(PeerBasis, 'go-streams', { registry, wrap: wrapClient(roundRobin()) });
    });
    after(() => client?.close());

    it('gets every message, in order', async (t) => {
      if (!peers) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
      const msgs: string[] = [];
      for await (const { msg } of client.stream({ name: 'keel', count: 200 })) msgs.push(msg);
      assert.deepEqual(msgs, Array.from({ length: 200 }, (_, i) => `keel ${i + 1}/200 from ${go.id} (${go.address})`));
      await eventually(() => go.stderr().includes(`STREAM DONE ${go.id} sent=200/200`), 'the go-micro handler to report the stream done');
    });

    it('leaving the loop early (break) cancels the go-micro handler: its context ends', async (t) => {
      if (!peers) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
      const msgs: string[] = [];
      for await (const { msg } of client.stream({ name: 'early', count: 1000, interval_ms: 20 })) {
        msgs.push(msg);
        if (msgs.length === 3) break;
      }
      assert.deepEqual(msgs.map((m) => m.split(' from ')[0]), ['early 1/1000', 'early 2/1000', 'early 3/1000']);
      // The handler notices between messages, 20 ms apart: it has sent 3, or 4 when the cancel crossed the 4th.
      await eventually(() => /STREAM CANCELLED \S+ sent=\d+\/1000 err=context canceled/.test(go.stderr()), 'the go-micro handler to report the cancellation');
      const line = /STREAM CANCELLED (\S+) sent=(\d+)\/1000 err=context canceled/.exec(go.stderr());
      assert.equal(line?.[1], go.id);
      assert.ok(Number(line?.[2]) >= 3 && Number(line?.[2]) <= 4, `the handler went on after the break: ${line?.[0]}`);
      assert.doesNotMatch(go.stderr(), /STREAM DONE \S+ sent=\d+\/1000/);
    });

    it('an error the go-micro handler returns mid-stream ends the iteration with its status', async (t) => {
      if (!peers) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
      const msgs: string[] = [];
      await assert.rejects(async () => {
        for await (const { msg } of client.stream({ name: 'failing', count: 10, fail_at: 3 })) msgs.push(msg);
      }, (err: { code?: number; details?: string }) => {
        assert.equal(err.code, 9, 'go-micro maps its 412 to FAILED_PRECONDITION');
        assert.match(err.details ?? '', /failed at 3/);
        return true;
      });
      assert.equal(msgs.length, 2);
    });

    it('client streaming: the go-micro handler gets every request and its one reply comes back', async (t) => {
      if (!peers) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
      const names = Array.from({ length: 50 }, (_, i) => `c${i}`);
      const { msg } = await client.collect(names.map((name) => ({ name })));
      assert.equal(msg, `Collected 50: ${names.join(',')} from ${go.id} (${go.address})`);
    });

    it('bidi: the go-micro handler answers each request while the call is open', async (t) => {
      if (!peers) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
      const replies = await chatInTurns((requests) => client.chat(requests), ['x', 'y', 'z']);
      assert.deepEqual(replies, ['x', 'y', 'z'].map((n) => `Echo ${n} from ${go.id} (${go.address})`));
    });
  });

  describe('a go-micro client calling keel servers', () => {
    const keel: StreamProbe[] = [];
    before(async () => {
      if (!peers) return;
      keel.push(await startKeel('keel-streams'), await startKeel('keel-streams'));
    });

    it('gets every message of every stream, in order, from each keel node', async (t) => {
      if (!peers) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
      const run = await goClient(['--service', 'keel-streams', '--stream', '50', '--count', '4', '--strategy', 'rotate', '--request_name', 'go-micro']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout.length, 200);
      const streams = [0, 1, 2, 3].map((s) => run.stdout.slice(s * 50, s * 50 + 50));
      for (const lines of streams) {
        const node = replier(lines[0] as string);
        assert.deepEqual(lines, Array.from({ length: 50 }, (_, i) => `go-micro ${i + 1}/50 from ${node}`));
      }
      assert.deepEqual(new Set(streams.map((lines) => replier(lines[0] as string))), new Set(keel.map((k) => k.id)));
      assert.equal(keel[0]!.finallyRan + keel[1]!.finallyRan, 4);
      assert.equal(keel[0]!.aborted + keel[1]!.aborted, 0);
    });

    it('a go-micro client closing its stream early aborts the keel handler and runs the generator\'s finally', async (t) => {
      if (!peers) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
      const before = keel.map((k) => ({ ...k }));
      const run = await goClient(['--service', 'keel-streams', '--stream', '1000', '--stream_interval', '20ms', '--stream_take', '3']);
      assert.equal(run.code, 0, run.stderr);
      assert.equal(run.stdout.length, 4);
      assert.equal(run.stdout[3], 'CLOSED 1 after 3');
      const served = (): number => keel.findIndex((k, i) => k.started > before[i]!.started);
      await eventually(() => served() >= 0 && keel[served()]!.finallyRan > before[served()]!.finallyRan, 'the keel generator\'s finally to run');
      const k = keel[served()]!;
      const b = before[served()]!;
      assert.equal(k.aborted - b.aborted, 1, 'ctx.signal aborted');
      assert.ok(k.produced - b.produced <= 5, `the keel generator went on after the go-micro client left: ${k.produced - b.produced} produced`);
    });

    it('go-micro\'s generated client alone (it never half-closes) gets its stream: keel starts on the request', async (t) => {
      if (!peers) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
      // go-micro's generated Stream sends the request without half-closing; a grpc-js server would call a
      // server-streaming handler only at the end of the request stream, so this call would wait for its deadline.
      const run = await goClient(['--service', 'keel-streams', '--stream', '5', '--no_close_send', '--timeout', '3s', '--request_name', 'open']);
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(run.stdout.map((line) => line.split(' from ')[0]), ['open 1/5', 'open 2/5', 'open 3/5', 'open 4/5', 'open 5/5']);
    });

    it('client streaming and bidi: a go-micro client streams to keel both ways, across both keel nodes', async (t) => {
      if (!peers) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
      const collect = await goClient(['--service', 'keel-streams', '--collect', '20', '--count', '2', '--strategy', 'rotate', '--request_name', 'up']);
      assert.equal(collect.code, 0, collect.stderr);
      const sent = Array.from({ length: 20 }, (_, i) => `up-${i + 1}`).join(',');
      assert.deepEqual(collect.stdout.map((line) => line.split(' from ')[0]), [`Collected 20: ${sent}`, `Collected 20: ${sent}`]);
      assert.deepEqual(new Set(collect.stdout.map(replier)), new Set(keel.map((k) => k.id)), 'one call to each keel node');
      // --chat sends a request only once the previous reply came back: keel's handler answers mid-call.
      const chat = await goClient(['--service', 'keel-streams', '--chat', '4', '--request_name', 'ping']);
      assert.equal(chat.code, 0, chat.stderr);
      const node = replier(chat.stdout[0] as string);
      assert.deepEqual(chat.stdout, [1, 2, 3, 4].map((i) => `Echo ping-${i} from ${node}`));
    });
  });
});
