import { execFileSync, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { ROOT } from '../shared/root';

/** The Node lines `scripts/node-runtime` installs (pinned versions there). */
export const NODE_LINES = ['20', '22', '24', '26'] as const;

/** The release line (major) of the Node running this process, e.g. `24`. */
export const currentLine = (): string => process.versions.node.split('.')[0] as string;

/**
 * The path of the pinned Node binary of `line`, installed into .tools/node by `scripts/node-runtime` if
 * missing (the first time: an npm install, so allowed minutes; after that instant).
 */
export function nodeBinary(line: string): string {
  const out = execFileSync(join(ROOT, 'scripts', 'node-runtime'), [line], { timeout: 300_000, stdio: ['ignore', 'pipe', 'inherit'] });
  const path = out.toString().trim().split('\n').pop()?.trim();
  if (!path) throw new Error(`scripts/node-runtime ${line} printed no binary path`);
  return path;
}

/**
 * Runs this bench again, whole, under the Node of `line` (orchestrator, servers and client processes
 * alike: children are forked with the running binary), with that binary's directory first on PATH. The
 * arguments pass through unchanged (`--node` included: the child sees it already runs on `line`).
 * Resolves with the child's exit code; Ctrl-C reaches both through the terminal, so this process only
 * waits for the child to finish its cleanup.
 */
export function rerunOn(line: string, argv: string[]): Promise<number> {
  const bin = nodeBinary(line);
  const env = { ...process.env, PATH: `${dirname(bin)}:${process.env.PATH ?? ''}` };
  const child = spawn(bin, [...process.execArgv, process.argv[1] as string, ...argv], { stdio: 'inherit', env });
  const ignore = (): void => {};
  process.on('SIGINT', ignore);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      resolve(code ?? (signal === 'SIGINT' ? 130 : 1));
    });
    child.once('error', (err) => {
      console.error(`bench: could not start ${bin}: ${err.message}`);
      resolve(1);
    });
  });
}
