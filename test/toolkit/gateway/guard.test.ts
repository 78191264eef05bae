import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { bearerToken, checkAuthorized, originSet, refuseCrossSite } from '../../../src/toolkit/gateway/guard';
import { RollingStats } from '../../../src/toolkit/gateway/stats';
import { FakeClock } from '../../support/fake-clock';

const allowed = originSet(['https://app.example.com']);
const verdict = (headers: Record<string, string>): string => {
  try {
    refuseCrossSite({ host: 'gw:8080', ...headers }, allowed);
    return 'pass';
  } catch (err) {
    return `${(err as { httpStatus: number }).httpStatus} ${(err as { reason: string }).reason}`;
  }
};

describe('gateway guards', () => {
  it('cross-site: Sec-Fetch-Site first, then Origin against Host; no headers pass; allowed origins pass', () => {
    const table: Array<[Record<string, string>, string]> = [
      [{}, 'pass'],
      [{ 'sec-fetch-site': 'same-origin' }, 'pass'],
      [{ 'sec-fetch-site': 'none' }, 'pass'],
      [{ 'sec-fetch-site': 'cross-site' }, '403 cross_site'],
      [{ 'sec-fetch-site': 'same-site' }, '403 cross_site'],
      [{ 'sec-fetch-site': 'junk' }, '403 cross_site'],
      [{ 'sec-fetch-site': 'same-origin', origin: 'http://evil.example' }, 'pass'], // the browser says same-origin: it knows
      [{ origin: 'http://gw:8080' }, 'pass'],
      [{ origin: 'http://gw:8081' }, '403 cross_site'],
      [{ origin: 'null' }, '403 cross_site'],
      [{ origin: 'not a url' }, '403 cross_site'],
      [{ origin: 'https://app.example.com', 'sec-fetch-site': 'cross-site' }, 'pass'],
      [{ origin: 'https://app.example.com.evil', 'sec-fetch-site': 'cross-site' }, '403 cross_site'],
    ];
    for (const [headers, want] of table) assert.equal(verdict(headers), want, JSON.stringify(headers));
  });

  it('allowedOrigins must be origins exactly as browsers send them', () => {
    for (const bad of ['https://a.example/', 'https://a.example/path', 'a.example', '*', 42]) {
      assert.throws(() => originSet([bad]), { name: 'TypeError', message: /allowedOrigins/ }, String(bad));
    }
    assert.throws(() => originSet('https://a.example'), TypeError);
    assert.equal(originSet(['http://127.0.0.1:3000']).size, 1);
  });

  it('bearerToken: only "Bearer <token>", in any case of the scheme; checkAuthorized: false or a throw is 401', async () => {
    const auth = bearerToken('0123456789abcdef');
    const req = (authorization?: string): IncomingMessage => ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;
    assert.equal(auth(req('Bearer 0123456789abcdef')), true);
    assert.equal(auth(req('bearer 0123456789abcdef')), true);
    for (const bad of [undefined, '', 'Bearer', 'Bearer 0123456789abcde', 'Bearer 0123456789abcdefg', 'Basic 0123456789abcdef', 'Bearer a b']) {
      assert.equal(auth(req(bad)), false, String(bad));
    }
    await checkAuthorized(undefined, req());
    await checkAuthorized(async () => true, req());
    for (const no of [() => false, async () => false, () => { throw new Error('x'); }, () => 'yes' as unknown as boolean]) {
      await assert.rejects(checkAuthorized(no, req()), (e: { httpStatus: number; reason: string }) => e.httpStatus === 401 && e.reason === 'unauthenticated');
    }
  });

  it('stats: names cut at 256 characters; an endpoint idle for a window is dropped', () => {
    const clock = new FakeClock();
    const stats = new RollingStats(clock, 1000);
    stats.record('s'.repeat(10_000), 'E.m', 1, true);
    assert.equal(stats.snapshot().endpoints[0]?.service.length, 256);
    clock.advance(500);
    stats.record('b', 'B.m', 1, true);
    clock.advance(600);
    assert.deepEqual(stats.snapshot().endpoints.map((e) => e.service), ['b']);
    clock.advance(1000);
    assert.deepEqual(stats.snapshot().endpoints, []);
  });
});
