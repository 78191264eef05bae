import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createClient, leastLoaded, memoryRegistry, wrapClient, type Registry } from '../../../src/index';
import { createGateway, type Gateway } from '../../../src/toolkit/gateway/gateway';
import { circleRadius, errorColour, sparkY } from '../../../src/toolkit/web/charts';
import type { NodeLoad } from '../../../src/toolkit/web/node-history';
import { startWeb, type Web } from '../../../src/toolkit/web/web';
import { Basis } from '../../../examples/basis/proto';
import { startBasis, type TestServer } from '../../support/basis';
import { startItems } from '../../support/items';
import { repoRoot, toolOrSkip } from '../../support/external';

const executablePath = toolOrSkip('chromium', 'web dashboard charts (browser)');

describe('keel web draws what it serves: sparklines, circuit circles, node strips (Chromium)', { skip: executablePath === undefined }, () => {
  let registry: Registry;
  let gateway: Gateway;
  let web: Web;
  let browser: Browser;
  let page: Page;
  const servers: TestServer[] = [];
  /** The dashboard's load source: a real `leastLoaded()` balancer's `nodes()`, once a client has used it. */
  let loads: NodeLoad[] = [];

  before(async () => {
    registry = memoryRegistry();
    servers.push(await startBasis(registry, { logger: false }));
    servers.push(await startBasis(registry, { logger: false, hello: () => { throw Object.assign(new Error('down'), { code: 14 }); } }));
    gateway = createGateway({ registry });
    web = await startWeb({ registry, gateway, address: '127.0.0.1:0', healthIntervalMs: 200, refreshMs: 100, loads: () => loads });
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

  it('draws each endpoint\'s calls/s and p99 sparklines from the very counts the gateway serves', async () => {
    const calls = 24;
    for (let i = 0; i < calls; i++) {
      const res = await fetch(new URL('rpc', web.url), { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ service: 'basis', endpoint: 'Basis.Hello', request: { name: `n${i}` } }) });
      await res.arrayBuffer();
    }
    const row = 'tr[data-stats="basis Basis.Hello"]';
    await page.waitForFunction((sel) => {
      const svg = (globalThis as any).document.querySelector(`${sel} svg.spark-calls`);
      return svg && svg.getAttribute('data-values').split(',').reduce((a: number, v: string) => a + Number(v || 0), 0) * 5 >= 24;
    }, row, { timeout: 5000 });
    // The series moves on every 5 s bucket: compare the page with a snapshot it has caught up with (it refreshes
    // every 100 ms), taking a fresh one if a bucket boundary passed in between.
    const snapshot = () => {
      const served = gateway.stats().endpoints.find((e) => e.endpoint === 'Basis.Hello')!;
      return { served, perSecond: served.series.calls.map((c) => c / (served.series.bucketMs / 1000)) };
    };
    let { served, perSecond } = snapshot();
    for (let tries = 0; ; tries++) {
      const want = perSecond.map((v) => Math.round(v * 100) / 100).join(',');
      const caughtUp = await page.waitForFunction(([sel, values]) =>
        (globalThis as any).document.querySelector(`${sel} svg.spark-calls`)?.getAttribute('data-values') === values, [row, want] as const, { timeout: 2000 })
        .then(() => true, () => false);
      if (caughtUp || tries >= 3) break;
      ({ served, perSecond } = snapshot());
    }
    assert.equal(served.series.calls.reduce((a, b) => a + b, 0), calls, 'every call is in the series');
    assert.equal(served.requests, calls);

    const drawn = await page.$eval(`${row} svg.spark-calls`, (svg) => ({ values: svg.getAttribute('data-values')!, max: svg.getAttribute('data-max')!, d: svg.querySelector('path')!.getAttribute('d')! }));
    assert.deepEqual(drawn.values.split(',').map(Number), perSecond.map((v) => Math.round(v * 100) / 100));
    assert.equal(Number(drawn.max), Math.max(...perSecond));
    // The line goes through each value where the chart's scale puts it.
    const ys = [...drawn.d.matchAll(/[ML][\d.]+ ([\d.]+)/g)].map((m) => Number(m[1]));
    assert.deepEqual(ys, perSecond.map((v) => Math.round(sparkY(v, Math.max(...perSecond)) * 100) / 100));

    const p99 = await page.$eval(`${row} svg.spark-p99`, (svg) => svg.getAttribute('data-values')!);
    assert.deepEqual(p99.split(',').map((v: string) => (v === '' ? null : Number(v))), served.series.p99Ms.map((v) => (v === null ? null : Math.round(v * 100) / 100)));
    assert.ok(served.series.p99Ms.some((v: number | null) => v !== null && v > 0), 'the calls took time');
  });

  it('draws a circle per circuit, sized by its requests and coloured by its error rate, with its state', async () => {
    // The failing node's circuit opens after 5 failed attempts in a row (retry takes each call to the healthy node).
    const failing = servers[1]!;
    await page.waitForSelector(`figure.circuit[data-state="open"]`, { timeout: 5000 }).catch(() => undefined);
    const circuits = gateway.breaker.circuits();
    assert.ok(circuits.some((c) => c.node === failing.id && c.failures > 0), 'the failing node has failures in its window');
    await page.waitForFunction((n) => (globalThis as any).document.querySelectorAll('figure.circuit').length === n, circuits.length, { timeout: 3000 });
    const drawn = await page.$$eval('figure.circuit', (figs) => figs.map((f) => ({
      requests: Number(f.getAttribute('data-requests')), failures: Number(f.getAttribute('data-failures')), state: f.getAttribute('data-state'),
      r: Number(f.querySelector('circle')!.getAttribute('r')), fill: f.querySelector('circle')!.getAttribute('fill'), caption: f.querySelector('figcaption')!.textContent,
    })));
    const now = gateway.breaker.circuits();
    for (const c of now) {
      const d = drawn.find((x) => x.caption?.includes(c.node ?? ''));
      assert.ok(d, `a circle for ${c.node}`);
      assert.deepEqual([d.requests, d.failures, d.state], [c.requests, c.failures, c.state]);
      assert.equal(d.r, Math.round(circleRadius(c.requests) * 100) / 100);
      assert.equal(d.fill, errorColour(c.requests === 0 ? 0 : c.failures / c.requests));
    }
    const bad = drawn.find((d) => d.caption?.includes(failing.id))!;
    assert.equal(bad.fill, '#cf222e', 'every attempt on the failing node failed: red');
    const good = drawn.find((d) => d.caption?.includes(servers[0]!.id))!;
    assert.equal(good.fill, '#2da44e', 'the healthy node: green');
  });

  it('shows each node\'s recent health as a strip, and its load when a balancer reports one', async () => {
    const [healthy] = servers;
    await page.waitForFunction((id) => {
      const strip = (globalThis as any).document.querySelector(`tr[data-node="${id}"] svg.strip`);
      return strip && strip.getAttribute('data-health').split(',').filter((h: string) => h === 'SERVING').length >= 3;
    }, healthy!.id, { timeout: 5000 });
    const cells = await page.$$eval(`tr[data-node="${healthy!.id}"] svg.strip rect`, (rects) => rects.map((r) => r.getAttribute('fill')));
    assert.ok(cells.filter((c) => c === '#2da44e').length >= 3, 'SERVING cells are green');
    assert.equal(await page.$(`tr[data-node="${healthy!.id}"] .load`), null, 'no load drawn before the source has one');
    // A client balancing with leastLoaded() (the failing node's failures count as 100 ms each): its view is drawn.
    const balancer = leastLoaded();
    const client = createClient(Basis, 'basis', { registry, wrap: wrapClient(balancer) });
    for (let i = 0; i < 20; i++) await client.hello({ name: 'load' }).catch(() => undefined);
    client.close();
    loads = balancer.nodes();
    assert.equal(loads.length, 2, 'the balancer saw both nodes');
    await page.waitForSelector(`tr[data-node="${healthy!.id}"] .load`, { timeout: 3000 });
    const round = (v: number): string => String(Math.round(v * 100) / 100);
    for (const l of loads) {
      const drawn = await page.$eval(`tr[data-node="${l.node}"] .load`, (el) => [el.getAttribute('data-latency-ms'), el.getAttribute('data-in-flight'), el.getAttribute('data-cost'), el.textContent]);
      assert.deepEqual(drawn.slice(0, 3), [round(l.latencyMs), String(l.inFlight), round(l.cost)]);
      assert.ok(drawn[3]?.includes(`${round(l.latencyMs)} ms · ${l.inFlight} in flight · cost ${round(l.cost)}`), drawn[3] ?? '');
    }
    const failingCost = loads.find((l) => l.node === servers[1]!.id)!.cost;
    assert.ok(failingCost >= loads.find((l) => l.node === healthy!.id)!.cost, 'the failing node costs more');
  });
});

