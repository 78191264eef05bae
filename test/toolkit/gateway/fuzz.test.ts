import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { memoryRegistry } from '../../../src/index';
import { startBasis, type TestServer } from '../../support/basis';
import { startItems, type ItemsProbe } from '../../support/items';
import type { Gateway } from '../../../src/toolkit/gateway/gateway';
import { post, startGateway } from './support';

/** A small seeded PRNG (mulberry32): a failing case can be replayed from the seed printed with it. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sends raw bytes on a fresh connection and resolves to what came back before the server closed it (or `waitMs`). */
function raw(address: string, chunks: Array<string | Buffer>, waitMs: number, pauseMs = 0): Promise<string> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    const socket = connect(port, host);
    let got = '';
    const timer = setTimeout(() => socket.destroy(), waitMs);
    socket.on('data', (d) => (got += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(got);
    });
    socket.on('connect', async () => {
      for (const chunk of chunks) {
        if (socket.destroyed) break;
        socket.write(chunk);
        if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
      }
    });
  });
}

/** The status and JSON body of a raw HTTP answer. */
function parsed(answer: string): { status: number; body: any } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
  const text = answer.slice(answer.indexOf('\r\n\r\n') + 4);
  return { status, body: JSON.parse(text) };
}

const isErrorBody = (body: any): boolean =>
  typeof body?.code === 'number' && typeof body.status === 'string' && typeof body.message === 'string';

