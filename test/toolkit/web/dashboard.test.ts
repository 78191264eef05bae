import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { breaker, memoryRegistry, rateLimit, roundRobin, tracing, wrapClient, type Registry } from '../../../src/index';
import { createGateway, type Gateway } from '../../../src/toolkit/gateway/gateway';
import { startWeb, type Web } from '../../../src/toolkit/web/web';
import { startBasis, type TestServer } from '../../support/basis';
import { startItems } from '../../support/items';
import { repoRoot, toolOrSkip } from '../../support/external';

// These run in the browser (page.evaluate / waitForFunction), where the DOM exists.
declare const document: { getElementById(id: string): { textContent: string | null } | null };
declare const window: { pwned?: number };

const executablePath = toolOrSkip('chromium', 'web dashboard (browser)');
/** Screenshots of every run (git-ignored); docs/toolkit.md's docs/dashboard.png comes from charts.test.ts. */
const shots = join(repoRoot, 'test-results', 'web');
const JAEGER = 'http://127.0.0.1:16686';

describe('keel web in a real browser (Debian chromium, playwright-core)', { skip: executablePath === undefined }, () => {
  let registry: Registry;
  let web: Web;
  let browser: Browser;
  let page: Page;
  let gateway: Gateway;
  const servers: Array<Pick<TestServer, 'server'>> = [];

  before(async () => {
    registry = memoryRegistry();
    // The failing node below must keep being chosen until the breaker ejects it, so that the page shows an open
    // circuit (leastLoaded's defaults keep a failing node out sooner): a failure penalty of a microsecond, and a
    // 1 ms decay, so that no node's estimate outlives the gap between two calls and the balancer picks between
    // them at random. (With the default decay, a failure that took a little longer than the healthy node's
    // answers kept the failing node out for seconds on a loaded machine, and the circuit never opened in time.)
    gateway = createGateway({ registry, rateLimit: { ratePerSecond: 100 }, balancer: { failurePenaltyMs: 0.001, decayMs: 1 } });
    web = await startWeb({ registry, gateway, address: '127.0.0.1:0', jaeger: JAEGER });
    mkdirSync(shots, { recursive: true });
    const version = execFileSync(executablePath as string, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    process.stderr.write(`# ${version}, playwright-core ${require('playwright-core/package.json').version}\n`);
    // Root in CI containers: chromium's sandbox needs user namespaces it does not get there.
    browser = await chromium.launch({ executablePath: executablePath as string, headless: true, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    await page.goto(web.url);
    await page.waitForSelector('#live.on', { timeout: 5000 });
  });
  after(async () => {
    await browser?.close();
    await Promise.all(servers.map((s) => s.server.stop()));
    await gateway?.close();
    await web?.close();
    await registry?.close();
  });

  it('shows a service within a second of its server starting, with its node, health and endpoints', async () => {
    assert.match(await page.textContent('#services') ?? '', /No services registered/);
    const started = Date.now();
    const s = await startBasis(registry, { logger: false });
    servers.push(s);
    await page.waitForSelector(`#services tr[data-node="${s.id}"]`, { timeout: 1000 });
    const ms = Date.now() - started;
    process.stderr.write(`# service shown ${ms} ms after start() was called\n`);
    assert.ok(ms <= 1000, `shown after ${ms} ms`);
    assert.equal(await page.textContent(`tr[data-node="${s.id}"] td:nth-child(2)`), s.address);
    await page.waitForSelector(`tr[data-node="${s.id}"] .health-SERVING`, { timeout: 3000 });
    // Health is checked again every 2 s: a node that stops serving shows it.
    s.server.setStatus('', 'NOT_SERVING');
    await page.waitForSelector(`tr[data-node="${s.id}"] .health-NOT_SERVING`, { timeout: 3000 });
    s.server.setStatus('', 'SERVING');
    await page.waitForSelector(`tr[data-node="${s.id}"] .health-SERVING`, { timeout: 3000 });
    await page.waitForSelector('article[data-service="basis"] button[data-endpoint="Basis.Hello"]', { timeout: 3000 });
  });

  it('shows what a registry holds as text, never as markup', async () => {
    const evil = { id: 'evil-1', name: 'evil<img src=x id=injected>', version: '<b id="bold">1</b>', address: '127.0.0.1:1',
      metadata: { '<k>': '"><script>window.pwned = 1</script>' } };
    await registry.register(evil, { ttlMs: 60_000 });
    const row = await page.waitForSelector('tr[data-node="evil-1"]', { timeout: 2000 });
    assert.equal(await row.textContent().then((t) => t?.includes('<b id="bold">1</b>')), true);
    assert.match(await page.textContent('#services') ?? '', /evil<img src=x id=injected>/);
    assert.equal(await page.$('#injected'), null);
    assert.equal(await page.$('#bold'), null);
    assert.equal(await page.evaluate(() => window.pwned), undefined);
    await page.waitForSelector('tr[data-node="evil-1"] .health-UNREACHABLE', { timeout: 3000 });
    await registry.deregister(evil);
    await page.waitForSelector('tr[data-node="evil-1"]', { state: 'detached', timeout: 2000 });
  });

  it('calls a method from the form and shows the reply and its trace id, linked to Jaeger', async () => {
    await page.click('article[data-service="basis"] button[data-endpoint="Basis.Hello"]');
    assert.equal(await page.inputValue('input[name=service]'), 'basis');
    assert.equal(await page.inputValue('input[name=endpoint]'), 'Basis.Hello');
    assert.deepEqual(JSON.parse(await page.inputValue('textarea[name=request]')), { name: '' }, 'the form starts from the request shape');
    await page.fill('textarea[name=request]', '{ "name": "John <3" }');
    await page.click('#call button[type=submit]');
    await page.waitForFunction(() => document.getElementById('reply')?.textContent?.includes('Hello John <3 from'), undefined, { timeout: 3000 });
    assert.equal(await page.textContent('#result-status'), 'OK');
    const traceId = (await page.textContent('#trace-id')) ?? '';
    assert.match(traceId, /^[0-9a-f]{32}$/);
    assert.equal(await page.getAttribute('#trace-link', 'href'), `${JAEGER}/trace/${traceId}`);
    // The id shown is the one the server was called with.
    const seen = (servers[0] as TestServer).seen.at(-1)!;
    assert.match(String(seen.ctx.metadata.get('traceparent')[0]), new RegExp(`^00-${traceId}-`));
    await page.waitForSelector('#resilience tr[data-stats="basis Basis.Hello"]', { timeout: 2000 });
    await page.screenshot({ path: join(shots, 'call.png'), fullPage: true });
  });

  it('shows a failed call as failed, and a node whose circuit opened as open', async () => {
    const failing = await startBasis(registry, { logger: false, hello: () => { throw Object.assign(new Error('disk on fire'), { code: 14 }); } });
    servers.push(failing);
    // A second service, with a method of each kind, for the screenshot.
    servers.push(await startItems(registry, { logger: false }));
    await page.waitForSelector(`tr[data-node="${failing.id}"]`, { timeout: 1000 });
    await page.waitForSelector('article[data-service="items"] button[data-endpoint]', { timeout: 3000 });
    // A server-streaming method from the form: one message a line, and a failure mid-stream shows as failed.
    await page.click('article[data-service="items"] button[data-endpoint="Items.ListItems"]');
    await page.fill('textarea[name=request]', '{ "count": 3 }');
    await page.evaluate(() => { document.getElementById('reply')!.textContent = ''; });
    await page.click('#call button[type=submit]');
    await page.waitForFunction(() => document.getElementById('reply')?.textContent !== '', undefined, { timeout: 3000 });
    assert.equal(await page.textContent('#result-status'), 'OK, 3 messages');
    assert.deepEqual((await page.textContent('#reply'))!.split('\n').map((l) => (JSON.parse(l) as { id: number }).id), [1, 2, 3]);
    await page.fill('textarea[name=request]', '{ "count": 3, "failAt": 2 }');
    await page.evaluate(() => { document.getElementById('reply')!.textContent = ''; });
    await page.click('#call button[type=submit]');
    await page.waitForFunction(() => document.getElementById('reply')?.textContent !== '', undefined, { timeout: 3000 });
    assert.equal(await page.textContent('#result-status'), 'stream failed: FAILED_PRECONDITION');
    await page.click('article[data-service="basis"] button[data-endpoint="Basis.Hello"]');
    // A request that does not fit shows as failed, with the gateway's status and reason.
    await page.fill('textarea[name=request]', '{ "name": 5 }');
    await page.evaluate(() => { document.getElementById('reply')!.textContent = ''; });
    await page.click('#call button[type=submit]');
    await page.waitForFunction(() => document.getElementById('reply')?.textContent !== '', undefined, { timeout: 3000 });
    assert.equal(await page.textContent('#result-status'), 'HTTP 400');
    assert.match(await page.textContent('#reply') ?? '', /bad_request/);

    await page.fill('textarea[name=request]', '{ "name": "Ann" }');
    let calls = 0;
    // The balancer keeps choosing the fast-failing node now and then. Hello is NO_SIDE_EFFECTS, so the gateway's
    // retry() takes each of those to the healthy node and the form shows OK every time, while the breaker
    // counts the failed attempts: after 5 in a row the failing node's circuit opens.
    for (; calls < 30 && (await page.$(`#resilience tr[data-circuit-node="${failing.id}"] .state-open`)) === null; calls++) {
      await page.evaluate(() => { document.getElementById('reply')!.textContent = ''; });
      await page.click('#call button[type=submit]');
      await page.waitForFunction(() => document.getElementById('reply')?.textContent !== '', undefined, { timeout: 3000 });
      assert.equal(await page.textContent('#result-status'), 'OK', 'the retry hid the failing node');
      assert.match(await page.textContent('#reply') ?? '', /Hello Ann/);
      await page.waitForTimeout(50);
    }
    await page.waitForSelector(`#resilience tr[data-circuit-node="${failing.id}"] .state-open`, { timeout: 2000 });
    await page.waitForSelector(`#services tr[data-node="${failing.id}"] .state-open`, { timeout: 2000 });
    assert.ok(calls >= 5 && calls < 30, `the circuit opened after ${calls} calls (5 failed attempts in a row)`);
    // With the failing node ejected, the next call goes to the healthy one.
    await page.evaluate(() => { document.getElementById('reply')!.textContent = ''; });
    await page.click('#call button[type=submit]');
    await page.waitForFunction(() => document.getElementById('reply')?.textContent?.includes('Hello Ann'), undefined, { timeout: 3000 });
    const rate = await page.textContent('#resilience tr[data-stats="basis Basis.Hello"] td:nth-child(4)');
    assert.notEqual(rate, '0.0 %');
    await page.screenshot({ path: join(shots, 'circuit-open.png'), fullPage: true });
  });

  it('drops a service within a second of its servers stopping', async () => {
    const started = Date.now();
    await Promise.all(servers.splice(0).map((s) => s.server.stop()));
    await page.waitForSelector('article[data-service="basis"]', { state: 'detached', timeout: 1000 });
    await page.waitForSelector('article[data-service="items"]', { state: 'detached', timeout: 1000 });
    process.stderr.write(`# service gone ${Date.now() - started} ms after stop() was called\n`);
    assert.match(await page.textContent('#services') ?? '', /No services registered/);
    await page.screenshot({ path: join(shots, 'empty.png'), fullPage: true });
  });
});
