import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metadata, status } from '@grpc/grpc-js';
import { Backoff, keelError, RetryBudget } from '../../src/index';
import { neverSent, pushback, retryable } from '../../src/retry/retryable';
import { IDEMPOTENT_CODES } from '../../src/retry/retryable';

const grpcError = (code: number, details: string, metadata = new Metadata()): Error =>
  Object.assign(new Error(details), { code, details, metadata });

describe('Backoff', () => {
  it('grows by the multiplier up to maxMs, jittered within its ceiling', () => {
    const high = new Backoff({ initialMs: 10, maxMs: 100 }, () => 0.999999);
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => Math.round(high.delayMs(n))), [10, 20, 40, 80, 100, 100]);
    const low = new Backoff({ initialMs: 10, maxMs: 100 }, () => 0);
    assert.equal(low.delayMs(3), 0, 'full jitter may retry at once');
    const equal = new Backoff({ initialMs: 10, maxMs: 100, jitter: 'equal' }, () => 0);
    assert.equal(equal.delayMs(3), 20, 'equal jitter waits at least half the ceiling');
  });

  it('rejects bad options, naming them', () => {
    assert.throws(() => new Backoff({ initialMs: 0 }), /initialMs/);
    assert.throws(() => new Backoff({ initialMs: 10, maxMs: 5 }), /maxMs/);
    assert.throws(() => new Backoff({ multiplier: 0.5 }), /multiplier/);
    assert.throws(() => new Backoff({ jitter: 'some' as never }), /jitter/);
  });
});

describe('RetryBudget', () => {
  it('allows ratio × calls + minPerSecond × window retries, and forgets what left the window', () => {
    const b = new RetryBudget({ ratio: 0.2, minPerSecond: 1, windowMs: 10_000 });
    let now = 0;
    for (let i = 0; i < 100; i++) b.deposit(now);
    let granted = 0;
    while (b.withdraw(now)) granted++;
    assert.equal(granted, 30, '20 % of 100 calls + 1/s × 10 s');
    now += 5_000;
    assert.equal(b.withdraw(now), false, 'still spent within the window');
    now += 6_000;
    assert.equal(b.withdraw(now), true, 'the window moved on: the reserve is back');
  });

  it('with minPerSecond 0 and no calls, no retry', () => {
    const b = new RetryBudget({ minPerSecond: 0 });
    assert.equal(b.withdraw(0), false);
    for (let i = 0; i < 5; i++) b.deposit(0);
    assert.equal(b.withdraw(0), true);
    assert.equal(b.withdraw(0), false);
  });

  it('rejects bad options', () => {
    assert.throws(() => new RetryBudget({ ratio: 2 }), /ratio/);
    assert.throws(() => new RetryBudget({ minPerSecond: -1 }), /minPerSecond/);
    assert.throws(() => new RetryBudget({ windowMs: 0 }), /windowMs/);
    assert.throws(() => new RetryBudget({ rate: 1 } as never), /unknown option/);
  });
});

function withContentType(): Metadata {
  const m = new Metadata();
  m.set('content-type', 'application/grpc+proto');
  return m;
}

describe('what is retried', () => {
  const cases: Array<[string, unknown, boolean, boolean]> = [
    // [what, error, retried for any method, retried for an idempotent one]
    ['no connection (refused)', grpcError(status.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1'), true, true],
    ['round_robin: no connection', grpcError(status.UNAVAILABLE, 'round_robin: No connection established. Last error: x'), true, true],
    ['a refused stream', grpcError(status.UNAVAILABLE, 'Stream refused by server'), true, true],
    ['the same words passed on by a server (its answer has a content-type)', grpcError(status.UNAVAILABLE, 'No connection established. Last error: x', withContentType()), false, true],
    ['a connection dropped mid-call', grpcError(status.UNAVAILABLE, 'Connection dropped'), false, true],
    ['UNAVAILABLE from a handler', grpcError(status.UNAVAILABLE, 'draining'), false, true],
    ['one attempt\'s deadline', keelError('deadline', 'x', undefined, 'remote'), false, true],
    ['a server limiter', keelError('rate_limited', 'x', undefined, 'remote'), false, true],
    ['INTERNAL', grpcError(status.INTERNAL, 'boom'), false, false],
    ['INVALID_ARGUMENT', grpcError(status.INVALID_ARGUMENT, 'bad'), false, false],
    ['a local rate_limited', keelError('rate_limited', 'x'), false, false],
    ['a local circuit_open', keelError('circuit_open', 'x'), false, false],
    ['a local no_nodes', keelError('no_nodes', 'x'), false, false],
    ['a local cancelled', keelError('cancelled', 'x'), false, false],
    ['a local deadline', keelError('deadline', 'x'), false, false],
    ['not a gRPC error', new Error('x'), false, false],
  ];
  for (const [what, err, any, idempotent] of cases) {
    it(`${what}: ${any ? 'always' : idempotent ? 'idempotent methods only' : 'never'}`, () => {
      assert.equal(retryable(err, false, IDEMPOTENT_CODES), any);
      assert.equal(retryable(err, true, IDEMPOTENT_CODES), idempotent);
      if (any) assert.equal(neverSent(err), true);
    });
  }

  it('reads grpc-retry-pushback-ms', () => {
    const with_ = (v?: string): Error => {
      const m = new Metadata();
      if (v !== undefined) m.set('grpc-retry-pushback-ms', v);
      return grpcError(status.UNAVAILABLE, 'x', m);
    };
    assert.equal(pushback(with_()), undefined);
    assert.equal(pushback(with_('250')), 250);
    assert.equal(pushback(with_('-1')), 'stop');
    assert.equal(pushback(with_('soon')), 'stop');
  });
});
