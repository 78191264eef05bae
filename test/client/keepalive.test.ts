import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { CLIENT_KEEPALIVE, createClient, localRegistry } from '../../src/index';
import { Items } from '../support/items';

describe('client keepalive', () => {
  it('a call on a connection whose server froze fails UNAVAILABLE once a ping goes unanswered, not at its deadline', { timeout: 30_000 }, async () => {
    // The defaults ping every 5 min; this test shortens them through channelOptions, which override them.
    assert.equal(CLIENT_KEEPALIVE['grpc.keepalive_time_ms'], 300_000);
    const dir = mkdtempSync(join(tmpdir(), 'keel-keepalive-'));
    const child = fork(join(__dirname, '..', 'fixtures', 'signal-server.js'), [dir], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    try {
      await new Promise((resolve, reject) => {
        child.once('message', resolve);
        child.once('exit', () => reject(new Error('the fixture exited early')));
      });
      const registry = localRegistry({ dir });
      const client = createClient(Items, 'items', {
        registry,
        channelOptions: { 'grpc.keepalive_time_ms': 300, 'grpc.keepalive_timeout_ms': 300 },
      }) as unknown as { GetItem(r: object, o?: object): Promise<unknown>; close(): void };
      await client.GetItem({ id: 1 }); // connected
      const slow = client.GetItem({ id: 100 }, { timeoutMs: 15_000 }).then(() => undefined, (err: unknown) => err as { code: number });
      await new Promise((r) => setTimeout(r, 100));
      const t0 = Date.now();
      child.kill('SIGSTOP'); // the host "vanished": no FIN, no RST, no answers
      const err = await slow;
      const took = Date.now() - t0;
      client.close();
      await registry.close();
      assert.equal(err?.code, status.UNAVAILABLE, String(err));
      assert.ok(took < 5000, `detected in ${took} ms, well before the 15 s deadline`);
    } finally {
      child.kill('SIGKILL');
      child.kill('SIGCONT');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
