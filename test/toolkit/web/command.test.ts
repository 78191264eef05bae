import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localRegistry } from '../../../src/index';
import { UsageError, type Io } from '../../../src/toolkit/cli/command';
import { web } from '../../../src/toolkit/cli/commands/web';
import { COMMON_FLAGS, parseFlags } from '../../../src/toolkit/cli/flags';
import { eventually, startBasis } from '../../support/basis';

function io(signal: AbortSignal): Io & { out: () => string } {
  const stdout = new PassThrough();
  let text = '';
  stdout.on('data', (c: Buffer) => (text += c.toString()));
  return { stdout, stderr: new PassThrough(), stdin: new PassThrough(), env: {}, signal, out: () => text };
}
const args = (...argv: string[]) => parseFlags(argv, [...COMMON_FLAGS, ...web.flags]);

describe('keel web (the command)', () => {
  it('serves the dashboard on --address for the --registry until its signal aborts, then exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-web-')); // a local registry the command and this test share
    const registry = localRegistry({ dir });
    const s = await startBasis(registry, { logger: false });
    const ac = new AbortController();
    const out = io(ac.signal);
    const running = web.run(args('--registry', 'local', '--registry_address', dir, '--address', '127.0.0.1:0', '--rate', '50', '--json'), out);
    try {
      await eventually(() => out.out().includes('\n'), 'the first line');
      const { url, registry: kind } = JSON.parse(out.out()) as { url: string; registry: string };
      assert.equal(kind, 'local');
      await eventually(async () => (await (await fetch(url)).text()).includes(`data-node="${s.id}"`), 'the node on the page', 3000);
      const res = await fetch(new URL('rpc', url), { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ service: 'basis', endpoint: 'Basis.Hello', request: { name: 'cli' } }) });
      assert.deepEqual(await res.json(), { msg: `Hello cli from ${s.id}` });
      assert.match(await (await fetch(url)).text(), /<dt>admitted<\/dt><dd>1<\/dd>/, 'the --rate limiter is the one shown');
    } finally {
      ac.abort();
      assert.equal(await running, 0);
      await s.server.stop();
      await registry.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses arguments and bad numbers as usage errors', async () => {
    const signal = AbortSignal.abort();
    await assert.rejects(web.run(args('extra'), io(signal)), UsageError);
    await assert.rejects(web.run(args('--rate', 'fast'), io(signal)), (e: Error) => e instanceof UsageError && /--rate/.test(e.message));
    await assert.rejects(web.run(args('--timeout', '-1'), io(signal)), /--timeout/);
  });
});
