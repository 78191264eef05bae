import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, lstatSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { repoRoot } from './external';

/**
 * An application that installed keel the way a user does: `npm pack` of this repository (its dist/ as
 * built; no lifecycle scripts) installed from the tarball with npm into an empty temporary directory,
 * with `packages` beside it. `node` is the Node that runs npm (default: the one running the tests).
 */
export interface ConsumerApp {
  dir: string;
  /** Runs `node -e code` (or a file) in the app with its node, returning stdout; throws with stderr on failure. */
  run(args: string[], env?: NodeJS.ProcessEnv): string;
  /** Every installed package (`node_modules/.package-lock.json`), keel included. */
  packages(): string[];
  /** Bytes on disk (apparent size) of node_modules. */
  bytes(): number;
  remove(): void;
}

export function installConsumerApp(packages: string[] = [], node: string = process.execPath): ConsumerApp {
  const dir = mkdtempSync(join(tmpdir(), 'keel-app-'));
  const env = { ...process.env, PATH: `${dirname(node)}${delimiter}${process.env.PATH ?? ''}` };
  try {
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: repoRoot, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })) as Array<{ filename: string }>;
    writeFileSync(join(dir, 'package.json'), '{"name":"consumer","private":true}\n');
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', join(dir, packed[0]!.filename), ...packages],
      { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const e = err as { stderr?: Buffer | string; message: string };
    throw new Error(`installing a consumer app failed: ${String(e.stderr ?? '').trim() || e.message}`);
  }
  return {
    dir,
    run: (args, extra = {}) => {
      try {
        return execFileSync(node, args, { cwd: dir, env: { ...env, ...extra }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
      } catch (err) {
        const e = err as { stderr?: string; message: string };
        throw new Error(`${e.message}\n${e.stderr ?? ''}`);
      }
    },
    packages: () => {
      const lock = JSON.parse(readFileSync(join(dir, 'node_modules', '.package-lock.json'), 'utf8')) as { packages: Record<string, unknown> };
      return Object.keys(lock.packages).filter((k) => k !== '').map((k) => k.replace(/^.*node_modules\//, '')).sort();
    },
    bytes: () => sizeOf(join(dir, 'node_modules')),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

function sizeOf(path: string): number {
  const st = lstatSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}
