import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root (tests run from dist/test/…). */
export const repoRoot = join(__dirname, '..', '..', '..');

/** Whether suites that need an external server (Consul, etcd, Redis, Jaeger, Go) may skip: only when told to. */
export const skipE2E = process.env.KEEL_SKIP_E2E === '1';

/**
 * The path of a tool installed by `scripts/infra` (or on PATH), or a clear failure. With KEEL_SKIP_E2E=1
 * returns undefined after printing loudly what will be skipped.
 */
export function toolOrSkip(tool: string, suite: string): string | undefined {
  try {
    const path = execFileSync(join(repoRoot, 'scripts', 'infra'), ['which', tool], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    if (path && existsSync(path)) return path;
    throw new Error(`scripts/infra which ${tool} printed nothing`);
  } catch (err) {
    const why = `${tool} is not installed (run: scripts/infra install ${tool}): ${(err as Error).message.split('\n')[0]}`;
    if (skipE2E) {
      process.stderr.write(`\n!!! KEEL_SKIP_E2E=1: SKIPPING the ${suite} suite: ${why}\n\n`);
      return undefined;
    }
    throw new Error(`the ${suite} suite needs a real ${tool}: ${why}. Set KEEL_SKIP_E2E=1 to skip it knowingly.`);
  }
}
