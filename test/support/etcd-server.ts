import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { get, type RequestOptions } from 'node:http';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** Files for etcd's client TLS listener; with `clientCertAuth`, clients must show a certificate signed by `caFile`. */
export interface EtcdTlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** A client certificate for the health check (needed with `clientCertAuth`). */
  clientCertFile: string;
  clientKeyFile: string;
  clientCertAuth: boolean;
}

/** A real etcd process on loopback, with a throwaway data dir, that a test can kill and restart. */
export interface EtcdServer {
  /** `127.0.0.1:<client port>`, as `MICRO_REGISTRY_ADDRESS` would give it (`https://127.0.0.1:<port>` with TLS). */
  readonly endpoint: string;
  readonly version: string;
  readonly dataDir: string;
  /** SIGKILL (a crash): resolves once the process has exited. */
  kill(): Promise<void>;
  /** Starts etcd again on the same ports and data dir; resolves once it is healthy. */
  restart(): Promise<void>;
  /** Kills etcd and removes its data dir. */
  stop(): Promise<void>;
}

const ROOT = join(__dirname, '..', '..', '..');

/** The etcd binary: `KEEL_ETCD_BIN`, else `etcd` on PATH, else `.tools/bin/etcd` (see `scripts/infra install etcd`). */
export function etcdBinary(): string | undefined {
  const candidates = [
    process.env.KEEL_ETCD_BIN,
    ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'etcd')),
    '/usr/bin/etcd',
    join(ROOT, '.tools', 'bin', 'etcd'),
  ];
  for (const c of candidates) {
    if (c === undefined || c === '') continue;
    try {
      accessSync(c, constants.X_OK);
      return c;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/**
 * Starts etcd for a test file, or explains why it cannot: resolves `undefined` (after printing what is
 * skipped) only when `KEEL_SKIP_E2E=1`; otherwise a missing or failing etcd rejects with a clear message.
 * Heartbeat 50 ms / election 500 ms make etcd's minimum lease TTL 1 s (with the defaults, 100/1000 ms,
 * it is 2 s: etcd raises any shorter TTL to ceil(1.5 × election timeout)).
 */
export async function startEtcd(what: string, options: { tls?: EtcdTlsFiles } = {}): Promise<EtcdServer | undefined> {
  const bin = etcdBinary();
  try {
    if (bin === undefined) throw new Error('no etcd binary (install it with `scripts/infra install etcd`, or set KEEL_ETCD_BIN)');
    return await launch(bin, options.tls);
  } catch (err) {
    if (process.env.KEEL_SKIP_E2E === '1') {
      console.error(`\n*** KEEL_SKIP_E2E=1: SKIPPING ${what}: cannot start etcd: ${(err as Error).message} ***\n`);
      return undefined;
    }
    throw new Error(`cannot run ${what}: they need a real etcd server, and none could be started: ${(err as Error).message}` +
      ' (set KEEL_SKIP_E2E=1 to skip these tests)', { cause: err });
  }
}

async function launch(bin: string, tls?: EtcdTlsFiles): Promise<EtcdServer> {
  const versionOut = spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 10_000 }).stdout ?? '';
  const version = /etcd Version:\s*(\S+)/.exec(versionOut)?.[1] ?? 'unknown';
  const [clientPort, peerPort] = await freePorts(2);
  const dir = mkdtempSync(join(tmpdir(), 'keel-etcd-test-'));
  const client = `${tls ? 'https' : 'http'}://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name', 'keel-test', '--data-dir', join(dir, 'data'),
    '--listen-client-urls', client, '--advertise-client-urls', client,
    '--listen-peer-urls', peer, '--initial-advertise-peer-urls', peer,
    '--initial-cluster', `keel-test=${peer}`, '--initial-cluster-state', 'new',
    '--heartbeat-interval', '50', '--election-timeout', '500',
    ...(tls ? ['--cert-file', tls.certFile, '--key-file', tls.keyFile, '--trusted-ca-file', tls.caFile, `--client-cert-auth=${tls.clientCertAuth}`] : []),
  ];
  const logFile = join(dir, 'etcd.log');
  // Only PATH and HOME: an ETCD_* variable of the caller's shell would change the server's flags.
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? dir };
  let child: ChildProcess | undefined;
  const killNow = (): void => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  process.once('exit', killNow); // a test that dies early must not leave etcd behind

  const run = async (): Promise<void> => {
    const log = openSync(logFile, 'a');
    try {
      child = spawn(bin, args, { stdio: ['ignore', log, log], env });
    } finally {
      closeSync(log);
    }
    child.unref(); // the test's `after` stops it; an unref'd child cannot keep the test process alive
    const started = child;
    const until = Date.now() + 20_000;
    while (!(await healthy(clientPort as number, tls))) {
      if (started.exitCode !== null || started.signalCode !== null) {
        throw new Error(`etcd exited during startup (${started.exitCode ?? started.signalCode}); log:\n${tail(logFile)}`);
      }
      if (Date.now() > until) {
        killNow();
        throw new Error(`etcd not healthy after 20 s; log:\n${tail(logFile)}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const kill = async (): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };

  try {
    await run();
  } catch (err) {
    process.removeListener('exit', killNow);
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    endpoint: tls ? client : `127.0.0.1:${clientPort}`,
    version,
    dataDir: dir,
    kill,
    restart: async () => {
      await kill();
      await run();
    },
    stop: async () => {
      await kill();
      process.removeListener('exit', killNow);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function healthy(port: number, tls?: EtcdTlsFiles): Promise<boolean> {
  return new Promise((resolve) => {
    const options: RequestOptions = { host: '127.0.0.1', port, path: '/health', timeout: 1000 };
    const secure = tls && { ca: readFileSync(tls.caFile), cert: readFileSync(tls.clientCertFile), key: readFileSync(tls.clientKeyFile) };
    const req = (secure ? httpsGet : get)({ ...options, ...secure }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(res.statusCode === 200 && body.includes('"health":"true"')));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

/** `n` distinct free TCP ports on 127.0.0.1 (held open together so that they differ). */
async function freePorts(n: number): Promise<number[]> {
  const servers = await Promise.all(Array.from({ length: n }, () => new Promise<ReturnType<typeof createServer>>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  })));
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return ports;
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}
