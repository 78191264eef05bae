import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { keelError } from '../../../src/index';
import { metadataFrom } from '../../../src/toolkit/gateway/metadata';
import { matchRoute, MAX_JSON_DEPTH, parseJson, rpcTarget } from '../../../src/toolkit/gateway/route';
import { RollingStats } from '../../../src/toolkit/gateway/stats';
import { errorResponse, HTTP_STATUS } from '../../../src/toolkit/gateway/status';
import { FakeClock } from '../../support/fake-clock';

describe('gateway cores', () => {
  it("maps every gRPC code as Google's API guidelines do", () => {
    const expected: Record<string, number> = {
      OK: 200, CANCELLED: 499, UNKNOWN: 500, INVALID_ARGUMENT: 400, DEADLINE_EXCEEDED: 504, NOT_FOUND: 404, ALREADY_EXISTS: 409,
      PERMISSION_DENIED: 403, RESOURCE_EXHAUSTED: 429, FAILED_PRECONDITION: 400, ABORTED: 409, OUT_OF_RANGE: 400, UNIMPLEMENTED: 501,
      INTERNAL: 500, UNAVAILABLE: 503, DATA_LOSS: 500, UNAUTHENTICATED: 401,
    };
    for (const [name, http] of Object.entries(expected)) assert.equal(HTTP_STATUS[status[name as keyof typeof status] as status], http, name);
    assert.equal(Object.keys(HTTP_STATUS).length, 17);
  });

  it('answers keel errors with their reason, and anything without a code as UNKNOWN without its message', () => {
    assert.deepEqual(errorResponse(keelError('circuit_open', 'circuit open for basis')), {
      httpStatus: 503, body: { code: 14, status: 'UNAVAILABLE', message: 'circuit open for basis', reason: 'circuit_open' } });
    assert.deepEqual(errorResponse(keelError('rate_limited', 'slow down')).httpStatus, 429);
    for (const thrown of [new Error('secret path /etc/x'), undefined, null, 'text', { code: 99 }]) {
      const logged: unknown[] = [];
      const { httpStatus, body } = errorResponse(thrown, (id, err) => logged.push(id, err));
      assert.match(String(body.errorId), /^[0-9a-f]{12}$/);
      assert.deepEqual({ httpStatus, body }, { httpStatus: 500, body: { code: 2, status: 'UNKNOWN', message: `the gateway failed to handle the request; error id ${body.errorId}`, errorId: body.errorId } });
      assert.deepEqual(logged, [body.errorId, thrown], 'the detail goes to the log under the same id');
    }
  });

  it('routes: /rpc, three path segments, 404 otherwise, 405 for other verbs', () => {
    assert.deepEqual(matchRoute('POST', '/rpc?x=1'), { kind: 'rpc' });
    assert.deepEqual(matchRoute('POST', '/go.micro.srv.greeter/Say/Hello'), { kind: 'path', service: 'go.micro.srv.greeter', endpoint: 'Say.Hello' });
    assert.deepEqual(matchRoute('POST', '/basis/keel.basis.Basis/Hello'), { kind: 'path', service: 'basis', endpoint: 'keel.basis.Basis.Hello' });
    for (const path of ['/', '/basis', '/basis/Basis', '/a/b/c/d', '//b/c', '/a/b/']) {
      assert.throws(() => matchRoute('POST', path), (e: { httpStatus: number }) => e.httpStatus === 404, path);
    }
    assert.throws(() => matchRoute('GET', '/rpc'), (e: { httpStatus: number }) => e.httpStatus === 405);
    assert.throws(() => matchRoute('POST', '/%zz/B/C'), (e: { httpStatus: number }) => e.httpStatus === 400);
  });

  it("reads /rpc bodies as Micro API does, and refuses wrong types with 400", () => {
    const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));
    assert.deepEqual(rpcTarget(json({ service: 's', endpoint: 'A.B' }), 'application/json'), { service: 's', endpoint: 'A.B', request: {} });
    assert.deepEqual(rpcTarget(json({ service: 's', endpoint: '', method: 'A.B', request: '[1]' }), undefined), { service: 's', endpoint: 'A.B', request: [1] });
    assert.deepEqual(rpcTarget(Buffer.from('service=s&method=A.B'), 'application/x-www-form-urlencoded; charset=utf-8'), { service: 's', endpoint: 'A.B', request: {} });
    for (const bad of [{ service: 1, endpoint: 'A.B' }, { service: 's' }, { service: 's', endpoint: 'A.B', request: 5 }, { service: 's', endpoint: 'A.B', request: '{' }, [1], 'x']) {
      assert.throws(() => rpcTarget(json(bad), 'application/json'), (e: { httpStatus: number }) => e.httpStatus === 400, JSON.stringify(bad));
    }
    assert.throws(() => rpcTarget(Buffer.from('--x'), 'multipart/form-data; boundary=x'), (e: { httpStatus: number }) => e.httpStatus === 415);
  });

  it(`refuses JSON nested deeper than ${MAX_JSON_DEPTH} before parsing it, brackets inside strings aside`, () => {
    assert.deepEqual(parseJson(`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`, 'x') !== undefined, true);
    assert.throws(() => parseJson('['.repeat(MAX_JSON_DEPTH + 1), 'body'), /nested deeper/);
    assert.deepEqual(parseJson(JSON.stringify({ s: '['.repeat(1000) + '"\\' }), 'x'), { s: '['.repeat(1000) + '"\\' });
  });

  it('forwards Grpc-Metadata-* and the allow-listed headers, never hop-by-hop, binary, grpc-* or illegal ones', () => {
    assert.deepEqual(metadataFrom({
      'grpc-metadata-tenant': 'acme', authorization: 'Bearer x', 'x-request-id': ['a', 'b'], cookie: 'c', connection: 'keep-alive',
      'grpc-metadata-connection': 'x', 'grpc-metadata-te': 'trailers', 'grpc-metadata-k-bin': 'AA', 'grpc-metadata-grpc-timeout': '1S',
      'grpc-metadata-bad': 'caf\u00e9', 'grpc-metadata-UPPER': 'no', host: 'h', traceparent: 't',
    }), { tenant: 'acme', authorization: 'Bearer x', 'x-request-id': ['a', 'b'] });
  });

  it('keeps per-endpoint percentiles and error rates over a rolling window, bounded in endpoints', () => {
    const clock = new FakeClock();
    const stats = new RollingStats(clock, 1000, 100, 2);
    for (let i = 1; i <= 100; i++) stats.record('basis', 'Basis.Hello', i, i % 10 !== 0);
    let [hello] = stats.snapshot().endpoints;
    const { series, ...figures } = hello!;
    assert.deepEqual(figures, { service: 'basis', endpoint: 'Basis.Hello', requests: 100, errors: 10, errorRate: 0.1, p50Ms: 50, p90Ms: 90, p99Ms: 99, maxMs: 100 });
    // The same calls in the sparkline's series: all in the newest 5 s bucket.
    assert.deepEqual([series.calls.at(-1), series.errors.at(-1), series.calls.slice(0, -1).every((c) => c === 0)], [100, 10, true]);
    clock.advance(600);
    for (let i = 0; i < 50; i++) stats.record('basis', 'Basis.Hello', 1000, true); // the ring keeps the last 100: 50 old, 50 new
    clock.advance(600); // the old ones leave the window
    [hello] = stats.snapshot().endpoints;
    assert.equal(hello?.requests, 50);
    assert.equal(hello?.errors, 0);
    assert.equal(hello?.p50Ms, 1000);
    stats.record('a', 'A.A', 1, true);
    clock.advance(1);
    stats.record('b', 'B.B', 1, true); // a third endpoint: the one idle longest (basis) goes
    assert.deepEqual(stats.snapshot().endpoints.map((e) => e.service).sort(), ['a', 'b']);
  });
});
