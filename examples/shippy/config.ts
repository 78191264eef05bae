// What the shippy programs read from the environment besides what keel reads itself (MICRO_REGISTRY,
// MICRO_REGISTRY_ADDRESS, MICRO_SERVER_ADDRESS, CONSUL_HTTP_*, OTEL_*): go-micro's names, so a Go shippy
// and this one are configured alike.

/** go-micro's `--client_request_timeout` variable: the default deadline of a call (Go duration, e.g. `5s`). */
export const REQUEST_TIMEOUT_VAR = 'MICRO_CLIENT_REQUEST_TIMEOUT';
/** go-micro's default request timeout. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A Go duration (`1.5s`, `500ms`, `1m30s`) in milliseconds; a bare number is milliseconds. Anything else
 * throws a RangeError naming the variable: a typo must not become the default.
 */
export function parseDurationMs(text: string, name: string): number {
  const value = text.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  const parts = /^((\d+(\.\d+)?)(ms|s|m|h))+$/.test(value) ? [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)] : [];
  const ms = parts.reduce((sum, [, n, unit]) => sum + Number(n) * (UNIT_MS[unit as string] as number), 0);
  if (parts.length === 0 || !(ms > 0)) throw new RangeError(`${name} must be a positive Go duration such as 5s or 500ms; got ${JSON.stringify(text)}`);
  return ms;
}

/** The default deadline of the programs' calls: `MICRO_CLIENT_REQUEST_TIMEOUT`, else 5 s. */
export function requestTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[REQUEST_TIMEOUT_VAR];
  return text === undefined || text.trim() === '' ? DEFAULT_REQUEST_TIMEOUT_MS : parseDurationMs(text, REQUEST_TIMEOUT_VAR);
}
