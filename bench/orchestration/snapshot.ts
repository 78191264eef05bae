import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../shared/root';

/**
 * A private copy of the compiled code (dist/src, wrappers, examples, bench) for the run's child
 * processes, with node_modules linked: a rebuild of dist/ while the run goes on (another `npm test`)
 * cannot mix two versions of keel into one set of results. Returns the copy's process entry points' directory and a
 * way to remove the copy.
 */
export function snapshotDist(): { benchDir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'keel-bench-dist-'));
  for (const part of ['src', 'wrappers', 'examples', 'bench']) {
    cpSync(join(ROOT, 'dist', part), join(dir, 'dist', part), { recursive: true });
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { benchDir: join(dir, 'dist', 'bench', 'orchestration'), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
