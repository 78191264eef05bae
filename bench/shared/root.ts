import { basename, dirname } from 'node:path';

/**
 * The repository root: the directory holding the `dist/` this file was compiled into (bench code only
 * runs compiled). Found by walking up to `dist` rather than by counting `..`, so that a bench file's
 * folder depth does not matter; in the run's snapshot of dist/ (orchestration/snapshot.ts) it is the
 * snapshot's root, as before.
 */
function findRoot(): string {
  for (let dir = __dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    if (basename(dir) === 'dist') return dirname(dir);
  }
  throw new Error(`bench: ${__dirname} is not inside a dist/ directory`);
}

export const ROOT = findRoot();
