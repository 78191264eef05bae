import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { loadPackageDefinition, type GrpcObject, type MethodDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { repoRoot, skipE2E } from './external';
import type { HelloRequest, HelloResponse } from './basis';

const run = promisify(execFile);

export interface StreamRequest {
  name: string;
  count: number;
  interval_ms?: number;
  fail_at?: number;
}

/** The Basis service as the go-micro peers speak it: examples/basis's Hello plus Stream, Collect (client stream) and Chat (bidi). */
export type PeerBasisService = {
  Hello: MethodDefinition<HelloRequest, HelloResponse>;
  Stream: MethodDefinition<StreamRequest, HelloResponse> & { requestStream: false; responseStream: true };
  Collect: MethodDefinition<HelloRequest, HelloResponse> & { requestStream: true; responseStream: false };
  Chat: MethodDefinition<HelloRequest, HelloResponse> & { requestStream: true; responseStream: true };
};

/** Loaded from test/interop/basis/basis.proto (copied next to the compiled tests by the build), as the peers' Go code was generated. */
export const PeerBasis = (loadPackageDefinition(loadSync(join(__dirname, '..', 'interop', 'basis', 'basis.proto'), { keepCase: true }))
  .basis as GrpcObject).Basis as unknown as { service: PeerBasisService };

export interface GoMicroPeers {
  server: string;
  client: string;
  /** A Go gRPC server with no go-micro and no keel (test/interop/cmd/plain-grpc): the sidecar's app. */
  plainGrpc: string;
}

/**
 * Builds the go-micro peers (instant when up to date); undefined only when skipping is allowed (KEEL_SKIP_E2E=1),
 * which is said loudly, naming `suite`.
 */
export async function goMicroPeers(suite = 'go-micro interoperability'): Promise<GoMicroPeers | undefined> {
  try {
    const { stdout } = await run(join(repoRoot, 'scripts', 'build-interop'), [], { timeout: 15 * 60_000 });
    const [server, client, plainGrpc] = stdout.trim().split('\n');
    return { server: server as string, client: client as string, plainGrpc: plainGrpc as string };
  } catch (err) {
    const why = `scripts/build-interop failed: ${(err as { stderr?: string }).stderr?.trim() || (err as Error).message}`;
    if (skipE2E) {
      process.stderr.write(`\n!!! KEEL_SKIP_E2E=1: SKIPPING the ${suite} suite: ${why}\n\n`);
      return undefined;
    }
    throw new Error(`the ${suite} suite needs the go-micro peers: ${why}`);
  }
}

export interface GoMicroServer {
  id: string;
  address: string;
  process: ChildProcess;
  /** Everything the server wrote to stderr so far (go-micro's logs, its STREAM lines). */
  stderr(): string;
  /** SIGTERM (the server deregisters), resolving when it has exited. */
  stop(): Promise<void>;
}

/**
 * Starts the go-micro Basis server registered as `name` in Consul at `consulAddress`; resolves once Consul lists it.
 * `via` is a command prefix to start it with (the mDNS suite's `nsenter` into its network namespace).
 */
export async function startGoMicroServer(binary: string, consulAddress: string, name = 'basis', extraArgs: string[] = [], via: string[] = []): Promise<GoMicroServer> {
  const [command, ...prefix] = [...via, binary];
  const child = spawn(command as string, [...prefix, '--name', name, '--registry_address', consulAddress, '--register_ttl', '10s', '--register_interval', '3s',
    '--exit_on_stdin_close', ...extraArgs], { stdio: ['pipe', 'pipe', 'pipe'] });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => (err += d));
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d;
      const ready = /READY (\S+) (\S+)/.exec(out);
      if (ready) resolve(ready[0]);
    });
    child.once('exit', (code) => reject(new Error(`go-micro server exited ${code}: ${err}`)));
  });
  const [, id, address] = line.split(' ');
  return {
    id: id as string,
    address: address as string,
    process: child,
    stderr: () => err,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

export interface ClientRun {
  code: number;
  stdout: string[];
  stderr: string;
}

/** Runs the go-micro Basis client against Consul at `consulAddress`; never rejects on a non-zero exit (the test asserts on it). */
export async function runGoMicroClient(binary: string, consulAddress: string, args: string[], via: string[] = []): Promise<ClientRun> {
  const [command, ...prefix] = [...via, binary];
  try {
    const { stdout, stderr } = await run(command as string, [...prefix, '--registry_address', consulAddress, ...args], { timeout: 30_000 });
    return { code: 0, stdout: stdout.trim().split('\n').filter(Boolean), stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: (e.stdout ?? '').trim().split('\n').filter(Boolean), stderr: e.stderr ?? '' };
  }
}

/**
 * A bidi call made in turns: each request goes out only once the previous one's reply came back, which
 * shows that replies flow while the call is open (not only after the half-close). Resolves to the replies.
 */
export async function chatInTurns(chat: (requests: AsyncIterable<HelloRequest>) => AsyncIterable<HelloResponse>, names: string[]): Promise<string[]> {
  const replies: string[] = [];
  let replied: () => void = () => undefined;
  async function* requests(): AsyncGenerator<HelloRequest> {
    for (const name of names) {
      const next = new Promise<void>((resolve) => (replied = resolve));
      yield { name };
      await next;
    }
  }
  for await (const { msg } of chat(requests())) {
    replies.push(msg);
    replied();
  }
  return replies;
}
