// The markdown a user reads: README.md and every guide under docs/, as paths from the repository root.
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';

/** README.md first, then docs/**\/*.md sorted. `root` is the repository root. */
export function userDocs(root: string): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(join(dir, e.name)) : e.name.endsWith('.md') ? [join(dir, e.name)] : []);
  return ['README.md', ...walk(join(root, 'docs')).map((f) => relative(root, f)).sort()];
}
