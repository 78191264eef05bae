// Issue 19's scenarios (bench/scenarios/) in the chaos suite, against the stack named RECOMMENDED in
// bench/scenarios/stacks.ts (KEEL_STACK=<name> tries another). `npm test` runs the short variant with loose
// assertions that hold today and check the apparatus itself (the faults happen, the worker pool caps the work,
// the client's attribution matches the servers' counts). KEEL_CHAOS=full runs the issue's durations and asserts
// the issue's figures (bench/scenarios/targets.ts): those tests are marked [issue 19 target] and are EXPECTED TO
// FAIL until issue 19's wrappers land and RECOMMENDED names the stack that uses them.
// One scenario alone: KEEL_SCENARIO=overload (comma-separated names; see bench/scenarios/scenarios.ts).
import assert from 'node:assert/strict';
import { loadavg } from 'node:os';
import { before, describe, it } from 'node:test';
import { starved, type Figures } from '../../bench/scenarios/figures';
import { runSuite, type SuiteResult } from '../../bench/scenarios/run';
import { POOL, SCENARIOS, scenarioNamed, type Scenario } from '../../bench/scenarios/scenarios';
import { RECOMMENDED, stackNamed } from '../../bench/scenarios/stacks';
import { judge, TARGETS } from '../../bench/scenarios/targets';

const FULL = process.env.KEEL_CHAOS === 'full';
const STACK = process.env.KEEL_STACK === undefined || process.env.KEEL_STACK === 'recommended' ? RECOMMENDED : process.env.KEEL_STACK;
stackNamed(STACK); // an unknown name fails here, loudly
const chosen: Scenario[] = process.env.KEEL_SCENARIO ? process.env.KEEL_SCENARIO.split(',').map(scenarioNamed) : [...SCENARIOS];
if (chosen.some((s) => s.name === 'degraded-node') && !chosen.some((s) => s.name === 'all-fast')) chosen.push(scenarioNamed('all-fast'));
const ran = (name: string): boolean => chosen.some((s) => s.name === name);

const load = (): string => loadavg().map((l) => l.toFixed(1)).join(' ');
const report = (line: string): void => console.log(`# chaos ${FULL ? 'full' : 'short'}: resilience, stack ${STACK}: ${line} (load ${load()})`);
/**
 * Success rates depend on the client keeping its schedule: a client starved of CPU (a loaded machine) sends its calls
 * late and they miss their deadline whatever the stack does. Such a run's success rate is not judged, and says so.
 */
function judgedUnlessStarved(f: Figures, ok: boolean, message: string): void {
  if (starved(f)) report(`${f.scenario}: NOT JUDGED (${message}): the client was starved of CPU, its calls went out ${f.sendLagMs.p99} ms late at p99`);
  else assert.ok(ok, message);
}
const f1 = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(1));

