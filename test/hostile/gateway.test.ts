import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { memoryRegistry, type Registry } from '../../src/index';
import { api, API_DEFAULT_ADDRESS, startNotice } from '../../src/toolkit/cli/commands/api';
import type { Io } from '../../src/toolkit/cli/command';
import { COMMON_FLAGS, parseFlags } from '../../src/toolkit/cli/flags';
import { createGateway, type Gateway } from '../../src/toolkit/gateway/gateway';
import { bearerToken } from '../../src/toolkit/gateway/guard';
import { startBasis, type TestServer } from '../support/basis';
import { post } from '../toolkit/gateway/support';
import { startEvilReflection } from './evil-reflection';

// Rows 2, 3, 4 and 7 of issue 20: the gateway reached by another site's page, flooded with made-up names,
// pointed at a node whose reflection never ends, and asked to repeat internal detail. Loopback only.

const hello = { service: 'basis', endpoint: 'Basis.Hello', request: { name: 'x' } };

async function gatewayOn(registry: Registry, options: Partial<Parameters<typeof createGateway>[0]> = {}): Promise<{ gateway: Gateway; url: string }> {
  const gateway = createGateway({ registry, onError: () => undefined, ...options });
  return { gateway, url: `http://${await gateway.listen('127.0.0.1:0')}` };
}

