import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { localRegistry, type Registry } from '../../../src/index';
import { eventually, startBasis, type TestServer } from '../../support/basis';
import { toolOrSkip } from '../../support/external';
import { startItems, type ItemsProbe } from '../../support/items';
import { KEEL_BIN, keelEnv } from './run-keel';

const run = promisify(execFile);
const tmuxBinary = toolOrSkip('tmux', 'keel CLI in a terminal');
const ESC = '\u001b[';
const plain = (s: string): string => s.replace(/\u001b\[[0-9;]*m/g, '');
/** Whether `text` is drawn in SGR colour `code` on the screen (tmux re-encodes the sequences it was sent: match loosely). */
const coloured = (screenText: string, code: number, text: string): boolean => {
  const before = new RegExp(`((?:\u001b\\[[0-9;]*m)+)${text}`).exec(screenText)?.[1] ?? '';
  return [...before.matchAll(/\u001b\[([0-9;]*)m/g)].some((m) => (m[1] as string).split(';').includes(String(code)));
};

/**
 * `keel` in a real terminal: each command runs in its own tmux window (a pty, so stdout.isTTY) on a private
 * tmux server, and the pane is captured with its escape sequences.
 */
describe('keel CLI in a terminal (tmux): aligned tables with colour on a TTY, none with NO_COLOR or in a pipe', { skip: tmuxBinary === undefined && 'tmux missing (KEEL_SKIP_E2E=1)' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'keel-cli-tty-'));
  const socket = `keel-cli-test-${process.pid}`;
  const env = { MICRO_REGISTRY: 'local', MICRO_REGISTRY_ADDRESS: dir };
  let registry: Registry;
  let basis: TestServer;
  let items: ItemsProbe;
  let windows = 0;
  const tmux = (...args: string[]): Promise<{ stdout: string }> =>
    run(tmuxBinary as string, ['-L', socket, '-f', '/dev/null', ...args], { env: keelEnv({ ...env, TERM: 'xterm-256color' }), timeout: 10_000 });

  /** Runs `shell` in a new 200×50 window and resolves to the screen (with escapes) once `done` shows on it. */
  const screen = async (shell: string, done: RegExp): Promise<string> => {
    const name = `w${++windows}`;
    const command = `${shell}; echo "[exit $?]"; sleep 60`;
    if (windows === 1) await tmux('new-session', '-d', '-s', 'keel', '-n', name, '-x', '200', '-y', '50', command);
    else await tmux('new-window', '-d', '-t', 'keel', '-n', name, command);
    let text = '';
    await eventually(async () => {
      text = (await tmux('capture-pane', '-p', '-e', '-J', '-t', `keel:${name}`)).stdout;
      return done.test(plain(text));
    }, `${shell} to finish in tmux (screen so far:\n${plain(text)})`, 15_000);
    return text;
  };
  const keelCmd = (args: string): string => `${JSON.stringify(process.execPath)} ${JSON.stringify(KEEL_BIN)} ${args}`;

  before(async () => {
    registry = localRegistry({ dir });
    basis = await startBasis(registry);
    items = await startItems(registry);
  });
  after(async () => {
    await tmux('kill-server').catch(() => undefined);
    await basis?.server.stop();
    await items?.server.stop();
    await registry?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('services: a bold header, coloured names, columns aligned', async () => {
    const text = await screen(keelCmd('services'), /\[exit 0\]/);
    assert.ok(coloured(text, 1, 'SERVICE'), `bold header in:\n${JSON.stringify(text)}`);
    assert.ok(coloured(text, 36, 'basis'), `the service name in cyan in:\n${JSON.stringify(text)}`);
    const lines = plain(text).split('\n');
    const header = lines.find((l) => l.startsWith('SERVICE')) as string;
    assert.match(header, /^SERVICE\s+NODES\s+VERSIONS$/);
    for (const name of ['basis', 'items']) {
      const row = lines.find((l) => l.startsWith(`${name} `)) as string;
      assert.equal(row.indexOf('1'), header.indexOf('NODES'), `${name}: NODES column aligned`);
      assert.equal(row.indexOf('latest'), header.indexOf('VERSIONS'), `${name}: VERSIONS column aligned`);
    }
  });

  it('health and describe: SERVING in green, rows aligned under their headers', async () => {
    const text = await screen(keelCmd('health items'), /\[exit 0\]/);
    assert.ok(coloured(text, 32, 'SERVING'), `SERVING in green in:\n${JSON.stringify(text)}`);
    const lines = plain(text).split('\n');
    const header = lines.find((l) => l.startsWith('NODE')) as string;
    const row = lines.find((l) => l.startsWith(items.id)) as string;
    assert.equal(row.indexOf('127.0.0.1'), header.indexOf('ADDRESS'));
    assert.equal(row.indexOf('SERVING'), header.indexOf('STATUS'));
    const described = plain(await screen(keelCmd('describe items'), /\[exit 0\]/)).split('\n');
    const endpoints = described.find((l) => l.startsWith('ENDPOINT')) as string;
    const list = described.find((l) => l.startsWith('Items.ListItems')) as string;
    assert.equal(list.indexOf('server_stream'), endpoints.indexOf('KIND'));
    assert.equal(list.indexOf('items.ListRequest'), endpoints.indexOf('REQUEST'));
  });

  it('no colour with NO_COLOR, in a pipe, or with --json, even on a terminal', async () => {
    for (const shell of [`NO_COLOR=1 ${keelCmd('services')}`, `${keelCmd('services')} | cat`, keelCmd('services --json')]) {
      const text = await screen(shell, /\[exit 0\]/);
      assert.match(plain(text), /basis/);
      assert.ok(!text.includes(ESC), `${shell}: escape sequences in:\n${JSON.stringify(text)}`);
    }
  });

  it('call: a unary response indented for people on a terminal', async () => {
    const text = plain(await screen(keelCmd(`call basis Basis.Hello '{"name":"tty"}'`), /\[exit 0\]/));
    assert.match(text, /^\{\n {2}"msg": "Hello tty from basis-/m);
  });

  it('watch: runs until Ctrl-C in the terminal, then exits 0', async () => {
    const name = `w${windows + 1}`;
    const pending = screen(keelCmd('watch basis'), /\[exit \d+\]/);
    // `screen` makes the window asynchronously: until it exists, capture-pane fails ("can't find window"), which
    // is not yet, not a failure.
    await eventually(async () => /present\s+basis/.test(plain((await tmux('capture-pane', '-p', '-t', `keel:${name}`).catch(() => ({ stdout: '' }))).stdout)), 'watch to print', 15_000);
    await tmux('send-keys', '-t', `keel:${name}`, 'C-c');
    assert.match(plain(await pending), /\[exit 0\]/);
  });
});