describe('keel api gateway: never crashes, answers every bad input with a 4xx/5xx JSON body', () => {
  const registry = memoryRegistry();
  let basis: TestServer;
  let items: ItemsProbe;
  let gateway: Gateway;
  let url: string;
  let address: string;
  before(async () => {
    basis = await startBasis(registry);
    items = await startItems(registry);
    ({ gateway, url } = await startGateway(registry, { maxBodyBytes: 64 * 1024, bodyTimeoutMs: 300, headersTimeoutMs: 300 }));
    address = url.slice('http://'.length);
  });
  after(async () => {
    await gateway.close();
    await Promise.all([basis.server.stop(), items.server.stop()]);
  });

  it('random and malformed bodies, wrong types, unknown services and methods, random paths (400 cases, seeded)', async () => {
    const seed = Number(process.env.KEEL_FUZZ_SEED ?? Date.now() % 1_000_000);
    const random = prng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const junk = (n: number): string => Array.from({ length: n }, () => String.fromCharCode(Math.floor(random() * 256))).join('');
    const values = [null, true, 0, -1, 1e308, 'x', '', [], {}, [1, [2]], { a: { b: {} } }, '{"name":', '{}', 'null'];
    const bodies: Array<() => string> = [
      () => junk(Math.floor(random() * 200)),
      () => JSON.stringify({ service: pick(values), endpoint: pick(values), request: pick(values) }),
      () => JSON.stringify({ service: pick(['basis', 'items', 'nope', 'a.b.c']), endpoint: pick(['Basis.Hello', 'Items.GetItem', 'Items.ListItems', 'Items.Upload', 'X.Y', '', '...', 'Basis/Hello']), request: pick(values) }),
      () => JSON.stringify({ service: 'basis', endpoint: 'Basis.Hello', request: { name: pick(values) } }),
      () => JSON.stringify({ service: 'items', endpoint: 'Items.GetItem', request: { id: pick(values) } }),
      () => JSON.stringify({ service: 'basis', endpoint: 'Basis.Hello', request: { name: 'x' } }).slice(0, Math.floor(random() * 40)),
      () => '['.repeat(Math.floor(random() * 5000)),
      () => `{"request":${'{"a":'.repeat(70)}1${'}'.repeat(70)},"service":"basis","endpoint":"Basis.Hello"}`,
      () => `service=${encodeURIComponent(junk(5))}&method=${pick(['Basis.Hello', ''])}&request=${encodeURIComponent(pick(['{"name":"f"}', '{', '[]', 'null']))}`,
    ];
    const paths = ['/rpc', '/basis/Basis/Hello', '/items/Items/ListItems', '/items/Items/Upload', '/items/Items/Chat', '/nope/Nope/Call', '/basis/Basis/Nope', '/%E0%A4%A', '/a/b', '/', '/rpc/x/y/z', `/${junk(3)}`];
    const types = ['application/json', 'application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x', 'application/json; charset=latin1'];
    const verbs = ['POST', 'POST', 'POST', 'GET', 'PUT', 'DELETE', 'PATCH'];
    for (let i = 0; i < 400; i++) {
      const path = pick(paths);
      const verb = pick(verbs);
      const body = pick(bodies)();
      const init: RequestInit = { method: verb, headers: { 'content-type': pick(types), ...(random() < 0.1 ? { timeout: pick(['0', '-1', 'x', '0.001', '1e9']) } : {}) } };
      if (verb !== 'GET') init.body = body;
      let res: Response;
      try {
        res = await fetch(encodeURI(url) + path.replace(/[^\x21-\x7e]/g, '_'), init);
      } catch (err) {
        assert.fail(`case ${i} (seed ${seed}): ${verb} ${path} ${JSON.stringify(body.slice(0, 80))}: the request failed: ${(err as Error).message}`);
      }
      const text = await res.text();
      const what = `case ${i} (seed ${seed}): ${verb} ${path} ${JSON.stringify(body.slice(0, 80))} → ${res.status} ${text.slice(0, 200)}`;
      if (res.status === 200) {
        assert.equal(verb, 'POST', what);
        continue;
      }
      assert.ok(res.status >= 400 && res.status < 600, what);
      assert.ok(isErrorBody(JSON.parse(text)), what);
    }
    const ok = await post(`${url}/basis/Basis/Hello`, { name: 'still here' });
    assert.equal(ok.status, 200);
    assert.equal(gateway.stats().inFlight, 0);
  });

  it('huge bodies: a declared one is refused unread, a chunked one as soon as it passes the limit (413)', async () => {
    const declared = await raw(address, [`POST /rpc HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100000000\r\n\r\n{"service":`], 3000);
    assert.equal(parsed(declared).status, 413);
    assert.equal(parsed(declared).body.reason, 'body_too_large');
    const chunk = Buffer.alloc(16 * 1024, 'a');
    const chunks = [`POST /rpc HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n`,
      ...Array.from({ length: 8 }, () => Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]))];
    const chunked = await raw(address, chunks, 3000);
    assert.equal(parsed(chunked).status, 413);
    const big = await post(`${url}/rpc`, 'x'.repeat(5 * 1024 * 1024));
    assert.equal(big.status, 413);
  });

  it('slowloris: headers or a body that trickle in are answered 408 within the timeouts', async () => {
    const t0 = Date.now();
    const headers = await raw(address, ['POST /rpc HTTP/1.1\r\n', 'host: x\r\n', 'x-a: 1\r\n', 'x-b: 2\r\n', 'x-c: 3\r\n', 'x-d: 4\r\n'], 5000, 200);
    assert.equal(parsed(headers).status, 408, headers);
    assert.equal(parsed(headers).body.reason, 'headers_timeout');
    assert.ok(Date.now() - t0 < 2500, `headers timed out after ${Date.now() - t0} ms`);
    const t1 = Date.now();
    const body = await raw(address, ['POST /rpc HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n', '{"serv', 'ice":'], 5000, 200);
    assert.equal(parsed(body).status, 408, body);
    assert.equal(parsed(body).body.reason, 'body_timeout');
    assert.ok(Date.now() - t1 < 2000, `body timed out after ${Date.now() - t1} ms`);
  });

  it('garbage on the wire and oversized headers get a JSON 400 / 431', async () => {
    const garbage = await raw(address, ['\x00\x01GARBAGE /// HTTP/9\r\n\r\n'], 3000);
    assert.equal(parsed(garbage).status, 400);
    assert.ok(isErrorBody(parsed(garbage).body));
    const huge = await raw(address, [`POST /rpc HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`], 3000);
    assert.equal(parsed(huge).status, 431);
    const ok = await post(`${url}/basis/Basis/Hello`, { name: 'still here' });
    assert.equal(ok.status, 200);
  });

  it('a client that hangs up mid-stream cancels the call on the server', async () => {
    const before = items.aborted;
    const controller = new AbortController();
    const res = await fetch(`${url}/items/Items/ListItems`, { method: 'POST', body: JSON.stringify({ count: 1_000_000, size: 1024 }), headers: { 'content-type': 'application/json' }, signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    const until = Date.now() + 3000;
    while (items.aborted === before && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.ok(items.aborted > before, 'the server-side handler was cancelled');
    assert.ok(items.produced < 1_000_000);
  });
});
