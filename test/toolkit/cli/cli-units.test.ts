import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { keelError, type ServiceNode } from '../../../src/index';
import { toolkitError } from '../../../src/toolkit/index';
import { UsageError, type Io } from '../../../src/toolkit/cli/command';
import { describeFailure, exitCodeOf } from '../../../src/toolkit/cli/exit-codes';
import { nodeChanges } from '../../../src/toolkit/cli/node-changes';
import { paint, table, visibleWidth } from '../../../src/toolkit/cli/output';
import { registryFromFlags } from '../../../src/toolkit/cli/registry-flags';

const n = (id: string, extra: Partial<ServiceNode> = {}): ServiceNode =>
  ({ id, name: 's', version: '1', address: '127.0.0.1:1', metadata: {}, ...extra });
const io = (isTTY: boolean, env: NodeJS.ProcessEnv = {}): Io =>
  ({ stdout: { isTTY, write: () => true } as never, stderr: process.stderr, stdin: process.stdin, env, signal: new AbortController().signal });

describe('keel CLI cores', () => {
  it('nodeChanges: present on the first list, then joined / left / changed by id', () => {
    const cases: Array<[ServiceNode[] | undefined, ServiceNode[], string[]]> = [
      [undefined, [n('a'), n('b')], ['present a', 'present b']],
      [undefined, [], []],
      [[n('a')], [n('a'), n('b')], ['joined b']],
      [[n('a'), n('b')], [n('b')], ['left a']],
      [[n('a')], [n('a', { address: '127.0.0.1:2' })], ['changed a']],
      [[n('a')], [n('a', { metadata: { k: 'v' } })], ['changed a']],
      [[n('a')], [n('a')], []],
      [[n('a')], [n('b')], ['joined b', 'left a']],
    ];
    for (const [before, after, expected] of cases) {
      assert.deepEqual(nodeChanges(before, after).map((c) => `${c.event} ${c.node.id}`), expected, JSON.stringify([before, after]));
    }
  });

  it('table: columns aligned by visible width, colour codes not counted', () => {
    const on = paint(io(true));
    assert.equal(on.on, true);
    const text = table(['A', 'BB'], [[on.cyan('x'), '1'], ['longer', '22']], on);
    const rows = text.trimEnd().split('\n').map((l) => l.replace(/\u001b\[[0-9;]*m/g, ''));
    assert.deepEqual(rows, ['A       BB', 'x       1', 'longer  22']);
    assert.equal(visibleWidth(on.red('abc')), 3);
    assert.equal(paint(io(true, { NO_COLOR: '1' })).on, false, 'NO_COLOR');
    assert.equal(paint(io(true, { NO_COLOR: '' })).on, true, 'an empty NO_COLOR is unset (no-color.org)');
    assert.equal(paint(io(false)).on, false, 'not a TTY');
    assert.equal(paint(io(false)).red('x'), 'x');
  });

  it('failures: one line and an exit code by kind', () => {
    const cases: Array<[unknown, number, string]> = [
      [new UsageError('--x is bad'), 2, 'keel: --x is bad'],
      [keelError('no_nodes', 'no nodes of x'), 4, 'ERROR UNAVAILABLE (no_nodes): no nodes of x'],
      [toolkitError('unknown_method', 'x has no method Y'), 4, 'ERROR UNIMPLEMENTED (unknown_method): x has no method Y'],
      [toolkitError('bad_request', 'request: no field'), 2, 'ERROR INVALID_ARGUMENT (bad_request): request: no field'],
      [toolkitError('no_descriptor', 'no reflection'), 1, 'ERROR FAILED_PRECONDITION (no_descriptor): no reflection'],
      [Object.assign(new Error('x'), { code: status.NOT_FOUND, details: 'no such\nitem' }), 1, 'ERROR NOT_FOUND: no such item'],
      [new Error('disk full'), 1, 'keel: disk full'],
    ];
    for (const [err, code, line] of cases) {
      assert.equal(exitCodeOf(err), code, line);
      assert.equal(describeFailure(err, false), `${line}\n`);
    }
    assert.match(describeFailure(new Error('boom'), true), /^keel: boom\nError: boom\n\s+at /);
  });

  it('registryFromFlags: flags over MICRO_REGISTRY / MICRO_REGISTRY_ADDRESS, errors naming their source', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keel-cli-flags-'));
    try {
      const fromEnv = registryFromFlags({}, { env: { MICRO_REGISTRY: 'memory' } });
      assert.equal(fromEnv.kind, 'memory');
      const fromFlag = registryFromFlags({ registry: 'local', registry_address: dir }, { env: { MICRO_REGISTRY: 'memory', MICRO_REGISTRY_ADDRESS: '/nonexistent' } });
      assert.equal(fromFlag.kind, 'local');
      assert.notEqual(registryFromFlags({}, { env: { MICRO_REGISTRY: 'memory' } }), fromEnv, 'each command gets its own registry (it closes it)');
      await Promise.all([fromEnv.close(), fromFlag.close()]);
      assert.throws(() => registryFromFlags({ registry: 'zk' }, { env: {} }), { name: 'UsageError', message: /^--registry must be one of/ });
      assert.throws(() => registryFromFlags({}, { env: { MICRO_REGISTRY: 'zk' } }), { name: 'UsageError', message: /^MICRO_REGISTRY must be one of/ });
      assert.throws(() => registryFromFlags({}, { env: { MICRO_REGISTRY: 'consul', MICRO_REGISTRY_ADDRESS: 'a:b:c' } }), { name: 'UsageError', message: /^MICRO_REGISTRY_ADDRESS: consulRegistry: address/ });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
