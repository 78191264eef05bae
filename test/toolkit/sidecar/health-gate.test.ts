import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HealthGate } from '../../../src/toolkit/sidecar/health-gate';

// Each row: failAfter, recoverAfter, the checks' outcomes (+ passed, - failed), and the action after each (. none, R register, D deregister).
const CASES: [number, number, string, string, string][] = [
  [2, 2, '+', 'R', 'the first passed check registers at once: starting is not recovering'],
  [2, 2, '---+', '...R', 'an app that is not up yet is registered when it first answers'],
  [2, 2, '+-+-+', 'R....', 'single failures never deregister with failAfter 2'],
  [2, 2, '+--', 'R.D', 'two failures in a row deregister'],
  [2, 2, '+--+-++', 'R.D...R', 'recovery needs two passes in a row; a failure restarts the count'],
  [1, 1, '+-+-', 'RDRD', 'failAfter 1, recoverAfter 1 follow every check'],
  [3, 1, '+--+---+', 'R.....DR', 'a pass resets the failure streak'],
  [2, 3, '+----+++', 'R.D....R', 'extra failures while down change nothing'],
];

describe('HealthGate: when a checked app is registered and deregistered', () => {
  for (const [failAfter, recoverAfter, checks, expected, why] of CASES) {
    it(`${failAfter}/${recoverAfter} ${checks} → ${expected}: ${why}`, () => {
      const gate = new HealthGate(failAfter, recoverAfter);
      const actions = [...checks].map((c) => ({ register: 'R', deregister: 'D', none: '.' })[gate.record(c === '+') ?? 'none']).join('');
      assert.equal(actions, expected);
      assert.equal(gate.healthy, expected.replace(/\./g, '').endsWith('R'));
    });
  }
});
