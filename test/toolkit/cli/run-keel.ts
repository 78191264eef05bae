import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { repoRoot } from '../../support/external';

/** The built bin, as `npx keel` runs it. */
export const KEEL_BIN = join(repoRoot, 'dist', 'src', 'toolkit', 'cli', 'main.js');

export interface KeelRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a child `keel`: this one without colour or registry settings, plus `env`. */
export function keelEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const base = { ...process.env };
  for (const k of ['MICRO_REGISTRY', 'MICRO_REGISTRY_ADDRESS', 'NO_COLOR', 'CONSUL_HTTP_ADDR', 'FORCE_COLOR']) delete base[k];
  return { ...base, ...env };
}

/** Runs `keel <args>` to its end (killed after `timeoutMs`), stdin from `input` (else closed). */
export function keel(args: string[], env: NodeJS.ProcessEnv, input?: string, timeoutMs = 30_000): Promise<KeelRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [KEEL_BIN, ...args], { env: keelEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(input ?? '');
  });
}

export interface KeelChild {
  child: ChildProcess;
  lines: string[];
  stderr(): string;
  exited: Promise<number | null>;
}

/** Starts a long-running `keel <args>` (watch); its stdout collected line by line. */
export function spawnKeel(args: string[], env: NodeJS.ProcessEnv): KeelChild {
  const child = spawn(process.execPath, [KEEL_BIN, ...args], { env: keelEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let err = '';
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (l) => lines.push(l));
  child.stderr?.on('data', (d: Buffer) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  void exited.then(() => clearTimeout(timer));
  return { child, lines, stderr: () => err, exited };
}
