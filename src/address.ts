/** A parsed `host:port`. IPv6 hosts are written in brackets: `[::1]:50051`. */
export interface HostPort {
  host: string;
  port: number;
}

/**
 * Parses `host:port`, throwing a RangeError that names `option` when it does not parse.
 * Port 0 is accepted only when `allowZero` (a server asking the OS for a free port).
 */
export function parseHostPort(value: unknown, option: string, allowZero = false): HostPort {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`${option} must be a "host:port" string, got ${describe(value)}`);
  }
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535 || (port === 0 && !allowZero)) {
    throw new RangeError(`${option} must be "host:port" with a port 1-65535, got ${JSON.stringify(value)}`);
  }
  return { host: (match[1] ?? match[2]) as string, port };
}

/** Formats a host and port back into `host:port`, bracketing IPv6 hosts. */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A short description of a bad value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return typeof value;
}
