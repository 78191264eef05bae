import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real redis-server on 127.0.0.1, with no persistence and a throwaway directory. */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** SIGKILL: a crash. The port stays reserved for `start()`. */
  crash(): Promise<void>;
  /** Starts it again on the same port (empty). */
  start(): Promise<void>;
  /** SIGSTOP: the connection stays open and nothing answers. */
  pause(): void;
  /** SIGCONT */
  resume(): void;
  /** Stops it and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts `redis-server` (from PATH, else `.tools/bin`, as `scripts/infra install redis` puts it) on a free
 * loopback port. When it cannot: throws with the fix, or — with KEEL_SKIP_E2E=1 — says loudly what is
 * skipped and resolves undefined.
 */
export async function startRedis(what: string): Promise<RedisServer | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'keel-redis-'));
  let child: ChildProcess | undefined;
  let port = 0;
  const killOnExit = (): void => void child?.kill('SIGKILL');
  process.once('exit', killOnExit);
  const launch = async (): Promise<void> => {
    child = await spawnRedis(port, dir);
  };
  const server: RedisServer = {
    get port() { return port; },
    get url() { return `redis://127.0.0.1:${port}`; },
    crash: async () => stopChild(child, 'SIGKILL'),
    start: launch,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    stop: async () => {
      child?.kill('SIGCONT');
      await stopChild(child, 'SIGTERM');
      process.removeListener('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  let lastError: Error | undefined;
  for (let attempt = 0; attempt < 3; attempt++) { // a free port can be taken between probe and bind
    port = await freePort();
    try {
      await launch();
      return server;
    } catch (err) {
      lastError = err as Error;
      if ((err as { code?: string }).code === 'ENOENT') break;
    }
  }
  await server.stop();
  const why = `could not start redis-server: ${lastError?.message}`;
  if (process.env.KEEL_SKIP_E2E === '1') {
    console.error(`\n!!! KEEL_SKIP_E2E=1: SKIPPING ${what} — ${why}\n`);
    return undefined;
  }
  throw new Error(`${what} needs a real redis-server: ${why}. Install it (scripts/infra install redis, or apt-get install redis-server), or set KEEL_SKIP_E2E=1 to skip.`);
}

function redisBinary(): string {
  const tools = join(__dirname, '..', '..', '..', '.tools', 'bin', 'redis-server');
  const onPath = (process.env.PATH ?? '').split(':').some((d) => d !== '' && existsSync(join(d, 'redis-server')));
  return onPath || !existsSync(tools) ? 'redis-server' : tools;
}

/** Spawns redis-server and resolves once it accepts connections (it says so on stdout). */
function spawnRedis(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(redisBinary(), ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '',
    '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'yes', '--logfile', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`not ready after 10 s: ${output.slice(-500)}`)), 10_000);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.on('error', fail);
    child.on('exit', (code, signal) => fail(new Error(`exited (${code ?? signal}) at start: ${output.slice(-500)}`)));
    child.stderr?.on('data', (d: Buffer) => (output += d));
    child.stdout?.on('data', (d: Buffer) => {
      output += d;
      if (/Ready to accept connections/.test(output)) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.stdout?.removeAllListeners('data').resume();
        child.stderr?.removeAllListeners('data').resume();
        resolve(child);
      }
    });
  });
}

async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}
