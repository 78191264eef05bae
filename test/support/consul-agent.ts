import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './free-port';

export interface ConsulAgent {
  /** `127.0.0.1:<http port>` */
  readonly address: string;
  /** `https://127.0.0.1:<https port>` when started with `tls`. */
  readonly httpsAddress: string | undefined;
  /** Kills the agent (SIGKILL: Consul is "gone"), keeping its ports for `restart`. */
  kill(): Promise<void>;
  /** Starts a fresh agent (dev mode: empty state) on the same ports. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Files for Consul's HTTPS listener; clients must show a certificate signed by `caFile`. */
export interface ConsulTlsFiles {
  caFile: string;
  certFile: string;
  keyFile: string;
}

/**
 * A real Consul agent in dev mode on free loopback ports (state in memory), optionally with ACLs on
 * (`aclToken` becomes the bootstrap management token and the default policy is deny), and optionally
 * with an HTTPS listener too (`tls`, verifying client certificates; the HTTP one stays for the tests' checks).
 */
export async function startConsul(binary: string, options: { aclToken?: string; tls?: ConsulTlsFiles } = {}): Promise<ConsulAgent> {
  const [http, grpc, lan, wan, server, https] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
  const dir = mkdtempSync(join(tmpdir(), 'keel-consul-'));
  const args = ['agent', '-dev', '-node=keel-test', '-client=127.0.0.1', '-bind=127.0.0.1', `-http-port=${http}`, `-https-port=${options.tls ? https : -1}`,
    `-grpc-port=${grpc}`, '-grpc-tls-port=-1', '-dns-port=-1', `-serf-lan-port=${lan}`, `-serf-wan-port=${wan}`,
    `-server-port=${server}`, '-log-level=warn'];
  if (options.aclToken) {
    const config = join(dir, 'acl.hcl');
    writeFileSync(config, `acl {\n  enabled = true\n  default_policy = "deny"\n  tokens {\n    initial_management = "${options.aclToken}"\n    agent = "${options.aclToken}"\n  }\n}\n`);
    args.push(`-config-file=${config}`);
  }
  if (options.tls) {
    const config = join(dir, 'tls.hcl');
    const { caFile, certFile, keyFile } = options.tls;
    writeFileSync(config, `tls {\n  defaults {\n    ca_file = ${JSON.stringify(caFile)}\n    cert_file = ${JSON.stringify(certFile)}\n` +
      `    key_file = ${JSON.stringify(keyFile)}\n  }\n  https {\n    verify_incoming = true\n  }\n}\n`);
    args.push(`-config-file=${config}`);
  }
  const address = `127.0.0.1:${http}`;
  let child: ChildProcess | undefined;
  let log = '';

  const launch = async (): Promise<void> => {
    log = '';
    const proc = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    proc.stdout?.on('data', (d: Buffer) => (log += d));
    proc.stderr?.on('data', (d: Buffer) => (log += d));
    const until = Date.now() + 30_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`consul exited with ${proc.exitCode}:\n${log}`);
      try {
        const res = await fetch(`http://${address}/v1/status/leader`, { signal: AbortSignal.timeout(1000) });
        if (res.ok && /"[^"]+"/.test(await res.text())) break;
      } catch {
        /* not up yet */
      }
      if (Date.now() > until) throw new Error(`consul did not become healthy in 30 s:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    if (options.aclToken) {
      // The agent must be allowed to sync its services to the catalog before anything registers.
      await new Promise((r) => setTimeout(r, 500));
    }
  };
  const kill = async (): Promise<void> => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((r) => proc.once('exit', r));
    proc.kill('SIGKILL');
    await exited;
  };

  await launch();
  return {
    address,
    httpsAddress: options.tls ? `https://127.0.0.1:${https}` : undefined,
    kill,
    restart: launch,
    async stop() {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
