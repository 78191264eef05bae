import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect as h2connect } from 'node:http2';
import { connect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { after, before, describe, it } from 'node:test';
import { createServer, memoryRegistry, type Registry } from '../../src/index';
import { sidecarGateway } from '../../src/toolkit/cli/commands/sidecar';
import { createGateway, type Gateway } from '../../src/toolkit/gateway/gateway';
import { startSidecar } from '../../src/toolkit/sidecar/index';
import { startWeb, type Web } from '../../src/toolkit/web/web';
import { startBasis, type TestServer } from '../support/basis';
import { freePort } from '../support/free-port';
import { post } from '../toolkit/gateway/support';
import { startPlainApp } from '../toolkit/sidecar/plain-app';

// Rows 5, 6 and 8 of issue 20: the sidecar's gateway, the dashboard, and streams per server connection.

/** Opens a raw connection, writes `text`, and resolves to the socket once connected. */
function rawSocket(address: string, text: string): Promise<Socket> {
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(text);
      resolve(socket);
    });
    socket.on('error', reject);
  });
}

/** Status of a request with the given `Host` header (fetch may not set Host; node's http may). */
function statusWithHost(address: string, method: string, path: string, host: string, body?: string): Promise<number> {
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: { host, 'content-type': 'application/json' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
      res.destroy();
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Resolves to how long until `socket` was closed by the other end (or `limitMs`, then destroys it); reads and drops what comes. */
function closedWithin(socket: Socket, limitMs: number): Promise<number> {
  const t0 = Date.now();
  socket.resume();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(limitMs);
    }, limitMs);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - t0);
    });
  });
}

describe('hostile: keel web is as hard as the gateway', () => {
  let registry: Registry;
  let basis: TestServer;
  let gateway: Gateway;
  let web: Web;
  before(async () => {
    registry = memoryRegistry();
    basis = await startBasis(registry, { logger: false });
    gateway = createGateway({ registry, headersTimeoutMs: 500, bodyTimeoutMs: 500, onError: () => undefined });
    web = await startWeb({ registry, gateway, address: '127.0.0.1:0', maxLivePages: 3, refreshMs: 50, pollMs: 50 });
  });
  after(async () => {
    await web.close();
    await gateway.close();
    await basis.server.stop();
    await registry.close();
  });

  it('answers only its own host names: a DNS-rebinding page (Host: evil.example) reaches neither the page nor /rpc', async () => {
    const port = web.address.split(':').pop();
    for (const path of ['/', '/state.json', '/events']) assert.equal(await statusWithHost(web.address, 'GET', path, `evil.example:${port}`), 421, path);
    const seen = basis.seen.length;
    const body = JSON.stringify({ service: 'basis', endpoint: 'Basis.Hello', request: {} });
    assert.equal(await statusWithHost(web.address, 'POST', '/rpc', `evil.example:${port}`, body), 421);
    assert.equal(basis.seen.length, seen, 'the call never reached the service');
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'localhost', `${hostname()}:${port}`]) {
      assert.equal(await statusWithHost(web.address, 'GET', '/', host), 200, host);
    }
    assert.equal(await statusWithHost(web.address, 'POST', '/rpc', `localhost:${port}`, body), 200);
  });

  it('sends a Content-Security-Policy, X-Frame-Options and Referrer-Policy with the page', async () => {
    const res = await fetch(web.url);
    await res.text();
    assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.match(res.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer');
  });

  it("drops a client whose headers trickle in within the gateway's header timeout (was: held 87 s)", async () => {
    const socket = await rawSocket(web.address, 'GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const keep = setInterval(() => socket.writable && socket.write('X-Slow: 1\r\n'), 100);
    const ms = await closedWithin(socket, 10_000);
    clearInterval(keep);
    assert.ok(ms < 5000, `the slow client was held ${ms} ms`);
  });

  it('caps live pages (503 past maxLivePages) and drops one whose backlog grows', async () => {
    const streams = await Promise.all([0, 1, 2].map(() => rawSocket(web.address, 'GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')));
    // Three readers that never read: their sockets fill, then their backlog grows with each new section.
    for (const s of streams) s.pause();
    await new Promise((r) => setTimeout(r, 300));
    const fourth = await fetch(new URL('events', web.url));
    assert.equal(fourth.status, 503);
    await fourth.body?.cancel();
    // Big, changing sections: nodes with 256 KB of metadata each, a new one every 20 ms.
    const big = 'm'.repeat(256 * 1024);
    for (let i = 0; i < 120; i++) {
      await registry.register({ id: `big-${i}`, name: 'big', version: '1', address: '127.0.0.1:1', metadata: { pad: `${i}${big}` } }, { ttlMs: 60_000 });
      if (i >= 2) await registry.deregister({ id: `big-${i - 2}`, name: 'big', version: '1', address: '127.0.0.1:1', metadata: {} });
      await new Promise((r) => setTimeout(r, 20));
    }
    // Now read: a dropped stream ends once its buffered bytes are read; a kept one would stay open.
    const ms = await Promise.all(streams.map((s) => closedWithin(s, 10_000)));
    assert.ok(ms.every((m) => m < 10_000), `slow readers were not dropped (${ms.join(', ')} ms)`);
    const again = await fetch(new URL('events', web.url));
    assert.equal(again.status, 200, 'a place is free again');
    await again.body?.cancel();
  });
});

describe("hostile: the sidecar's gateway routes only the service it registers", () => {
  it('calls the app by its name and answers 404 for every other registered service', async () => {
    const registry = memoryRegistry();
    const other = await startBasis(registry, { logger: false });
    const app = await startPlainApp({ health: true, reflection: true });
    const port = await freePort();
    const sidecar = await startSidecar({ name: 'legacy', app: app.address, registry, address: `127.0.0.1:${port}`, gateway: sidecarGateway, intervalMs: 200 });
    try {
      const url = `http://127.0.0.1:${port}`;
      const mine = await post(`${url}/legacy/Basis/Hello`, { name: 'jo' });
      assert.equal(mine.status, 200, mine.text);
      const theirs = await post(`${url}/basis/Basis/Hello`, { name: 'jo' });
      assert.equal(theirs.status, 404, theirs.text);
      assert.equal(theirs.json.reason, 'unknown_service');
      assert.equal(other.seen.length, 0, 'the other service was never called');
    } finally {
      await sidecar.stop();
      app.kill();
      await other.server.stop();
      await registry.close();
    }
  });
});

describe('hostile: a gRPC server caps concurrent streams per connection', () => {
  const settingsOf = (address: string): Promise<number | undefined> => new Promise((resolve, reject) => {
    const session = h2connect(`http://${address}`);
    session.on('error', reject);
    session.on('remoteSettings', (settings) => {
      session.close();
      resolve(settings.maxConcurrentStreams);
    });
  });

  it('advertises 1000 by default (was: unlimited) and maxConcurrentStreams when given', async () => {
    const registry = memoryRegistry();
    const byDefault = await startBasis(registry, { logger: false });
    const capped = await startBasis(registry, { logger: false, maxConcurrentStreams: 50 });
    try {
      assert.equal(await settingsOf(byDefault.address), 1000);
      assert.equal(await settingsOf(capped.address), 50);
    } finally {
      await Promise.all([byDefault.server.stop(), capped.server.stop()]);
      await registry.close();
    }
    assert.throws(() => createServer({ name: 'x', registry, maxConcurrentStreams: 0 }), { name: 'RangeError', message: /maxConcurrentStreams/ });
  });
});
