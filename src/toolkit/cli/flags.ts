import { UsageError } from './usage-error';

/** A flag a command takes: `--name value` or `--name=value`; `boolean` flags take no value. */
export interface FlagSpec {
  readonly name: string;
  readonly help: string;
  readonly boolean?: boolean;
  /** May be given more than once (`--metadata a=1 --metadata b=2`). */
  readonly repeated?: boolean;
  /** Shown in help. */
  readonly default?: string;
}

export type Flags = Readonly<Record<string, string | boolean | string[] | undefined>>;

/**
 * The flags every command takes. The registry flags are go-micro's CLI names (`--registry`,
 * `--registry_address`), over `MICRO_REGISTRY` / `MICRO_REGISTRY_ADDRESS` like the library.
 */
export const COMMON_FLAGS: readonly FlagSpec[] = [
  { name: 'registry', help: 'registry kind: local | mdns | memory | consul | etcd | kubernetes (MICRO_REGISTRY)', default: 'local' },
  { name: 'registry_address', help: 'registry address (MICRO_REGISTRY_ADDRESS)' },
  { name: 'json', help: 'machine-readable output', boolean: true },
  { name: 'verbose', help: 'print stacks and details of failures', boolean: true },
  { name: 'help', help: 'show help', boolean: true },
];

/**
 * Parses `argv` against `specs`: `--name value`, `--name=value`, `--flag` for booleans, `--` ends flags.
 * Unknown flags and missing values are a UsageError naming the flag.
 */
export function parseFlags(argv: readonly string[], specs: readonly FlagSpec[]): { positional: string[]; flags: Flags } {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const flags: Record<string, string | boolean | string[]> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '-') {
      if (arg === '-h') flags.help = true;
      else positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    // go-micro's flags are snake_case; accept the kebab-case spelling people type too.
    const name = (eq === -1 ? arg.slice(2) : arg.slice(2, eq)).replace(/-/g, '_');
    const spec = byName.get(name);
    if (spec === undefined) throw new UsageError(`unknown flag --${name}`);
    let value: string | boolean;
    if (spec.boolean) {
      if (eq !== -1) {
        const v = arg.slice(eq + 1);
        if (v !== 'true' && v !== 'false') throw new UsageError(`--${name} takes true or false, got ${JSON.stringify(v)}`);
        value = v === 'true';
      } else value = true;
    } else if (eq !== -1) value = arg.slice(eq + 1);
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new UsageError(`--${name} needs a value`);
      value = next;
      i++;
    }
    if (spec.repeated) flags[name] = [...((flags[name] as string[] | undefined) ?? []), String(value)];
    else flags[name] = value;
  }
  return { positional, flags };
}
