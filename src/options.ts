import { describe } from './address';

/** Validation for options objects: each throws at construction, naming the option. */

export function positiveMs(value: unknown, option: string, { allowInfinity = false } = {}): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`${option} must be a number of milliseconds, got ${describe(value)}`);
  }
  if (value <= 0 || (!allowInfinity && !Number.isFinite(value))) {
    throw new RangeError(`${option} must be a positive ${allowInfinity ? '' : 'finite '}number of milliseconds, got ${value}`);
  }
  return value;
}

export function nonNegativeMs(value: unknown, option: string): number {
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`${option} must be a number of milliseconds, got ${describe(value)}`);
  }
  if (value < 0 || !Number.isFinite(value)) {
    throw new RangeError(`${option} must be a finite number of milliseconds >= 0, got ${value}`);
  }
  return value;
}

export function nonEmptyString(value: unknown, option: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new TypeError(`${option} must be a non-empty string, got ${describe(value)}`);
  }
  return value;
}

export function stringRecord(value: unknown, option: string): Record<string, string> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${option} must be an object of string values, got ${describe(value)}`);
  }
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new TypeError(`${option}.${key} must be a string, got ${describe(v)}`);
  }
  return { ...(value as Record<string, string>) };
}

/** Rejects option names the factory does not know: a typo must not silently become a default. */
export function knownKeys(options: object | undefined, allowed: readonly string[], where: string): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${where} options must be an object, got ${describe(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new TypeError(`${where}: unknown option "${key}" (known: ${allowed.join(', ')})`);
    }
  }
}
