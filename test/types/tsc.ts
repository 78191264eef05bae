// Runs the repository's TypeScript compiler on a project and reads its diagnostics, for the type tests.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root (this file runs from dist/test/types). */
export const root = join(__dirname, '..', '..', '..');
const tscBin = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

export interface Diagnostic {
  /** The file as tsc names it, relative to the project's directory. */
  file: string;
  line: number;
  column: number;
  /** e.g. `TS2578`. */
  code: string;
  /** The first line of the message. */
  message: string;
}

export interface TscResult {
  status: number | null;
  /** Everything tsc printed, for the failure message. */
  output: string;
  diagnostics: Diagnostic[];
}

/** `tsc -p <project>` (non-pretty output, so diagnostics are one parseable line each). */
export function tsc(project: string): TscResult {
  // The projects import `keel` as the built declarations: without them every fixture would fail on the import.
  const keel = join(root, 'dist', 'src', 'index.d.ts');
  if (!existsSync(keel)) throw new Error(`${keel} is missing: build first (npm test does)`);
  const run = spawnSync(process.execPath, [tscBin, '-p', project, '--pretty', 'false'], { cwd: project, encoding: 'utf8' });
  if (run.error) throw run.error;
  const output = `${run.stdout}${run.stderr}`;
  const diagnostics: Diagnostic[] = [];
  for (const line of output.split('\n')) {
    const m = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/.exec(line);
    if (m) diagnostics.push({ file: m[1]!, line: Number(m[2]), column: Number(m[3]), code: m[4]!, message: m[5]! });
  }
  return { status: run.status, output, diagnostics };
}