describe('keel web: the toolkit guide\'s screenshot (docs/dashboard.png, refreshed with KEEL_UPDATE_DOCS=1)', { skip: executablePath === undefined }, () => {
  it('shows five minutes of traffic at a glance', async () => {
    const registry = memoryRegistry();
    const servers = [
      await startBasis(registry, { logger: false, hello: async ({ name }: { name: string }) => {
        await new Promise((r) => setTimeout(r, 1 + (name.length % 4)));
        return { msg: `Hello ${name}` };
      } }),
      // A node that fails one call in three: its circle turns orange, and red once its circuit opens.
      await startBasis(registry, { logger: false, hello: ({ name }: { name: string }) => {
        if (Number(name.slice(1)) % 3 === 0) throw Object.assign(new Error('overloaded'), { code: 14 });
        return { msg: `Hello ${name}` };
      } }),
      await startItems(registry, { logger: false }),
    ];
    // The stats' clock runs five minutes ahead in 5 s steps between batches: the sparklines fill in seconds.
    let shift = 0;
    const gateway = createGateway({ registry, clock: { now: () => performance.now() + shift }, rateLimit: { ratePerSecond: 1000 } });
    const web = await startWeb({ registry, gateway, address: '127.0.0.1:0', healthIntervalMs: 200, refreshMs: 100 });
    const browser = await chromium.launch({ executablePath: executablePath as string, headless: true, args: ['--no-sandbox'] });
    try {
      const post = (service: string, endpoint: string, request: unknown): Promise<unknown> => fetch(new URL('rpc', web.url), {
        method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ service, endpoint, request }) }).then((r) => r.arrayBuffer());
      let n = 0;
      for (let step = 0; step < 60; step++) {
        shift += 5000;
        const batch = 3 + Math.round(4 * (1 + Math.sin(step / 6)));
        for (let i = 0; i < batch; i++) await post('basis', 'Basis.Hello', { name: `n${n++}` });
        if (step % 3 === 0) await post('items', 'Items.GetItem', { id: step });
      }
      const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
      await page.goto(web.url);
      await page.waitForSelector('#live.on', { timeout: 5000 });
      await page.waitForSelector('tr[data-stats="basis Basis.Hello"] svg.spark-calls path', { timeout: 5000 });
      await page.waitForTimeout(1500); // a few health checks for the strips
      const served = gateway.stats().endpoints.find((e) => e.endpoint === 'Basis.Hello')!;
      assert.ok(served.series.calls.filter((c) => c > 0).length >= 55, 'the calls spread over the five minutes');
      const shots = join(repoRoot, 'test-results', 'web');
      mkdirSync(shots, { recursive: true });
      await page.screenshot({ path: join(shots, 'dashboard.png'), fullPage: true });
      if (process.env.KEEL_UPDATE_DOCS === '1') copyFileSync(join(shots, 'dashboard.png'), join(repoRoot, 'docs', 'dashboard.png'));
    } finally {
      await browser.close();
      await web.close();
      await gateway.close();
      await Promise.all(servers.map((s) => s.server.stop()));
      await registry.close();
    }
  });
});
