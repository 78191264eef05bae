import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { memoryRegistry, type HandlerContext } from '../../../src/index';
import { startBasis, type TestServer } from '../../support/basis';
import { startItems, type ItemsProbe } from '../../support/items';
import type { Gateway } from '../../../src/toolkit/gateway/gateway';
import { post, startGateway } from './support';

describe('keel api gateway: routes and answers against real servers', () => {
  const registry = memoryRegistry();
  let basis: TestServer;
  let items: ItemsProbe;
  let gateway: Gateway;
  let url: string;
  before(async () => {
    basis = await startBasis(registry, {
      hello: (req: { name: string }, ctx: HandlerContext) => {
        if (req.name === 'slow') return new Promise((r) => setTimeout(() => r({ msg: 'late' }), 1000));
        if (req.name === 'deny') throw Object.assign(new Error('no'), { code: 7, details: 'not you' });
        return { msg: `Hello ${req.name} tenant=${String(ctx.metadata.get('tenant')[0] ?? '')} auth=${String(ctx.metadata.get('authorization')[0] ?? '')} conn=${String(ctx.metadata.get('connection')[0] ?? '')}` };
      },
    });
    items = await startItems(registry);
    ({ gateway, url } = await startGateway(registry));
  });
  after(async () => {
    await gateway.close();
    await Promise.all([basis.server.stop(), items.server.stop()]);
  });

  it('POST /rpc with a JSON body { service, endpoint, request } calls the service', async () => {
    const r = await post(`${url}/rpc`, { service: 'basis', endpoint: 'Basis.Hello', request: { name: 'John' } });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.match(r.json.msg, /^Hello John /);
  });

  it("accepts Micro's `method` for the endpoint and the request as JSON text", async () => {
    const r = await post(`${url}/rpc`, { service: 'basis', method: 'Basis.Hello', request: '{"name":"Text"}' });
    assert.equal(r.status, 200, r.text);
    assert.match(r.json.msg, /^Hello Text /);
  });

  it('accepts the form-encoded variant service=…&method=…&request=<json>', async () => {
    const body = new URLSearchParams({ service: 'basis', method: 'Basis.Hello', request: '{"name":"Form"}' }).toString();
    const r = await post(`${url}/rpc`, body, { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(r.status, 200, r.text);
    assert.match(r.json.msg, /^Hello Form /);
  });

  it('reads JSON sent under a form content type (curl -d without -H)', async () => {
    const r = await post(`${url}/rpc`, JSON.stringify({ service: 'basis', endpoint: 'Basis.Hello', request: { name: 'Curl' } }), { 'content-type': 'application/x-www-form-urlencoded' });
    assert.equal(r.status, 200, r.text);
    assert.match(r.json.msg, /^Hello Curl /);
  });

  it('routes POST /<service>/<Service>/<Method> with the body as the request', async () => {
    const r = await post(`${url}/basis/Basis/Hello`, { name: 'Path' });
    assert.equal(r.status, 200, r.text);
    assert.match(r.json.msg, /^Hello Path /);
    const empty = await post(`${url}/items/Items/GetItem`, '');
    assert.equal(empty.status, 200, empty.text);
    assert.equal(empty.json.id, 0, 'an empty body is the empty request');
  });

  it('streams a server-streaming method as newline-delimited JSON, one line per message', async () => {
    const res = await fetch(`${url}/items/Items/ListItems`, { method: 'POST', body: JSON.stringify({ count: 3 }), headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/x-ndjson');
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.id), [1, 2, 3]);
  });

  it('sends each stream message as it comes (flushed), before the stream ends', async () => {
    const gate: { release?: () => void } = {};
    // The first line must arrive while the server is still holding the second one back.
    const registry2 = memoryRegistry();
    const held = await startItems(registry2, {}, {
      ListItems: async function* () {
        yield { id: 1, name: 'first' };
        await new Promise<void>((r) => (gate.release = r));
        yield { id: 2, name: 'second' };
      },
    });
    const { gateway: g2, url: u2 } = await startGateway(registry2);
    try {
      const res = await fetch(`${u2}/items/Items/ListItems`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      const reader = res.body!.getReader();
      const first = await reader.read();
      assert.equal(JSON.parse(new TextDecoder().decode(first.value)).name, 'first');
      assert.ok(gate.release, 'the server is still holding the second message');
      gate.release();
      let rest = '';
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest += new TextDecoder().decode(chunk.value);
      assert.equal(JSON.parse(rest.trim()).name, 'second');
    } finally {
      await g2.close();
      await held.server.stop();
    }
  });

  it('ends a stream that fails after its first message with an error line', async () => {
    const res = await fetch(`${url}/items/Items/ListItems`, { method: 'POST', body: JSON.stringify({ count: 5, failAt: 3 }), headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 200);
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.slice(0, 2).map((l) => l.id), [1, 2]);
    assert.deepEqual(lines[2], { error: { code: 9, status: 'FAILED_PRECONDITION', message: 'failed at 3' } });
  });

  it('takes a JSON array for a client-streaming method', async () => {
    const r = await post(`${url}/items/Items/Upload`, [{ id: 1 }, { id: 7 }]);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json, { count: 2, lastId: 7 });
    const wrong = await post(`${url}/items/Items/Upload`, { id: 1 });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.json.reason, 'bad_request');
  });

  it('takes a JSON array for a bidi method and answers ndjson', async () => {
    const res = await fetch(`${url}/items/Items/Chat`, { method: 'POST', body: JSON.stringify([{ text: 'a', seq: 1 }, { text: 'b', seq: 2 }]), headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 200);
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => l.seq), [1, 2]);
    assert.match(lines[1].text, /^echo b from items-/);
  });

  it("takes a JSON array under curl -d's form content type, for client and bidi streams alike", async () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const upload = await fetch(`${url}/items/Items/Upload`, { method: 'POST', body: ' [{"id":1},{"id":7}]', headers: form });
    assert.equal(upload.status, 200, await upload.clone().text());
    assert.deepEqual(await upload.json(), { count: 2, lastId: 7 });
    const chat = await fetch(`${url}/items/Items/Chat`, { method: 'POST', body: '[{"text":"a","seq":1}]', headers: form });
    assert.equal(chat.status, 200);
    assert.deepEqual((await chat.text()).trim().split('\n').map((l) => JSON.parse(l).seq), [1]);
    const notJson = await fetch(`${url}/items/Items/Upload`, { method: 'POST', body: 'id=1', headers: form });
    assert.equal(notJson.status, 415, 'a real form body is still refused');
  });

  it('maps gRPC statuses to HTTP statuses with the error body { code, status, message, reason }', async () => {
    const denied = await post(`${url}/basis/Basis/Hello`, { name: 'deny' });
    assert.equal(denied.status, 403);
    assert.deepEqual(denied.json, { code: 7, status: 'PERMISSION_DENIED', message: 'not you' });
    const unknown = await post(`${url}/rpc`, { service: 'nope', endpoint: 'Nope.Call', request: {} });
    assert.equal(unknown.status, 503);
    assert.equal(unknown.json.status, 'UNAVAILABLE');
    assert.equal(unknown.json.reason, 'no_nodes');
    const method = await post(`${url}/basis/Basis/Nope`, {});
    assert.equal(method.status, 501);
    assert.equal(method.json.code, 12);
  });

  it('answers 404 for unknown paths and 405 (Allow: POST) for other verbs, in JSON', async () => {
    const missing = await post(`${url}/nothing/here`, {});
    assert.equal(missing.status, 404);
    assert.equal(missing.json.reason, 'unknown_route');
    const get = await fetch(`${url}/rpc`);
    assert.equal(get.status, 405);
    assert.equal(get.headers.get('allow'), 'POST');
    assert.equal((await get.json() as { reason: string }).reason, 'method_not_allowed');
  });

  it('honours a shorter Timeout header (seconds) with 504, and refuses a bad one with 400', async () => {
    const t0 = Date.now();
    const slow = await post(`${url}/basis/Basis/Hello`, { name: 'slow' }, { timeout: '0.2' });
    assert.equal(slow.status, 504, slow.text);
    assert.equal(slow.json.status, 'DEADLINE_EXCEEDED');
    assert.ok(Date.now() - t0 < 900, `answered after ${Date.now() - t0} ms`);
    const bad = await post(`${url}/basis/Basis/Hello`, { name: 'x' }, { timeout: 'soon' });
    assert.equal(bad.status, 400);
  });

  it('forwards allowed headers as metadata, never hop-by-hop ones', async () => {
    const r = await post(`${url}/basis/Basis/Hello`, { name: 'md' }, { 'grpc-metadata-tenant': 'acme', authorization: 'Bearer t', 'grpc-metadata-connection': 'evil' });
    assert.equal(r.status, 200, r.text);
    assert.match(r.json.msg, /tenant=acme auth=Bearer t conn=$/);
  });

  it('refuses a body over maxBodyBytes with 413 and keeps serving', async () => {
    const big = await post(`${url}/rpc`, JSON.stringify({ service: 'basis', endpoint: 'Basis.Hello', request: { name: 'x'.repeat(2 * 1024 * 1024) } }));
    assert.equal(big.status, 413);
    assert.equal(big.json.reason, 'body_too_large');
    const ok = await post(`${url}/basis/Basis/Hello`, { name: 'after' });
    assert.equal(ok.status, 200);
  });

  it('answers 429 over the rateLimit, at once, and counts it in the limiter', async () => {
    const limited = await startGateway(registry, { rateLimit: { ratePerSecond: 1, burst: 1 } });
    try {
      const first = await post(`${limited.url}/basis/Basis/Hello`, { name: 'one' });
      assert.equal(first.status, 200, first.text);
      const t0 = Date.now();
      const second = await post(`${limited.url}/basis/Basis/Hello`, { name: 'two' });
      assert.equal(second.status, 429, second.text);
      assert.deepEqual(second.json, { code: 8, status: 'RESOURCE_EXHAUSTED', message: second.json.message, reason: 'rate_limited' });
      assert.ok(Date.now() - t0 < 500, 'refused without waiting');
      assert.equal(limited.gateway.limiter?.stats().refused, 1);
      assert.equal(gateway.limiter, undefined, 'no limiter unless asked for');
      // The gateway's own refusal is not the service failing: the endpoint's figures count the one call made.
      const hello = limited.gateway.stats().endpoints.find((e) => e.endpoint === 'Basis.Hello');
      assert.deepEqual([hello?.requests, hello?.errors, hello?.errorRate, hello?.series.errors.at(-1)], [1, 0, 0, 0]);
      assert.equal(limited.gateway.stats().answered['4xx'], 1, 'the 429 is still an answer');
    } finally {
      await limited.gateway.close();
    }
  });

  it("keeps a failing node out (leastLoaded avoids it after its first failure, the node breaker ejects it if chosen five times in a row): the other node serves everything", async () => {
    const registry2 = memoryRegistry();
    const good = await startBasis(registry2);
    const bad = await startBasis(registry2, { hello: () => { throw Object.assign(new Error('down'), { code: 14, details: 'down' }); } });
    const g = await startGateway(registry2);
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 30; i++) statuses.push((await post(`${g.url}/basis/Basis/Hello`, { name: 'x' })).status);
      const circuits = g.gateway.breaker.circuits();
      assert.ok(bad.seen.length >= 1 && bad.seen.length <= 5, `the failing node got ${bad.seen.length} attempts`);
      assert.equal(circuits.find((c) => c.node === good.id)?.state, 'closed');
      const load = g.gateway.balancer.nodes().find((n) => n.node === bad.id);
      assert.ok(load !== undefined && load.latencyMs > 10, `the failing node's cost: ${JSON.stringify(load)}`);
      // Before the ejection, the retry wrapper may already have carried the bad node's UNAVAILABLE to the good one.
      assert.ok(statuses.every((x) => x === 200 || x === 503), `statuses: ${statuses.join(',')}`);
      assert.deepEqual(statuses.slice(-10), Array(10).fill(200), `statuses: ${statuses.join(',')}`);
    } finally {
      await g.gateway.close();
      await Promise.all([good.server.stop(), bad.server.stop()]);
    }
  });

  it('keeps per-endpoint latency percentiles and error rates, and the breaker per node', async () => {
    const stats = gateway.stats();
    const hello = stats.endpoints.find((e) => e.service === 'basis' && e.endpoint === 'Basis.Hello');
    assert.ok(hello, JSON.stringify(stats));
    assert.ok(hello.requests >= 5 && hello.errors >= 1 && hello.errorRate > 0 && hello.errorRate < 1, JSON.stringify(hello));
    assert.ok(hello.p50Ms > 0 && hello.p50Ms <= hello.p99Ms && hello.p99Ms <= hello.maxMs, JSON.stringify(hello));
    assert.ok(stats.answered['2xx'] > 0 && stats.answered['4xx'] > 0 && stats.answered['5xx'] > 0, JSON.stringify(stats.answered));
    assert.equal(stats.inFlight, 0);
    assert.ok(gateway.breaker.circuits().some((c) => c.node === basis.id && c.state === 'closed'));
  });
});
