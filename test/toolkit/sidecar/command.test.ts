import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { localRegistry, type Registry } from '../../../src/index';
import { UsageError, type Command } from '../../../src/toolkit/cli/command';
import { parseDuration, sidecar, sidecarCommand } from '../../../src/toolkit/cli/commands/sidecar';
import { COMMON_FLAGS, parseFlags } from '../../../src/toolkit/cli/flags';
import { eventually } from '../../support/basis';
import { startPlainApp, type PlainApp } from './plain-app';

interface Running {
  out(): string;
  err(): string;
  abort(): void;
  exit: Promise<number>;
}

/** Runs `keel sidecar <argv>` as main.ts does (flags parsed against the shared and the command's specs), until abort(). */
function run(argv: string[], command: Command = sidecar): Running {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d));
  stderr.on('data', (d: Buffer) => (err += d));
  const controller = new AbortController();
  const exit = (async () => command.run(parseFlags(argv, [...COMMON_FLAGS, ...command.flags]),
    { stdout, stderr, stdin: new PassThrough(), env: {}, signal: controller.signal }))();
  return { out: () => out, err: () => err, abort: () => controller.abort(), exit };
}

describe('keel sidecar (the command)', () => {
  let dir: string;
  let registry: Registry;
  let app: PlainApp;
  const ids = async (): Promise<string[]> => (await registry.getService('legacy')).map((n) => n.id);

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'keel-sidecar-cmd-'));
    registry = localRegistry({ dir });
    app = await startPlainApp({ health: true, reflection: true });
  });
  after(async () => {
    app.kill();
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers the app from the flags, says so in one line, and deregisters on the signal (exit 0)', async () => {
    const r = run(['--name', 'legacy', '--app', app.address, '--registry', 'local', '--registry_address', dir, '--interval', '100ms',
      '--metadata', 'team=legacy', '--register_ttl', '3s', '--register_interval', '1s']);
    await eventually(() => r.out().includes('registered'), 'the registered line', 3000);
    const [node] = await registry.getService('legacy');
    assert.match(r.out(), new RegExp(`^registered ${node!.id} at ${app.address} \\(checked by grpc.health.v1, 1 endpoint from reflection\\)\\n$`));
    assert.equal(node!.metadata.team, 'legacy');
    r.abort();
    assert.equal(await r.exit, 0);
    assert.deepEqual(await ids(), []);
    assert.match(r.out(), /\nstopped: legacy deregistered\n$/);
    assert.equal(r.err(), '');
  });

  it('--json writes one JSON object a line; --verbose adds every check', async () => {
    const r = run(['--name', 'legacy', '--app', app.address, '--registry', 'local', '--registry_address', dir, '--interval', '50ms', '--json', '--verbose']);
    await eventually(() => r.out().split('\n').filter(Boolean).length >= 4, 'a few lines', 3000);
    r.abort();
    assert.equal(await r.exit, 0);
    const lines = r.out().trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    assert.deepEqual(lines[0], { type: 'check', passed: true, via: 'health', detail: 'SERVING' });
    assert.equal(lines[1]?.type, 'registered');
    assert.equal(lines.at(-1)?.type, 'stopped');
    assert.ok(lines.slice(2, -2).every((l) => l.type === 'check'));
  });

  it('hands the gateway factory the registry and the name when --address is given', async () => {
    const seen: string[] = [];
    const command = sidecarCommand({
      gateway: ({ service }) => ({ listen: async (a) => void seen.push(`${service} on ${a}`), close: async () => void seen.push('closed') }),
    });
    const r = run(['--name', 'legacy', '--app', app.address, '--registry', 'local', '--registry_address', dir, '--address', '127.0.0.1:0'], command);
    await eventually(() => r.out().includes('gateway for legacy on 127.0.0.1:0'), 'the gateway line', 3000);
    r.abort();
    assert.equal(await r.exit, 0);
    assert.deepEqual(seen, ['legacy on 127.0.0.1:0', 'closed']);
  });

  const usage: [string[], RegExp][] = [
    [['--app', '127.0.0.1:9000'], /^--name is required/],
    [['--name', 'legacy'], /^--app is required/],
    [['--name', 'legacy', '--app', 'nope'], /^--app must be "host:port"/],
    [['--name', 'legacy', '--app', '127.0.0.1:9000', '--interval', '5x'], /^--interval must be a positive duration like 500ms, 5s or 1m, got "5x"/],
    [['--name', 'legacy', '--app', '127.0.0.1:9000', '--fail_after', '0'], /^--fail_after must be a whole number >= 1/],
    [['--name', 'legacy', '--app', '127.0.0.1:9000', '--metadata', 'team'], /^--metadata takes k=v/],
    [['--name', 'legacy', '--app', '127.0.0.1:9000', '--register_ttl', '5s', '--register_interval', '5s'], /^--register_interval \(5000\) must be below --register_ttl/],
  ];
  for (const [argv, message] of usage) {
    it(`usage error: ${argv.join(' ')}`, async () => {
      await assert.rejects(run([...argv, '--registry', 'memory']).exit, (err: Error) => err instanceof UsageError && message.test(err.message));
    });
  }

  it('parses durations as go-micro flags take them', () => {
    assert.deepEqual(['500ms', '5s', '1.5m', '1h', '30'].map((d) => parseDuration(d, 'interval')), [500, 5000, 90_000, 3_600_000, 30_000]);
    for (const bad of ['0s', '-1s', 's', '5 s', '5d']) assert.throws(() => parseDuration(bad, 'interval'), UsageError);
  });
});
