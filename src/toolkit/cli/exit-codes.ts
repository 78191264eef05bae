import { status } from '@grpc/grpc-js';
import { isKeelError } from '../library';
import { UsageError } from './command';
import { isToolkitError } from '../errors';

/**
 * The exit codes of every `keel` command (also in `keel --help` and the README):
 * 0 ok; 1 the call or command failed; 2 bad usage (unknown command or flag, bad value, bad JSON);
 * 3 not serving (`health`: no node is SERVING); 4 not found (no nodes of the service, unknown method);
 * 130 interrupted by Ctrl-C.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, notServing: 3, notFound: 4, interrupted: 130 } as const;

export const EXIT_HELP = `exit codes:
  0    ok
  1    the call or command failed (the gRPC status is printed: ERROR <CODE> (<reason>): details)
  2    bad usage: unknown command or flag, a bad flag value, a request that is not valid JSON or does not fit
  3    not serving: keel health found no node SERVING
  4    not found: no nodes of the service, or no such method
  130  interrupted (Ctrl-C)`;

/** The exit code for a failure. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof UsageError) return EXIT.usage;
  if (isKeelError(err)) {
    if (err.reason === 'no_nodes') return EXIT.notFound;
    if (err.reason === 'cancelled') return EXIT.interrupted;
  }
  if (isToolkitError(err)) {
    if (err.reason === 'unknown_method') return EXIT.notFound;
    if (err.reason === 'bad_request') return EXIT.usage;
  }
  const code = (err as { code?: unknown } | null)?.code;
  if (code === status.UNIMPLEMENTED) return EXIT.notFound;
  return EXIT.failed;
}

/**
 * One line for a failure: a gRPC status as `ERROR <CODE> (<reason>): details`, anything else as
 * `keel: <message>`. `--verbose` adds the stack and the status metadata.
 */
export function describeFailure(err: unknown, verbose: boolean): string {
  const e = err as { code?: unknown; details?: unknown; reason?: unknown; message?: unknown; stack?: unknown; metadata?: { getMap?: () => object } };
  let line: string;
  if (err instanceof UsageError) line = `keel: ${err.message}`;
  else if (typeof e?.code === 'number' && status[e.code] !== undefined) {
    const reason = typeof e.reason === 'string' ? ` (${e.reason})` : '';
    const details = typeof e.details === 'string' && e.details !== '' ? e.details : String(e.message ?? '');
    line = `ERROR ${status[e.code]}${reason}: ${details}`;
  } else line = `keel: ${err instanceof Error ? err.message : String(err)}`;
  line = line.replace(/\s*\n\s*/g, ' ');
  if (!verbose) return `${line}\n`;
  const metadata = typeof e?.metadata?.getMap === 'function' ? `\nmetadata: ${JSON.stringify(e.metadata.getMap())}` : '';
  return `${line}${metadata}\n${typeof e?.stack === 'string' ? `${e.stack}\n` : ''}`;
}
