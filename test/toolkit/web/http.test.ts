import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { breaker, memoryRegistry, roundRobin, tracing, wrapClient, type Registry } from '../../../src/index';
import { directGateway } from '../../../src/toolkit/web/direct-gateway';
import { startWeb, type Web } from '../../../src/toolkit/web/web';
import { eventually, startBasis, type TestServer } from '../../support/basis';
import { DynamicCaller } from '../../../src/toolkit/dynamic/caller';

describe('keel web over HTTP: the page, /events and /rpc', () => {
  let registry: Registry;
  let web: Web;
  let server: TestServer;
  let caller: DynamicCaller;
  const rpc = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
    fetch(new URL('rpc', web.url), { method: 'POST', headers, body });

  before(async () => {
    registry = memoryRegistry();
    server = await startBasis(registry, { logger: false });
    caller = new DynamicCaller({ registry, wrap: wrapClient(roundRobin(), breaker({ scope: 'node' }), tracing()) });
    web = await startWeb({ registry, gateway: directGateway({ caller, maxBodyBytes: 1024 }), address: '127.0.0.1:0' });
  });
  after(async () => {
    await caller?.close();
    await web?.close();
    await server?.server.stop();
    await registry?.close();
  });

  it('renders the services into the page itself (it reads without the script)', async () => {
    await eventually(async () => (await (await fetch(web.url)).text()).includes(`data-node="${server.id}"`), 'the node in the page');
    const res = await fetch(web.url);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    const html = await res.text();
    assert.match(html, /<script src="app.js"><\/script>/);
    assert.match(html, new RegExp(server.address.replace(/\./g, '\\.')));
    assert.equal((await fetch(new URL('app.js', web.url))).status, 200);
    assert.equal((await fetch(new URL('nope', web.url))).status, 404);
  });

  it('streams every section to a new /events client at once', async () => {
    const ac = new AbortController();
    const res = await fetch(new URL('events', web.url), { signal: ac.signal });
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    while (!['services', 'targets', 'resilience'].every((id) => text.includes(`"id":"${id}"`))) {
      const { value, done } = await reader.read();
      if (done) break;
      text += Buffer.from(value).toString('utf8');
    }
    ac.abort();
    assert.match(text, /^retry: 1000\n\nevent: section\ndata: \{/);
  });

  it('calls through /rpc with JSON, continuing the caller\'s traceparent', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await rpc(JSON.stringify({ service: 'basis', endpoint: 'Basis.Hello', request: { name: 'Jo' } }),
      { 'content-type': 'application/json', traceparent: `00-${traceId}-00f067aa0ba902b7-01` });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { msg: `Hello Jo from ${server.id}` });
    assert.equal(res.headers.get('x-trace-id'), traceId);
    assert.match(String(server.seen.at(-1)!.ctx.metadata.get('traceparent')[0]), new RegExp(`^00-${traceId}-`));
  });

  it('answers bad input with a status and a JSON error, and keeps serving', async () => {
    const cases: Array<[what: string, res: Promise<Response>, status: number, reason: string | null]> = [
      ['not JSON', rpc('{"service":'), 400, 'bad_request'],
      ['no endpoint', rpc('{"service":"basis"}'), 400, 'bad_request'],
      ['a JSON array', rpc('[1,2]'), 400, 'bad_request'],
      ['null', rpc('null'), 400, 'bad_request'],
      ['too large', rpc(JSON.stringify({ service: 'basis', endpoint: 'Basis.Hello', request: { name: 'x'.repeat(2000) } })), 413, 'bad_request'],
      ['a form post (cross-site forms cannot send JSON)', rpc('service=basis', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'bad_request'],
      ['an unknown method', rpc('{"service":"basis","endpoint":"Basis.Nope"}'), 501, 'unknown_method'],
      ['an unknown service', rpc('{"service":"nobody","endpoint":"Basis.Hello"}'), 503, 'no_nodes'],
      ['a request that does not fit the type', rpc('{"service":"basis","endpoint":"Basis.Hello","request":{"name":{"x":1}}}'), 400, 'bad_request'],
    ];
    for (const [what, pending, status, reason] of cases) {
      const res = await pending;
      assert.equal(res.status, status, what);
      const body = await res.json() as { code: number; message: string; reason: string | null };
      assert.equal(typeof body.code, 'number', what);
      assert.equal(body.reason, reason, what);
    }
    const ok = await rpc(JSON.stringify({ service: 'basis', endpoint: 'Basis.Hello', request: { name: 'again' } }));
    assert.equal(ok.status, 200);
    const stats = await (await fetch(web.url)).text();
    assert.match(stats, /data-stats="basis Basis.Hello"/);
  });
});

describe('startWeb and directGateway options', () => {
  const registry = memoryRegistry();
  const caller = new DynamicCaller({ registry });
  const gateway = directGateway({ caller });
  after(async () => {
    await caller.close();
    await registry.close();
  });

  it('listens on every interface for :port, and says where to open it', async () => {
    const web = await startWeb({ registry, gateway, address: ':0' });
    try {
      assert.match(web.address, /^(0\.0\.0\.0|\[::\]):\d+$/);
      assert.match(web.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      assert.equal((await fetch(web.url)).status, 200);
      assert.deepEqual(await (await fetch(new URL('state.json', web.url))).json(), []);
    } finally {
      await web.close();
    }
  });

  it('refuses bad options at once, naming them', async () => {
    await assert.rejects(startWeb({ registry, gateway, address: 'nowhere' }), /startWeb: address/);
    await assert.rejects(startWeb({ registry, gateway, jaeger: 'javascript:alert(1)' }), /startWeb: jaeger/);
    await assert.rejects(startWeb({ registry, gateway, pollMs: 0 }), /startWeb: pollMs/);
    await assert.rejects(startWeb({ registry, gateway, colour: 'red' } as never), /colour/);
    await assert.rejects(startWeb({ registry, gateway: {} as never }), /startWeb: gateway/);
    await assert.rejects(startWeb({ registry: { kind: 'bare' } as never, gateway }), /listServices/);
    assert.throws(() => directGateway({ caller, timeoutMs: 0 }), /directGateway: timeoutMs/);
    assert.throws(() => directGateway({ caller: {} as never }), /directGateway: caller/);
  });
});
