import { boolean, integer, knownKeys, optionalFunction, positiveMs } from '../../options';
import { systemClock, type Clock } from '../../time/clock';
import { defaultRegistryDir } from './private-dir';

export interface LocalRegistryOptions {
  /**
   * The directory the processes share. Default: this user's own, `$XDG_RUNTIME_DIR/keel-registry`, else
   * `<os tmpdir>/keel-registry-<uid>` (env `MICRO_REGISTRY_ADDRESS` via `registryFromEnv`). Created `0700`.
   */
  dir?: string;
  /**
   * Accept a directory owned by another user or writable by group/others. Anyone who can write there can
   * register nodes and receive the calls of every client using it: only for a directory shared on purpose.
   * Default false: such a directory is refused at construction with an error naming it.
   */
  allowSharedDirectory?: boolean;
  /** Node files larger than this are not read (and reported once). Default 65536 (a node is ~300 bytes plus metadata). */
  maxFileBytes?: number;
  /** Entries that are not node files (wrong type, too big, malformed), each reported once. Default: printed to stderr. */
  onError?: (err: Error) => void;
  /** Rescan period, the fallback for missed file events. Default 1000; 100 when file events are unavailable. */
  rescanIntervalMs?: number;
  /** Expired files are deleted once this long past their expiry (a live owner refreshes long before). Default 60000. */
  sweepAfterMs?: number;
  /** Time source for expiry. Default: `Date.now`. */
  clock?: Clock;
}

/** The options checked, with their defaults. */
export interface LocalSettings {
  root: string;
  allowShared: boolean;
  maxFileBytes: number;
  onError: (err: Error) => void;
  rescanMs: number;
  sweepAfterMs: number;
  clock: Clock;
}

/** `options` checked at construction (TypeError/RangeError naming the option), defaults filled in. */
export function localSettings(options: LocalRegistryOptions): LocalSettings {
  knownKeys(options, ['dir', 'allowSharedDirectory', 'maxFileBytes', 'onError', 'rescanIntervalMs', 'sweepAfterMs', 'clock'], 'localRegistry');
  if (options.dir !== undefined && (typeof options.dir !== 'string' || options.dir === '')) {
    throw new TypeError('localRegistry: dir must be a non-empty path');
  }
  return {
    allowShared: boolean(options.allowSharedDirectory ?? false, 'localRegistry: allowSharedDirectory'),
    maxFileBytes: integer(options.maxFileBytes ?? 65_536, 'localRegistry: maxFileBytes', 1),
    onError: optionalFunction(options.onError, 'localRegistry: onError') ?? ((err: Error) => console.error(err.message)),
    rescanMs: positiveMs(options.rescanIntervalMs ?? 1000, 'localRegistry: rescanIntervalMs'),
    sweepAfterMs: positiveMs(options.sweepAfterMs ?? 60_000, 'localRegistry: sweepAfterMs'),
    clock: options.clock ?? systemClock,
    root: options.dir ?? defaultRegistryDir(),
  };
}
