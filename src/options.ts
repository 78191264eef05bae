import { describe } from './address';

/**
 * Validation for options objects, the one place every factory's checks come from: each function throws at
 * construction, naming the option as given (`'retry: maxAttempts'`): a TypeError for the wrong kind of value,
 * a RangeError for a value out of range. Each returns the value, so a check reads as its assignment.
 */

/** An integer from `min` (and up to `max`); `Infinity` too with `allowInfinity` (for "no limit"). */
export function integer(value: unknown, option: string, min: number, { max = Infinity, allowInfinity = false } = {}): number {
  if (allowInfinity && value === Infinity) return value;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${option} must be an integer ${max === Infinity ? `>= ${min}` : `from ${min} to ${max}`}, got ${describe(value)}`);
  }
  return value;
}

/**
 * A finite number from `min` (above it with `minExclusive`) up to `max`: percentages `(0, 100]`, ratios
 * `[0, 1]`, rates and multipliers.
 */
export function numberIn(value: unknown, option: string, min: number, { max = Infinity, minExclusive = false } = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || (minExclusive ? !(value > min) : !(value >= min)) || value > max) {
    const range = max === Infinity ? `a finite number ${minExclusive ? '>' : '>='} ${min}` : `in ${minExclusive ? '(' : '['}${min}, ${max}]`;
    throw new RangeError(`${option} must be ${range}, got ${describe(value)}`);
  }
  return value;
}

export function boolean(value: unknown, option: string): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${option} must be a boolean, got ${describe(value)}`);
  return value;
}

export function func<F extends (...args: never[]) => unknown>(value: F, option: string): F {
  if (typeof value !== 'function') throw new TypeError(`${option} must be a function, got ${describe(value)}`);
  return value;
}

/** A function, or undefined when the option is not given. */
export function optionalFunction<F extends (...args: never[]) => unknown>(value: F | undefined, option: string): F | undefined {
  return value === undefined ? undefined : func(value, option);
}

/** One of a few names (`'endpoint'` or `'node'`). */
export function oneOf<T extends string>(value: unknown, option: string, allowed: readonly T[]): T {
  if (!allowed.includes(value as T)) {
    const names = allowed.map((a) => `'${a}'`);
    throw new RangeError(`${option} must be ${names.slice(0, -1).join(', ')}${names.length > 1 ? ' or ' : ''}${names.at(-1)}, got ${describe(value)}`);
  }
  return value as T;
}

/** An object with a `method()` (a clock's `now`, a selector's `pick`). */
export function withMethod<T>(value: T, option: string, method: string): T {
  if (typeof (value as Record<string, unknown> | null | undefined)?.[method] !== 'function') {
    throw new TypeError(`${option} must have a ${method}() method, got ${describe(value)}`);
  }
  return value;
}

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
