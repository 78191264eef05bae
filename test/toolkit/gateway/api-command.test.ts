import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, describe, it } from 'node:test';
import { localRegistry } from '../../../src/index';
import { api } from '../../../src/toolkit/cli/commands/api';
import { UsageError, type Io } from '../../../src/toolkit/cli/command';
import { COMMON_FLAGS, parseFlags } from '../../../src/toolkit/cli/flags';
import { startBasis } from '../../support/basis';
import { post } from './support';

const dir = mkdtempSync(join(tmpdir(), 'keel-api-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function io(signal: AbortSignal): Io & { out: () => string } {
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (d) => (out += String(d)));
  return { stdout, stderr: new PassThrough(), stdin: new PassThrough(), env: {}, signal, out: () => out };
}

describe('keel api', () => {
  it('serves the gateway on --address until its signal aborts, in front of the --registry services', async () => {
    const registry = localRegistry({ dir });
    const basis = await startBasis(registry);
    const stop = new AbortController();
    const streams = io(stop.signal);
    const args = parseFlags(['--address', '127.0.0.1:0', '--registry', 'local', '--registry_address', dir, '--json'], [...COMMON_FLAGS, ...api.flags]);
    const running = api.run(args, streams);
    try {
      const until = Date.now() + 5000;
      while (!streams.out().includes('\n') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      const { address } = JSON.parse(streams.out()) as { address: string };
      assert.match(address, /^127\.0\.0\.1:\d+$/);
      const r = await post(`http://${address}/rpc`, { service: 'basis', endpoint: 'Basis.Hello', request: { name: 'cli' } });
      assert.equal(r.status, 200, r.text);
      assert.match(r.json.msg, /^Hello cli from basis-/);
    } finally {
      stop.abort();
      assert.equal(await running, 0);
      await basis.server.stop();
      await registry.close();
    }
  });

  it('refuses bad flags with a usage error naming them', async () => {
    const signal = AbortSignal.abort();
    for (const argv of [['--address', 'nonsense'], ['--timeout', '-5'], ['--rate', 'fast'], ['--registry', 'zookeeper'], ['extra']]) {
      const args = parseFlags(argv, [...COMMON_FLAGS, ...api.flags]);
      await assert.rejects(api.run(args, io(signal)), (err: Error) => err instanceof UsageError && err.message.length > 0, argv.join(' '));
    }
  });
});
