import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { consulRegistry, localRegistry, type Registry } from '../../../src/index';
import { eventually } from '../../support/basis';
import { startConsul } from '../../support/consul-agent';
import { toolOrSkip } from '../../support/external';
import { startPlainApp, type PlainApp } from './plain-app';

interface Proc {
  child: ChildProcess;
  out(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(argv: string[]): Proc {
  const child = spawn(process.execPath, [join(__dirname, 'run-command.js'), ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d));
  child.stderr?.on('data', (d: Buffer) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, out: () => out, exited };
}

const consulBinary = toolOrSkip('consul', 'sidecar process on Consul');

describe('keel sidecar as a process', () => {
  let dir: string;
  let registry: Registry;
  let app: PlainApp;
  const procs: Proc[] = [];
  const flags = (): string[] => ['--name', 'legacy', '--app', app.address, '--registry', 'local', '--registry_address', dir,
    '--interval', '100ms', '--register_ttl', '2s', '--register_interval', '500ms'];
  const ids = async (): Promise<string[]> => (await registry.getService('legacy')).map((n) => n.id);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keel-sidecar-proc-'));
    registry = localRegistry({ dir });
    app = await startPlainApp({ health: true });
  });
  after(async () => {
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await Promise.all(procs.map((p) => p.exited));
    app.kill();
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('SIGTERM deregisters the app and exits 0', async () => {
    const p = start(flags());
    procs.push(p);
    await eventually(async () => (await ids()).length === 1, 'registered', 10_000);
    p.child.kill('SIGTERM');
    assert.deepEqual(await p.exited, { code: 0, signal: null }, p.out());
    assert.deepEqual(await ids(), []);
    assert.match(p.out(), /stopped: legacy deregistered/);
  });

  it('a killed sidecar (SIGKILL: no goodbye) leaves a node in Consul that expires with its TTL', { skip: consulBinary === undefined && 'consul missing (KEEL_SKIP_E2E=1)' }, async (t) => {
    // Not on the local registry: it drops a node whose owner process is gone at once, TTL or not.
    const consul = await startConsul(consulBinary as string);
    const inConsul = consulRegistry({ address: consul.address, waitMs: 5000 });
    try {
      const p = start([...flags().slice(0, 4), '--registry', 'consul', '--registry_address', consul.address,
        '--interval', '100ms', '--register_ttl', '2s', '--register_interval', '500ms']);
      procs.push(p);
      const listed = async (): Promise<number> => (await inConsul.getService('legacy')).length;
      await eventually(async () => (await listed()) === 1, 'registered', 10_000);
      p.child.kill('SIGKILL');
      await p.exited;
      const t0 = Date.now();
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(await listed(), 1, 'still listed half way through the TTL');
      await eventually(async () => (await listed()) === 0, 'the node expires', 2000 + 2000);
      t.diagnostic(`Consul: node gone ${Date.now() - t0} ms after SIGKILL (TTL 2000 ms, last refresh up to 500 ms before)`);
    } finally {
      await inConsul.close();
      await consul.stop();
    }
  });

  it('a usage error exits 2 with one line naming the flag', async () => {
    const p = start(['--name', 'legacy', '--app', app.address, '--interval', 'soon', '--registry', 'memory']);
    procs.push(p);
    assert.deepEqual(await p.exited, { code: 2, signal: null });
    assert.equal(p.out(), 'keel sidecar: --interval must be a positive duration like 500ms, 5s or 1m, got "soon"\n');
  });
});
