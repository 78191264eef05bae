import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { memoryRegistry } from '../../src/index';
import { createGateway, type Gateway } from '../../src/toolkit/gateway/gateway';
import { startBasis, type TestServer } from '../support/basis';
import { startItems, type ItemsProbe } from '../support/items';
import { fuzzSeed, junkValues, prng } from './prng';

// Seeded fuzz of the gateway's JSON and path routing, with the headers a browser or a scanner sends: every
// request gets a clear status and a JSON error body, the gateway keeps serving, and memory stays bounded.

const REQUESTS = 400;
const CONCURRENCY = 8;
const CLEAR = new Set([200, 400, 401, 403, 404, 405, 408, 409, 413, 415, 429, 501, 503, 504]);

describe('hostile: seeded fuzz of the gateway', () => {
  const registry = memoryRegistry();
  let basis: TestServer;
  let items: ItemsProbe;
  let gateway: Gateway;
  let url: string;
  before(async () => {
    basis = await startBasis(registry, { logger: false });
    items = await startItems(registry, { logger: false });
    gateway = createGateway({ registry, maxBodyBytes: 256 * 1024, bodyTimeoutMs: 1000, onError: () => undefined });
    url = `http://${await gateway.listen('127.0.0.1:0')}`;
  });
  after(async () => {
    await gateway.close();
    await Promise.all([basis.server.stop(), items.server.stop()]);
    await registry.close();
  });

  it(`${REQUESTS} random paths, bodies and headers: a clear status each, still serving, bounded memory`, async () => {
    const seed = fuzzSeed();
    const random = prng(seed);
    const junk = junkValues(random);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const text = (n: number): string => Array.from({ length: n }, () => String.fromCharCode(Math.floor(random() * 0x3000))).join('');
    const segment = (): string => pick(['basis', 'Basis', 'Hello', 'items', 'Items', 'ListItems', 'GetItem', '..', '.', '%2e%2e', '%2F', '%zz', '%00',
      encodeURIComponent(text(3)), 'x'.repeat(Math.floor(random() * 600)), '', 'rpc']);
    const paths = (): string => pick([
      () => '/rpc', () => `/${segment()}/${segment()}/${segment()}`, () => `/${Array.from({ length: Math.floor(random() * 8) }, segment).join('/')}`,
      () => `/basis/Basis/Hello?${segment()}=${segment()}`, () => `//${segment()}`, () => '/basis/Basis/Hello',
    ])();
    const bodies = (): string => pick([
      () => JSON.stringify(junk()), () => JSON.stringify({ service: pick(['basis', 'items', junk()]), endpoint: pick(['Basis.Hello', 'Items.ListItems', 'Items.GetItem', junk()]), request: junk() }),
      () => JSON.stringify({ name: pick([text(10), junk()]) }), () => '', () => text(Math.floor(random() * 500)),
      () => `${'['.repeat(70)}${']'.repeat(70)}`, () => `service=basis&method=Basis.Hello&request=${encodeURIComponent(JSON.stringify(junk()))}`,
    ])();
    const headers = (): Record<string, string> => {
      const h: Record<string, string> = { 'content-type': pick(['application/json', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'x/y']) };
      if (random() < 0.3) h.origin = pick(['http://evil.example', 'null', url, 'https://app.example.com', Array.from({ length: 6 }, () => String.fromCharCode(33 + Math.floor(random() * 90))).join('')]);
      if (random() < 0.3) h['sec-fetch-site'] = pick(['cross-site', 'same-site', 'same-origin', 'none', 'junk']);
      if (random() < 0.2) h.timeout = pick(['0.5', '-1', 'x', '1e9', '0']);
      if (random() < 0.2) h[`grpc-metadata-${pick(['a', 'b-bin', 'grpc-x', 'UP'])}`] = pick(['v', '\u00e9', 'x'.repeat(100)]);
      return h;
    };
    const rss0 = process.memoryUsage().rss;
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < REQUESTS) {
        const i = next++;
        const method = random() < 0.9 ? 'POST' : pick(['GET', 'PUT', 'DELETE', 'OPTIONS']);
        const path = paths();
        const res = await fetch(`${url}${path.startsWith('/') ? path : `/${path}`}`, { method, headers: headers(), ...(method === 'GET' ? {} : { body: bodies() }) });
        const body = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        assert.ok(CLEAR.has(res.status), `request ${i} (seed ${seed}) ${method} ${path.slice(0, 100)}: status ${res.status} ${body.slice(0, 300)}`);
        if (res.status !== 200) {
          const parsed = JSON.parse(body) as { code?: unknown; status?: unknown; message?: unknown };
          assert.ok(typeof parsed.code === 'number' && typeof parsed.status === 'string' && typeof parsed.message === 'string', `request ${i} (seed ${seed}): ${body.slice(0, 300)}`);
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const ok = await fetch(`${url}/basis/Basis/Hello`, { method: 'POST', body: '{"name":"after"}', headers: { 'content-type': 'application/json' } });
    assert.equal(ok.status, 200, 'still serving');
    assert.match(((await ok.json()) as { msg: string }).msg, /^Hello after/);
    const names = gateway.stats().endpoints.map((e) => `${e.service} ${e.endpoint}`);
    assert.ok(names.every((n) => /^(basis Basis\.Hello|items Items\.\w+)$/.test(n)), `stats only for resolved methods: ${names.join(', ')}`);
    const growthMb = (process.memoryUsage().rss - rss0) / 2 ** 20;
    console.log(`gateway fuzz (seed ${seed}): ${[...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}; RSS growth ${growthMb.toFixed(0)} MB`);
    assert.ok(growthMb < 150, `RSS grew ${growthMb.toFixed(0)} MB`);
  });
});
