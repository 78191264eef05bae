import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { ROOT } from '../shared/root';

export interface Machine {
  cores: number;
  cpuModel: string;
  node: string;
  date: string;
  /** os.loadavg() (1, 5, 15 min) when the run started and when it ended. */
  loadStart: number[];
  loadEnd: number[];
  memoryGb: number;
  kernel: string;
  /** The commit measured (with `+dirty` when tracked files other than docs/benchmarks.md and bench/results have changes), if git can tell. */
  commit: string;
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line) return line.split(':').slice(1).join(':').trim();
  } catch {
    /* not Linux */
  }
  return cpus()[0]?.model ?? 'unknown';
}

function commit(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, timeout: 5000 }).toString().trim();
    // What a run writes itself (docs/benchmarks.md's generated sections, bench/results) does not make the code measured dirty.
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', '--', '.', ':!docs/benchmarks.md', ':!bench/results'],
      { cwd: ROOT, timeout: 5000 }).toString().trim();
    return dirty ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

export function machine(): Machine {
  let kernel = 'unknown';
  try {
    kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    /* not Linux */
  }
  return {
    cores: cpus().length, cpuModel: cpuModel(), node: process.version, date: new Date().toISOString(),
    loadStart: loadavg(), loadEnd: [], memoryGb: totalmem() / 2 ** 30, kernel, commit: commit(),
  };
}
