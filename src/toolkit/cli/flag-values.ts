import { UsageError } from './command';
import type { Flags } from './flags';
import { stringFlag } from './registry-flags';

/** `--<name> <ms>`: a positive integer number of milliseconds, or undefined when absent. */
export function msFlag(flags: Flags, name: string): number | undefined {
  const text = stringFlag(flags, name);
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text.trim()) || Number(text) <= 0 || !Number.isSafeInteger(Number(text))) {
    throw new UsageError(`--${name} must be a positive whole number of milliseconds, got ${JSON.stringify(text)}`);
  }
  return Number(text);
}

/** `--<name> <n>`: a positive number (fractions allowed), or undefined when absent. */
export function positiveFlag(flags: Flags, name: string): number | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  const n = Number(value);
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got ${JSON.stringify(value)}`);
  return n;
}

/** A repeated flag's values (`--proto a.proto --proto b.proto`); each must be non-empty. */
export function listFlag(flags: Flags, name: string): string[] {
  const value = flags[name];
  const list = value === undefined ? [] : Array.isArray(value) ? value : [String(value)];
  for (const v of list) if (v.trim() === '') throw new UsageError(`--${name} needs a non-empty value`);
  return list;
}

/** `--metadata k=v` repeated, as gRPC metadata: keys lower case; a key given twice carries both values. */
export function metadataFlag(flags: Flags): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const pair of listFlag(flags, 'metadata')) {
    const eq = pair.indexOf('=');
    const key = eq === -1 ? '' : pair.slice(0, eq).trim().toLowerCase();
    if (!/^[0-9a-z_.-]+$/.test(key)) {
      throw new UsageError(`--metadata takes key=value with a key of letters, digits, "-", "_", "."; got ${JSON.stringify(pair)}`);
    }
    if (key.endsWith('-bin')) throw new UsageError(`--metadata: binary keys (-bin) are not supported, got ${JSON.stringify(key)}`);
    (out[key] ??= []).push(pair.slice(eq + 1));
  }
  return out;
}
