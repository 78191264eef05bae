import type { Type } from 'protobufjs';
import { toolkitError } from '../errors';

/**
 * The proto3 JSON forms of the well-known types (google/protobuf/*.proto), which the generic mapping would
 * get wrong: a Timestamp is `"2026-01-02T03:04:05.5Z"`, not `{ seconds, nanos }`; a wrapper is its bare
 * value; a Struct is any JSON object. The MCP gateway's JSON Schemas describe exactly these forms.
 */
export type WellKnown = 'Timestamp' | 'Duration' | 'Wrapper' | 'Struct' | 'Value' | 'ListValue' | 'Empty' | 'FieldMask';

const WRAPPERS = new Set(['DoubleValue', 'FloatValue', 'Int64Value', 'UInt64Value', 'Int32Value', 'UInt32Value', 'BoolValue', 'StringValue', 'BytesValue']);
const OTHERS = new Set(['Timestamp', 'Duration', 'Struct', 'Value', 'ListValue', 'Empty', 'FieldMask']);
/** JSON nested deeper than this in a Struct is refused: recursion on a peer's or a caller's input stays bounded. */
const MAX_DEPTH = 64;

/** Which well-known type `type` is, if it is one. */
export function wellKnown(type: Type): WellKnown | undefined {
  const name = type.fullName.replace(/^\./, '');
  if (!name.startsWith('google.protobuf.')) return undefined;
  const short = name.slice('google.protobuf.'.length);
  if (WRAPPERS.has(short)) return 'Wrapper';
  return OTHERS.has(short) ? (short as WellKnown) : undefined;
}

/**
 * JSON → the plain object protobufjs's `fromObject` takes. `scalar` converts a wrapper's value as the codec
 * converts any field of that type (the wrapper's `value` field is passed).
 */
export function wellKnownFromJson(kind: WellKnown, json: unknown, path: string, scalar: (value: unknown, path: string) => unknown): unknown {
  switch (kind) {
    case 'Wrapper': return { value: scalar(json, path) };
    case 'Timestamp': return timestampFromJson(json, path);
    case 'Duration': return durationFromJson(json, path);
    case 'Empty':
      if (json === null || typeof json !== 'object' || Array.isArray(json) || Object.keys(json).length > 0) bad(path, 'expected {} (google.protobuf.Empty)');
      return {};
    case 'FieldMask':
      if (typeof json !== 'string') bad(path, 'expected a field mask string, e.g. "user.displayName,photo"');
      return { paths: json === '' ? [] : json.split(',').map((p) => p.trim().replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)) };
    case 'Struct':
      if (json === null || typeof json !== 'object' || Array.isArray(json)) bad(path, 'expected a JSON object (google.protobuf.Struct)');
      return structFromJson(json as Record<string, unknown>, path, 0);
    case 'ListValue':
      if (!Array.isArray(json)) bad(path, 'expected a JSON array (google.protobuf.ListValue)');
      return { values: json.map((v, i) => valueFromJson(v, `${path}[${i}]`, 1)) };
    case 'Value': return valueFromJson(json, path, 0);
  }
}

/** protobufjs's `toObject` output (longs and bytes as strings, defaults set) → the JSON form. */
export function wellKnownToJson(kind: WellKnown, object: Record<string, unknown> | null | undefined): unknown {
  if (object === null || object === undefined) return null;
  switch (kind) {
    case 'Wrapper': return object.value;
    case 'Timestamp': return timestampToJson(Number(object.seconds ?? 0), Number(object.nanos ?? 0));
    case 'Duration': return durationToJson(String(object.seconds ?? '0'), Number(object.nanos ?? 0));
    case 'Empty': return {};
    case 'FieldMask': return ((object.paths as string[] | undefined) ?? []).map((p) => p.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())).join(',');
    case 'Struct': return structToJson(object);
    case 'ListValue': return ((object.values as Record<string, unknown>[] | undefined) ?? []).map(valueToJson);
    case 'Value': return valueToJson(object);
  }
}