describe('hostile: the gateway against other sites, made-up names, endless reflection and prying', () => {
  const registry = memoryRegistry();
  let basis: TestServer;
  before(async () => {
    basis = await startBasis(registry, { logger: false });
  });
  after(async () => {
    await basis.server.stop();
    await registry.close();
  });

  it('refuses the four ways a page on another site called through it; same-origin pages, curl and allowed origins still call', async () => {
    const { gateway, url } = await gatewayOn(registry);
    const { gateway: open, url: openUrl } = await gatewayOn(registry, { allowedOrigins: ['https://app.example.com'] });
    try {
      const calls = basis.seen.length;
      const host = new URL(url).host;
      // What a browser sends for each (the preflight of the CORS fetch is never answered; its POST is what a lax server would see).
      const attacks: Array<[string, string, Record<string, string>]> = [
        ['no-cors fetch', JSON.stringify(hello), { 'content-type': 'text/plain', origin: 'http://evil.example', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors' }],
        ['CORS fetch', JSON.stringify(hello), { 'content-type': 'application/json', origin: 'http://evil.example', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'cors' }],
        ['urlencoded form', 'service=basis&method=Basis.Hello&request={}', { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' }],
        ['text/plain form', JSON.stringify(hello), { 'content-type': 'text/plain', origin: 'null', 'sec-fetch-site': 'cross-site' }],
        ['an old browser (Origin only)', JSON.stringify(hello), { 'content-type': 'text/plain', origin: 'http://evil.example' }],
        ['a page on another port of this host', JSON.stringify(hello), { 'content-type': 'application/json', origin: 'http://127.0.0.1:1', 'sec-fetch-site': 'same-site' }],
      ];
      for (const [what, body, headers] of attacks) {
        const r = await post(`${url}/rpc`, body, headers);
        assert.equal(r.status, 403, `${what}: ${r.text}`);
        assert.equal(r.json.reason, 'cross_site', what);
      }
      assert.equal(basis.seen.length, calls, 'no refused request reached the service');
      for (const [what, headers] of [
        ['a same-origin page', { 'sec-fetch-site': 'same-origin', origin: `http://${host}` }],
        ['curl', {}],
        ['a user typing the URL', { 'sec-fetch-site': 'none' }],
        ['an old same-origin page', { origin: `http://${host}` }],
      ] as const) {
        assert.equal((await post(`${url}/rpc`, hello, headers)).status, 200, what);
      }
      const allowed = await post(`${openUrl}/rpc`, hello, { origin: 'https://app.example.com', 'sec-fetch-site': 'cross-site' });
      assert.equal(allowed.status, 200, allowed.text);
      assert.equal((await post(`${openUrl}/rpc`, hello, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' })).status, 403);
    } finally {
      await Promise.all([gateway.close(), open.close()]);
    }
  });

  it('asks authorize before reading the body: false is 401; bearerToken lets in only its token', async () => {
    const token = 'a-token-of-32-characters-or-more!';
    const { gateway, url } = await gatewayOn(registry, { authorize: bearerToken(token) });
    try {
      for (const authorization of [undefined, 'Bearer wrong-token-wrong-token', `Basic ${token}`, `Bearer ${token}x`]) {
        const r = await post(`${url}/basis/Basis/Hello`, {}, authorization === undefined ? {} : { authorization });
        assert.equal(r.status, 401, String(authorization));
        assert.equal(r.json.reason, 'unauthenticated');
      }
      assert.equal((await post(`${url}/basis/Basis/Hello`, {}, { authorization: `Bearer ${token}` })).status, 200);
      assert.deepEqual(basis.seen.at(-1)?.ctx.metadata.get('authorization'), [`Bearer ${token}`], 'forwarded by default, as before');
    } finally {
      await gateway.close();
    }
    const { gateway: own, url: ownUrl } = await gatewayOn(registry, { authorize: bearerToken(token), forwardAuthorization: false });
    try {
      assert.equal((await post(`${ownUrl}/basis/Basis/Hello`, {}, { authorization: `Bearer ${token}` })).status, 200);
      assert.deepEqual(basis.seen.at(-1)?.ctx.metadata.get('authorization'), [], 'the gateway\'s own token is not passed on');
    } finally {
      await own.close();
    }
    assert.throws(() => bearerToken('short'), RangeError);
    assert.throws(() => createGateway({ registry, authorize: 'yes' as never }), { name: 'TypeError', message: /authorize/ });
    assert.throws(() => createGateway({ registry, allowedOrigins: ['https://a.example/path'] }), { name: 'TypeError', message: /allowedOrigins/ });
  });

  it('keel api listens on 127.0.0.1 unless told, says so when it listens on every interface, and takes --token', async () => {
    assert.equal(API_DEFAULT_ADDRESS, '127.0.0.1:8080');
    assert.equal(api.flags.find((f) => f.name === 'address')?.default, '127.0.0.1:8080');
    assert.match(startNotice(API_DEFAULT_ADDRESS, false, false) ?? '', /this machine only .*--address :8080/);
    assert.match(startNotice(':8080', true, false) ?? '', /every interface .*no --token/);
    assert.equal(startNotice('127.0.0.1:9000', true, false), undefined, 'an address given on purpose needs no word');
    const stop = new AbortController();
    let out = '';
    let err = '';
    const stdout = new PassThrough().on('data', (d) => (out += String(d)));
    const stderr = new PassThrough().on('data', (d) => (err += String(d)));
    const io: Io = { stdout, stderr, stdin: new PassThrough(), env: { KEEL_API_TOKEN: 'token-from-the-environment-0123' }, signal: stop.signal };
    const args = parseFlags(['--address', ':0', '--registry', 'memory', '--json'], [...COMMON_FLAGS, ...api.flags]);
    const running = api.run(args, io);
    try {
      const until = Date.now() + 10_000;
      while (!out.includes('\n') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      const port = (JSON.parse(out) as { address: string }).address.split(':').pop();
      assert.match(err, /listening on every interface \(:0\)/);
      assert.match(err, /with the token/);
      const r = await post(`http://127.0.0.1:${port}/rpc`, hello);
      assert.equal(r.status, 401, 'KEEL_API_TOKEN guards it');
    } finally {
      stop.abort();
      assert.equal(await running, 0);
    }
  });

  it('keeps stats only for resolved methods: 300 made-up names leave no entry; names past 255 characters are 400', async () => {
    const { gateway, url } = await gatewayOn(registry);
    try {
      const rss0 = process.memoryUsage().rss;
      const big = 'n'.repeat(1024 * 1024 - 200);
      for (let i = 0; i < 20; i++) {
        const r = await post(`${url}/rpc`, { service: `${big}${i}`, endpoint: 'A.B', request: {} });
        assert.equal(r.status, 400, r.text.slice(0, 200));
        assert.match(r.json.message, /longer than 255/);
      }
      for (let i = 0; i < 300; i++) {
        const name = `made-up-${i}-${'x'.repeat(200)}`;
        const r = await post(`${url}/${name}/S/M`, {});
        assert.ok(r.status === 503 || r.status === 404, `${r.status} ${r.text.slice(0, 200)}`);
      }
      assert.equal((await post(`${url}/x/${'E'.repeat(300)}/M`, {})).status, 400);
      assert.equal((await post(`${url}/rpc`, hello)).status, 200);
      const stats = gateway.stats();
      assert.deepEqual(stats.endpoints.map((e) => `${e.service} ${e.endpoint}`), ['basis Basis.Hello']);
      const growthMb = (process.memoryUsage().rss - rss0) / 2 ** 20;
      console.log(`20 × 1 MB names and 300 made-up names: RSS growth ${growthMb.toFixed(0)} MB, ${stats.endpoints.length} stats entry`);
      assert.ok(growthMb < 200, `RSS grew ${growthMb.toFixed(0)} MB`);
    } finally {
      await gateway.close();
    }
  });

  it('bounds what one describe fetches from a node whose reflection never ends, and remembers the failure briefly', async () => {
    const evil = await startEvilReflection();
    const evilRegistry = memoryRegistry();
    await evilRegistry.register({ id: 'evil-1', name: 'evil', version: '1', address: evil.address, metadata: {} }, { ttlMs: 60_000 });
    const { gateway, url } = await gatewayOn(evilRegistry);
    try {
      const rss0 = process.memoryUsage().rss;
      const t0 = Date.now();
      const first = await post(`${url}/evil/Evil/Call`, {});
      const ms = Date.now() - t0;
      const fetched = evil.fetches();
      for (let i = 0; i < 5; i++) assert.equal((await post(`${url}/evil/Evil/Call`, {})).status, first.status);
      const growthMb = (process.memoryUsage().rss - rss0) / 2 ** 20;
      console.log(`endless reflection: ${fetched} fetches in ${ms} ms, answered ${first.status}; RSS growth ${growthMb.toFixed(0)} MB`);
      assert.ok(first.status >= 400, first.text);
      assert.ok(fetched <= 8, `${fetched} files fetched: 16 MiB of 3 MB files is 6`);
      assert.equal(evil.fetches(), fetched, 'the failure was remembered: five more requests fetched nothing');
      assert.doesNotMatch(first.text, new RegExp(evil.address.replace(/\./g, '\\.')), 'no node address in the answer');
      assert.ok(growthMb < 300, `RSS grew ${growthMb.toFixed(0)} MB`);
    } finally {
      await gateway.close();
      evil.stop();
      await evilRegistry.close();
    }
  });

  it('answers internal failures with a generic message and an error id, the detail in the log; service-meant statuses pass', async () => {
    const leaky = memoryRegistry();
    const server = await startBasis(leaky, {
      logger: false,
      hello: ({ name }) => {
        if (name === 'db') throw Object.assign(new Error('connect ECONNREFUSED 10.9.8.7:5432'), { code: status.UNAVAILABLE });
        throw Object.assign(new Error(`no user ${name}`), { code: status.NOT_FOUND });
      },
    });
    const logged: Array<[string, unknown]> = [];
    const gateway = createGateway({ registry: leaky, onError: (id, err) => logged.push([id, err]), retry: { maxAttempts: 1 } });
    const url = `http://${await gateway.listen('127.0.0.1:0')}`;
    try {
      const r = await post(`${url}/basis/Basis/Hello`, { name: 'db' });
      assert.equal(r.status, 503);
      assert.doesNotMatch(r.text, /10\.9\.8\.7|ECONNREFUSED/);
      assert.match(r.json.errorId, /^[0-9a-f]{12}$/);
      assert.ok(r.json.message.includes(r.json.errorId));
      const entry = logged.find(([id]) => id === r.json.errorId);
      assert.ok(entry, 'the log has the detail under the same id');
      assert.match(String((entry[1] as Error).message), /10\.9\.8\.7/);
      const meant = await post(`${url}/basis/Basis/Hello`, { name: 'jo' });
      assert.deepEqual([meant.status, meant.json.message], [404, 'no user jo']);
      // A registered node that is not there: grpc-js names its address in the error; the caller never sees it.
      await leaky.register({ id: 'ghost', name: 'ghost', version: '1', address: '127.0.0.1:9', metadata: {} }, { ttlMs: 60_000 });
      const ghost = await post(`${url}/ghost/Basis/Hello`, {});
      assert.ok(ghost.status >= 400, ghost.text);
      assert.match(ghost.json.errorId, /^[0-9a-f]{12}$/);
      assert.doesNotMatch(ghost.text, /127\.0\.0\.1:9/);
    } finally {
      await gateway.close();
      await server.server.stop();
      await leaky.close();
    }
  });
});
