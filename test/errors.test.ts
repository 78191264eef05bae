import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metadata, status } from '@grpc/grpc-js';
import { fromServiceError, isKeelError, KeelError, type StatusError } from '../src/errors';
import { toStatus } from '../src/server/to-status';

const serviceError = (code: status, details: string, md: Record<string, string> = {}): StatusError => {
  const metadata = new Metadata();
  for (const [k, v] of Object.entries(md)) metadata.set(k, v);
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), { code, details, metadata });
};

describe('errors', () => {
  it('KeelError is shaped like a grpc-js ServiceError', () => {
    const err = new KeelError(status.UNAVAILABLE, 'no_nodes', 'nothing here');
    assert.equal(err.code, status.UNAVAILABLE);
    assert.equal(err.details, 'nothing here');
    assert.ok(err.metadata instanceof Metadata);
    assert.equal(err.message, '14 UNAVAILABLE: nothing here');
    assert.ok(err instanceof Error);
    assert.ok(isKeelError(err));
    assert.ok(isKeelError(err, 'no_nodes'));
    assert.equal(isKeelError(err, 'deadline'), false);
    assert.equal(isKeelError(new Error('x')), false);
    assert.equal(isKeelError({ code: 14, reason: 'no_nodes' }), false);
  });

  const received: Array<[string, StatusError, string | undefined]> = [
    ['a keel-reason trailer', serviceError(status.RESOURCE_EXHAUSTED, 'slow', { 'keel-reason': 'rate_limited' }), 'rate_limited'],
    ['an unknown keel-reason', serviceError(status.INTERNAL, 'x', { 'keel-reason': 'made_up' }), undefined],
    ['a missed deadline', serviceError(status.DEADLINE_EXCEEDED, 'Deadline exceeded'), 'deadline'],
    ['an ordinary error', serviceError(status.NOT_FOUND, 'no such user'), undefined],
  ];
  for (const [what, input, reason] of received) {
    it(`client side: ${what} becomes ${reason ?? 'the error itself'}`, () => {
      const out = fromServiceError(input);
      assert.equal(out.code, input.code);
      assert.equal(out.details, input.details);
      if (reason === undefined) assert.equal(out, input);
      else assert.ok(isKeelError(out, reason as never));
    });
  }

  it('a connection Node destroyed on a GOAWAY with an error code is UNAVAILABLE, unless a server said those words', () => {
    const words = 'Received RST_STREAM with code 2 triggered by internal client error: Session closed with error code 2';
    const local = fromServiceError(serviceError(status.INTERNAL, words));
    assert.equal(local.code, status.UNAVAILABLE);
    assert.equal(local.details, words);
    assert.match(local.message, /^14 UNAVAILABLE: Received RST_STREAM/);
    assert.equal(fromServiceError(serviceError(status.INTERNAL, words, { 'content-type': 'application/grpc' })).code, status.INTERNAL);
    assert.equal(fromServiceError(serviceError(status.INTERNAL, 'Received RST_STREAM with code 2 (Internal server error)')).code, status.INTERNAL);
  });

  const thrown: Array<[string, unknown, status, string, string | undefined]> = [
    ['a coded error', Object.assign(new Error('bad'), { code: status.INVALID_ARGUMENT }), status.INVALID_ARGUMENT, 'bad', undefined],
    ['a coded error with details', Object.assign(new Error('m'), { code: status.NOT_FOUND, details: 'd' }), status.NOT_FOUND, 'd', undefined],
    ['a KeelError', new KeelError(status.RESOURCE_EXHAUSTED, 'rate_limited', 'too fast'), status.RESOURCE_EXHAUSTED, 'too fast', 'rate_limited'],
    ['a plain Error', new TypeError('oops'), status.UNKNOWN, 'oops', undefined],
    ['a string', 'just text', status.UNKNOWN, 'just text', undefined],
    ['code OK', Object.assign(new Error('ok?'), { code: status.OK }), status.UNKNOWN, 'ok?', undefined],
    ['a system error code', Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), status.UNKNOWN, 'refused', undefined],
    ['an out-of-range code', Object.assign(new Error('weird'), { code: 99 }), status.UNKNOWN, 'weird', undefined],
  ];
  for (const [what, input, code, details, reason] of thrown) {
    it(`server side: ${what} is sent as ${status[code]}`, () => {
      const out = toStatus(input);
      assert.equal(out.code, code);
      assert.equal(out.details, details);
      assert.equal(out.metadata?.get('keel-reason')[0], reason);
    });
  }

  it('server side: forwards custom metadata but not transport keys', () => {
    const md = new Metadata();
    md.set('x-trace', 'abc');
    md.set('grpc-status', '5');
    md.set('content-type', 'application/grpc');
    const out = toStatus(Object.assign(new Error('x'), { code: status.NOT_FOUND, metadata: md }));
    assert.deepEqual(out.metadata?.toJSON(), { 'x-trace': ['abc'] });
  });
});