function bad(path: string, what: string): never {
  throw toolkitError('bad_request', `request${path}: ${what}`);
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i;

function timestampFromJson(json: unknown, path: string): { seconds: string; nanos: number } {
  const m = typeof json === 'string' ? RFC3339.exec(json) : null;
  const ms = m === null ? NaN : Date.parse(`${m[1]}${m[3]!.toUpperCase()}`);
  if (m === null || !Number.isFinite(ms)) bad(path, `expected an RFC 3339 timestamp such as "2026-01-02T03:04:05Z", got ${JSON.stringify(json)?.slice(0, 40)}`);
  const seconds = Math.floor(ms / 1000);
  // Proto's range: 0001-01-01 to 9999-12-31.
  if (seconds < -62135596800 || seconds > 253402300799) bad(path, 'timestamp out of range');
  return { seconds: String(seconds), nanos: Number((m[2] ?? '').padEnd(9, '0')) };
}

function timestampToJson(seconds: number, nanos: number): string {
  const iso = new Date(seconds * 1000).toISOString().replace('.000Z', '');
  return `${iso}${fraction(nanos)}Z`;
}

const DURATION = /^(-)?(\d{1,12})(?:\.(\d{1,9}))?s$/;

function durationFromJson(json: unknown, path: string): { seconds: string; nanos: number } {
  const m = typeof json === 'string' ? DURATION.exec(json) : null;
  if (m === null) bad(path, `expected a duration such as "1.5s", got ${JSON.stringify(json)?.slice(0, 40)}`);
  const sign = m[1] === '-' ? -1 : 1;
  const nanos = Number((m[3] ?? '').padEnd(9, '0'));
  return { seconds: `${sign < 0 && m[2] !== '0' ? '-' : ''}${m[2]}`, nanos: sign * nanos };
}

function durationToJson(seconds: string, nanos: number): string {
  const negative = seconds.startsWith('-') || nanos < 0;
  return `${negative ? '-' : ''}${seconds.replace(/^-/, '')}${fraction(Math.abs(nanos))}s`;
}

/** `.5`, `.123`, `.123456`, `.123456789`: 0, 3, 6 or 9 digits, as proto3 JSON prints them. */
function fraction(nanos: number): string {
  if (nanos === 0) return '';
  const digits = String(nanos).padStart(9, '0');
  return `.${digits.endsWith('000000') ? digits.slice(0, 3) : digits.endsWith('000') ? digits.slice(0, 6) : digits}`;
}

function structFromJson(json: Record<string, unknown>, path: string, depth: number): { fields: Record<string, unknown> } {
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(json)) fields[k] = valueFromJson(v, `${path}.${k}`, depth + 1);
  return { fields };
}

function valueFromJson(json: unknown, path: string, depth: number): Record<string, unknown> {
  if (depth > MAX_DEPTH) bad(path, `nested deeper than ${MAX_DEPTH} levels`);
  if (json === null) return { nullValue: 0 };
  if (typeof json === 'number') {
    if (!Number.isFinite(json)) bad(path, 'a Value cannot hold NaN or Infinity');
    return { numberValue: json };
  }
  if (typeof json === 'string') return { stringValue: json };
  if (typeof json === 'boolean') return { boolValue: json };
  if (Array.isArray(json)) return { listValue: { values: json.map((v, i) => valueFromJson(v, `${path}[${i}]`, depth + 1)) } };
  if (typeof json === 'object') return { structValue: structFromJson(json as Record<string, unknown>, path, depth) };
  return bad(path, `not JSON: ${typeof json}`);
}

function structToJson(object: Record<string, unknown>): Record<string, unknown> {
  const fields = (object.fields as Record<string, Record<string, unknown>> | undefined) ?? {};
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, valueToJson(v)]));
}

function valueToJson(v: Record<string, unknown> | null | undefined): unknown {
  if (v === null || v === undefined) return null;
  // `kind` is the oneof's virtual field (decoded with `oneofs: true`): which of the fields is set.
  switch (v.kind) {
    case 'structValue': return structToJson(v.structValue as Record<string, unknown>);
    case 'listValue': return wellKnownToJson('ListValue', v.listValue as Record<string, unknown>);
    case 'numberValue': case 'stringValue': case 'boolValue': return v[v.kind];
    default: return null;
  }
}
