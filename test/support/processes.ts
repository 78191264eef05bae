import { readdirSync, readFileSync } from 'node:fs';

/** PIDs of live processes (not zombies) whose environment contains `entry`, e.g. `KEEL_TEST_TAG=ab12` (Linux /proc). */
export function processesWithEnv(entry: string): number[] {
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const environ = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
      const state = /State:\s+(\w)/.exec(readFileSync(`/proc/${name}/status`, 'utf8'))?.[1];
      if (environ.includes(entry) && state !== 'Z') pids.push(Number(name));
    } catch {
      /* exited while we looked */
    }
  }
  return pids;
}
