import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Server, status } from '@grpc/grpc-js';
import { createClient, createServer, memoryRegistry, type HandlerContext, type KeelServer, type ServerOptions } from '../../src/index';
import { Items, type Item } from '../support/items';
import { applyStreamResetLimit } from '../../src/server/stream-resets';

type Client = { getItem(req: { id: number }, opts?: object): Promise<Item>; close(): void };

/** http2's `streamResetBurst` / `streamResetRate` (nodejs/node#54875): in the pinned 22.23, 24 and 26 lines, not in 20. */
const CAN_SET_LIMIT = Number(process.versions.node.split('.')[0]) >= 22;
const STORM = 3000;
const BYSTANDERS = 20;

interface Outcome { bystanders: Array<{ code: number; details: string } | 'ok'>; serverSawStorm: number }

/**
 * One client connection: BYSTANDERS calls held open on the server, then STORM calls each cancelled by the
 * client as soon as its handler has started (so each cancel is an RST_STREAM the server counts), then the
 * bystanders are let go. What the bystanders got says whether the server closed the connection under them.
 */
async function storm(servers: KeelServer[], options: Partial<ServerOptions>): Promise<Outcome> {
  const registry = memoryRegistry();
  const cancelOnStart = new Map<number, () => void>();
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  let serverSawStorm = 0;
  const server = createServer({ name: 'resets', registry, drainDelayMs: 0, graceMs: 2000, logger: false, ...options });
  servers.push(server);
  server.addService(Items, {
    GetItem: async ({ id }: { id: number }, ctx: HandlerContext) => {
      if (id < 0) {
        await Promise.race([released, new Promise((resolve) => ctx.signal.addEventListener('abort', resolve))]);
        return { id, name: 'bystander' };
      }
      serverSawStorm++;
      cancelOnStart.get(id)?.();
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
      return { id, name: 'never' };
    },
  });
  await server.start();
  const client = createClient(Items, 'resets', { registry, timeoutMs: 30_000 }) as unknown as Client;
  try {
    const bystanders = Array.from({ length: BYSTANDERS }, (_, i) => client.getItem({ id: -1 - i }).then(
      () => 'ok' as const, (err: { code: number; details: string }) => ({ code: err.code, details: err.details })));
    const calls: Promise<unknown>[] = [];
    for (let id = 0; id < STORM; id++) {
      const abort = new AbortController();
      cancelOnStart.set(id, () => abort.abort());
      calls.push(client.getItem({ id }, { signal: abort.signal }).catch(() => undefined));
      if (id % 100 === 99) await new Promise((r) => setImmediate(r));
    }
    await Promise.all(calls);
    release();
    return { bystanders: await Promise.all(bystanders), serverSawStorm };
  } finally {
    client.close();
  }
}

describe("a client's cancels and the server's stream-reset limit (nghttp2's rapid-reset mitigation)", () => {
  const servers: KeelServer[] = [];
  after(async () => Promise.all(servers.map((s) => s.stop())));

  it("at nghttp2's default limit, thousands of cancels make the server drop the connection: calls on it fail UNAVAILABLE, not INTERNAL", async (t) => {
    // nghttp2's own default, set explicitly where Node can set it (Node 20 has no other).
    const outcome = await storm(servers, CAN_SET_LIMIT ? { streamResetLimit: { burst: 1000, perSecond: 33 } } : {});
    const failed = outcome.bystanders.filter((b) => b !== 'ok');
    t.diagnostic(`${outcome.serverSawStorm} cancels the server saw; ${failed.length} of ${BYSTANDERS} calls in flight on the connection failed`);
    assert.ok(outcome.serverSawStorm > 1500, `the server saw the calls before they were cancelled (${outcome.serverSawStorm})`);
    assert.ok(failed.length > 0, 'the server closed the connection (GOAWAY INTERNAL_ERROR) under the calls in flight');
    for (const f of failed) {
      assert.equal(f.code, status.UNAVAILABLE, `${f.details}`);
      assert.match(f.details, /Session closed with error code 2/);
    }
  });

  it("keel's default limit keeps the connection through the same cancels (Node >= 22)", async (t) => {
    if (!CAN_SET_LIMIT) {
      const why = `Node ${process.versions.node} cannot set the HTTP/2 stream reset limit (streamResetBurst came in Node 22): nghttp2's default applies`;
      console.error(`SKIPPED: ${why}`);
      t.skip(why);
      return;
    }
    const outcome = await storm(servers, {});
    t.diagnostic(`${outcome.serverSawStorm} cancels the server saw`);
    assert.ok(outcome.serverSawStorm > 1500);
    assert.deepEqual(outcome.bystanders, Array.from({ length: BYSTANDERS }, () => 'ok'));
  });

  it("this grpc-js takes the limit into the options it creates its HTTP/2 servers with (on every Node: a grpc-js upgrade that moves them fails here)", () => {
    const server = new Server();
    assert.equal(applyStreamResetLimit(server, { burst: 7, perSecond: 3 }), true);
    const options = (server as unknown as { commonServerOptions: Record<string, unknown> }).commonServerOptions;
    assert.equal(options.streamResetBurst, 7);
    assert.equal(options.streamResetRate, 3);
    assert.equal(applyStreamResetLimit({} as Server, { burst: 7, perSecond: 3 }), false, 'no place for it: the server says so');
  });

  it('streamResetLimit is validated at construction, naming the option', () => {
    const bad: Array<[unknown, RegExp]> = [
      [5, /streamResetLimit must be \{ burst, perSecond \}/],
      [{ burst: 0, perSecond: 1 }, /streamResetLimit\.burst must be an integer from 1/],
      [{ burst: 10, perSecond: 1.5 }, /streamResetLimit\.perSecond must be an integer from 1/],
      [{ burst: 10 }, /streamResetLimit\.perSecond/],
      [{ burst: 10, perSecond: 2 ** 32 }, /streamResetLimit\.perSecond/],
      [{ burst: 10, perSecond: 1, rate: 3 }, /unknown key "rate"/],
    ];
    for (const [value, message] of bad) {
      assert.throws(() => createServer({ name: 'x', registry: memoryRegistry(), streamResetLimit: value as never }), message);
    }
  });
});
