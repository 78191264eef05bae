import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { eventually } from '../support/basis';
import { randomUUID } from 'node:crypto';
import { processesWithEnv } from '../support/processes';

const demo = join(__dirname, '..', '..', 'examples', 'basis', 'demo.js');

interface Run {
  done: Promise<{ code: number | null; out: string }>;
  pid: number;
  out: () => string;
  /** Processes of this run still alive: every process it started carries its tag in the environment. */
  left: () => number[];
}

function run(): Run {
  const tag = `KEEL_TEST_TAG=${randomUUID()}`;
  const env = { ...process.env, MICRO_REGISTRY: '', MICRO_REGISTRY_ADDRESS: '', KEEL_TEST_TAG: tag.slice('KEEL_TEST_TAG='.length) };
  const child = spawn(process.execPath, [demo], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (out += d));
  const done = new Promise<{ code: number | null; out: string }>((resolve) => child.once('exit', (code) => resolve({ code, out })));
  return { done, pid: child.pid as number, out: () => out, left: () => processesWithEnv(tag) };
}

describe('the basis demo (npm start)', () => {
  it('gets replies from several nodes and exits 0, leaving no process', async () => {
    const demoRun = run();
    const { code, out } = await demoRun.done;
    assert.equal(code, 0, out);
    const replies = out.split('\n').filter((l) => /^\[\s*\d+\] Hello John from basis-/.test(l));
    assert.equal(replies.length, 12, out);
    const nodes = new Set(replies.map((l) => /from (\S+)/.exec(l)?.[1]));
    assert.ok(nodes.size >= 2, `replies came from ${nodes.size} node(s)`);
    assert.deepEqual(demoRun.left(), []);
    // Each wrapper acted: the killed node's circuit opened, after which it got no more calls; the rate held.
    assert.match(out, /kills one basis server/);
    assert.match(out, /circuit of basis-\S+ \(127\.0\.0\.1:\d+\): closed → open/);
    const opened = out.split('\n').findIndex((l) => l.includes('closed → open'));
    assert.ok(out.split('\n').slice(opened).every((l) => !l.includes('error')), 'calls failed after the circuit opened');
    const rate = Number(/= ([\d.]+)\/s \(rate limit 10\/s\)/.exec(out)?.[1]);
    assert.ok(rate > 5 && rate <= 11.5, `rate ${rate}/s`);
    assert.match(out, /trace [0-9a-f]{8}…/);
  });

  const moments: Array<[string, (r: Run) => boolean]> = [
    ['while servers start', (r) => r.left().length >= 2 && !r.out().includes('calling Hello')],
    ['during the calls', (r) => r.out().includes('[ 1]')],
  ];
  for (const [when, reached] of moments) {
    it(`leaves no process behind on Ctrl-C ${when}`, async () => {
      const r = run();
      await eventually(() => reached(r), `the demo to be ${when}`, 15_000);
      assert.ok(r.left().length >= 2, 'the leftover check sees the running demo and its servers');
      process.kill(r.pid, 'SIGINT');
      const { code } = await r.done;
      assert.ok(code === 130 || code === 0, `exit code ${code}`);
      await eventually(() => r.left().length === 0, 'every process of the demo to exit', 15_000);
    });
  }
});
