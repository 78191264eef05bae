import type { Flags, FlagSpec } from './flags';

export { UsageError } from './usage-error';

/** Where a command writes, and whether its output goes to a person (a TTY) or a script. */
export interface Io {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream;
  readonly env: NodeJS.ProcessEnv;
  /** Aborts on Ctrl-C / SIGTERM: long-running commands (`watch`, `api`, `sidecar`, `web`) stop on it. */
  readonly signal: AbortSignal;
}

/**
 * One `keel <name>` command. `run` resolves to the process exit code; it throws a `UsageError` for bad
 * arguments (exit 2) and anything else for a failure (exit 1, one line unless `--verbose`).
 */
export interface Command {
  readonly name: string;
  /** One line for `keel --help`. */
  readonly summary: string;
  /** Positional arguments as shown in help, e.g. `<service> <Service.Method> [json]`. */
  readonly usage: string;
  /** More about the arguments for `keel <command> --help`, under the summary (optional). */
  readonly details?: string;
  /** The command's own flags; the registry flags and --json/--verbose/--help are shared by all. */
  readonly flags: readonly FlagSpec[];
  run(args: { positional: string[]; flags: Flags }, io: Io): Promise<number>;
}