describe(`issue 19's scenarios (${FULL ? 'full' : 'short'}), stack ${STACK}: ${chosen.map((s) => s.name).join(', ')}`, () => {
  let result: SuiteResult | undefined;
  const figures = (scenario: string): Figures => {
    const f = result?.figures.find((x) => x.scenario === scenario);
    assert.ok(f !== undefined && f.skipped === undefined, `no figures for ${scenario}${f?.skipped ? `: ${f.skipped}` : ''}`);
    return f;
  };

  before(async () => {
    result = await runSuite({ mode: FULL ? 'full' : 'short', scenarios: chosen, stacks: [STACK] });
    if (result.capacityPerS !== undefined) report(`overload fleet capacity ${result.capacityPerS.toFixed(0)} calls/s (at most ${POOL.servers * POOL.workers * (1000 / POOL.serviceMs)})`);
    for (const f of result.figures) {
      const o = f.overload;
      report(`${f.scenario}: ${f.calls} calls, ${f1(f.successPct)} % ok in deadline, p50 ${f1(f.p50Ms)} ms, p99 ${f1(f.p99Ms)} ms (ok ${f1(f.okP99Ms)} ms), ` +
        `${f.attemptsPerCall.toFixed(2)} attempts/call${f.badSharePct !== undefined ? `, bad node ${f1(f.badSharePct)} % of attempts (servers: ${f1(f.badShareServerPct)} %)` : ''}` +
        `${o ? `; goodput ${f1(o.goodputPct)} % of capacity, server work ${o.throughputPerS.toFixed(0)}/s, ${f1(o.goodbyeWorkPct)} % for callers gone, ok p99 ×${f1(o.okP99OverService)} service, back ${o.recoveryMs === undefined ? 'never' : `in ${o.recoveryMs} ms`}` : ''}` +
        `; ${f.rst} RST_STREAM 2; failures ${JSON.stringify(f.errors)}; send lag p99 ${f1(f.sendLagMs.p99)} ms`);
    }
  }, { timeout: FULL ? 540_000 : 180_000 });

  // The apparatus: these hold whatever the stack, today and after issue 19.
  it('the client\'s attempts and the servers\' arrivals agree (attribution), and every due call was made', () => {
    assert.ok(result !== undefined);
    for (const f of result.figures.filter((x) => x.skipped === undefined)) {
      const attempts = f.attemptsPerCall * f.calls;
      assert.ok(Math.abs(attempts - f.servers.arrived) <= Math.max(20, 0.1 * attempts), `${f.scenario}: ${attempts} attempts, the servers counted ${f.servers.arrived}`);
      if (f.badSharePct !== undefined && f.badShareServerPct !== undefined) {
        assert.ok(Math.abs(f.badSharePct - f.badShareServerPct) <= 5, `${f.scenario}: bad node ${f.badSharePct} % of attempts, ${f.badShareServerPct} % by the servers`);
      }
      assert.ok(f.saturated === 0, `${f.scenario}: ${f.saturated} calls not sent (client saturated)`);
    }
  });

  if (ran('slow-node')) it('slow node: the fault happened (what reached the node in its window was served slowly) and most calls succeeded', () => {
    const f = figures('slow-node');
    const focus = f.badFocus;
    assert.ok(focus !== undefined, 'no counts for the slow window');
    // A balancer that weighs latency may send the node nothing in a 2 s window (one slow sample from the warm-up
    // keeps it away until its estimate decays): then the fault had nothing to show on, and the report says so.
    if (focus.started === 0) report('slow node: it got no call in its slow window, so the fault was not exercised');
    // 100 ms buckets: the window's last one may hold a few calls begun just after it, served fast.
    else assert.ok(focus.slowStarted > 0, `the slow node began ${focus.started} calls in its slow window and served none of them slowly`);
    judgedUnlessStarved(f, f.successPct >= 80, `slow node: ${f.successPct} % ok`);
  });
  if (ran('flaky-node')) it('flaky node: about 30 % of its work failed on purpose (warm-up included), and most calls succeeded', () => {
    const f = figures('flaky-node');
    // Warm-up included: a stack may eject the node early and send it nothing in the measured run.
    const served = f.badWithWarmUp;
    const rate = served.failedOnPurpose / served.completed;
    // A stack that steers away from a failing node (leastLoaded: a failure while the client met the fleet can keep
    // it away for the whole short run) may leave it too few calls for its failures to say anything: 20 calls make
    // "none failed" a 0.08 % chance at 30 %, 50 calls a rate worth judging.
    if (served.completed >= 20) assert.ok(served.failedOnPurpose >= 1, `the flaky node failed none of its ${served.completed} calls`);
    if (served.completed >= 50) assert.ok(rate >= 0.1 && rate <= 0.5, `the flaky node failed ${(100 * rate).toFixed(1)} % of ${served.completed}`);
    else report(`flaky node: ${served.completed} calls reached it after the client met the fleet, ${served.failedOnPurpose} failed on purpose (judged from 20 and 50 calls)`);
    judgedUnlessStarved(f, f.successPct >= 80, `flaky node: ${f.successPct} % ok`);
  });
  if (ran('degraded-node')) it('degraded node: every call succeeded and the 12 ms node took part', () => {
    const f = figures('degraded-node');
    judgedUnlessStarved(f, f.successPct >= 90, `degraded node: ${f.successPct} % ok`);
    // A balancer that weighs latency may send the 12 ms node nothing in a 2 s run: that is its job, not a fault.
    if (f.badServer.completed === 0) report('degraded node: it got no call in the measured run');
  });
  if (ran('overload')) it('overload: the pool caps the work at about capacity, the measured capacity is plausible, and the counts add up', () => {
    assert.ok(result?.capacityPerS !== undefined);
    const max = POOL.servers * POOL.workers * (1000 / POOL.serviceMs);
    assert.ok(result.capacityPerS > 0.2 * max && result.capacityPerS <= 1.1 * max, `capacity ${result.capacityPerS}/s against at most ${max}/s`);
    const f = figures('overload');
    const o = f.overload;
    assert.ok(o !== undefined);
    assert.ok(o.throughputPerS <= 1.1 * max, `the servers finished ${o.throughputPerS}/s, more than ${max}/s: the worker pool does not hold`);
    assert.ok(o.offeredPerS > 1.3 * result.capacityPerS, `offered ${o.offeredPerS}/s`);
    assert.ok(o.goodputPct > 0 && o.goodbyeWorkPct >= 0 && o.goodbyeWorkPct <= 100);
    // Counted by when each happened: calls that arrived in the warm-up may end in the run, hence the slack.
    const s = f.servers;
    assert.ok(s.completedForGone <= s.completed && s.completed + s.leftQueue <= s.arrived + 50, JSON.stringify(s));
  });

  // Issue 19's figures: FULL variant only. Expected to fail until the new wrappers land (see the file's head).
  if (FULL) {
    for (const t of TARGETS.filter((x) => ran(x.scenario))) {
      it(`[issue 19 target] ${t.scenario}: ${t.target}`, () => {
        assert.ok(result !== undefined);
        const v = judge(result.figures, STACK).find((x) => x.scenario === t.scenario && x.target === t.target);
        assert.ok(v !== undefined);
        const f = result.figures.find((x) => x.scenario === t.scenario);
        const note = f !== undefined && starved(f) ? ` (the client was starved of CPU: calls sent ${f.sendLagMs.p99} ms late at p99; a loaded machine)` : '';
        assert.equal(v.verdict, 'met', `${t.scenario}: ${t.target}: measured ${v.measured} with stack ${STACK}${note}`);
      });
    }
  }
});
