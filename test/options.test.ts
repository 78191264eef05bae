import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boolean, func, integer, numberIn, oneOf, optionalFunction, withMethod } from '../src/options';

// The one helper every factory validates its options with: each accepts what it names and returns it, and
// refuses everything else with the error class and a message that names the option.
describe('option validation', () => {
  const refuses = (fn: () => unknown, name: 'RangeError' | 'TypeError', message: RegExp): void => {
    assert.throws(fn, (err: unknown) => {
      assert.equal((err as Error).name, name);
      assert.match((err as Error).message, message);
      return true;
    });
  };

  it('integer: from min, up to max, Infinity only when allowed', () => {
    assert.equal(integer(1, 'x: n', 1), 1);
    assert.equal(integer(0, 'x: n', 0), 0);
    assert.equal(integer(65535, 'x: port', 1, { max: 65535 }), 65535);
    assert.equal(integer(Infinity, 'x: n', 1, { allowInfinity: true }), Infinity);
    refuses(() => integer(0, 'x: n', 1), 'RangeError', /^x: n must be an integer >= 1, got 0$/);
    refuses(() => integer(1.5, 'x: n', 1), 'RangeError', /x: n must be an integer >= 1, got 1\.5/);
    refuses(() => integer('3', 'x: n', 1), 'RangeError', /x: n must be an integer >= 1, got "3"/);
    refuses(() => integer(Infinity, 'x: n', 1), 'RangeError', /x: n/);
    refuses(() => integer(NaN, 'x: n', 1), 'RangeError', /x: n/);
    refuses(() => integer(65536, 'x: port', 1, { max: 65535 }), 'RangeError', /^x: port must be an integer from 1 to 65535, got 65536$/);
  });

  it('numberIn: finite, within [min, max] or (min, max]', () => {
    assert.equal(numberIn(0.5, 'x: ratio', 0, { max: 1 }), 0.5);
    assert.equal(numberIn(100, 'x: pct', 0, { max: 100, minExclusive: true }), 100);
    assert.equal(numberIn(1e9, 'x: rate', 0, { minExclusive: true }), 1e9);
    refuses(() => numberIn(0, 'x: pct', 0, { max: 100, minExclusive: true }), 'RangeError', /^x: pct must be in \(0, 100\], got 0$/);
    refuses(() => numberIn(1.1, 'x: ratio', 0, { max: 1 }), 'RangeError', /^x: ratio must be in \[0, 1\], got 1\.1$/);
    refuses(() => numberIn(Infinity, 'x: k', 1), 'RangeError', /^x: k must be a finite number >= 1, got Infinity$/);
    refuses(() => numberIn(0, 'x: rate', 0, { minExclusive: true }), 'RangeError', /^x: rate must be a finite number > 0/);
    refuses(() => numberIn(NaN, 'x: k', 1), 'RangeError', /x: k/);
    refuses(() => numberIn('2', 'x: k', 1), 'RangeError', /x: k .*got "2"/);
  });

  it('boolean, func, optionalFunction, oneOf, withMethod', () => {
    assert.equal(boolean(false, 'x: wait'), false);
    refuses(() => boolean('yes', 'x: wait'), 'TypeError', /^x: wait must be a boolean, got "yes"$/);
    const f = (): number => 1;
    assert.equal(func(f, 'x: onError'), f);
    refuses(() => func(1 as never, 'x: onError'), 'TypeError', /^x: onError must be a function, got 1$/);
    assert.equal(optionalFunction(undefined, 'x: onRetry'), undefined);
    refuses(() => optionalFunction(null as never, 'x: onRetry'), 'TypeError', /x: onRetry must be a function, got null/);
    assert.equal(oneOf('node', 'x: scope', ['endpoint', 'node']), 'node');
    refuses(() => oneOf('host', 'x: scope', ['endpoint', 'node']), 'RangeError', /^x: scope must be 'endpoint' or 'node', got "host"$/);
    refuses(() => oneOf('x', 'x: mode', ['a', 'b', 'c']), 'RangeError', /^x: mode must be 'a', 'b' or 'c', got "x"$/);
    const clock = { now: () => 0 };
    assert.equal(withMethod(clock, 'x: clock', 'now'), clock);
    refuses(() => withMethod({}, 'x: clock', 'now'), 'TypeError', /^x: clock must have a now\(\) method, got object$/);
    refuses(() => withMethod(undefined, 'x: clock', 'now'), 'TypeError', /x: clock must have a now\(\) method, got undefined/);
  });
});
