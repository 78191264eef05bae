import { Enum, MapField, Type, type Field, type IConversionOptions } from 'protobufjs';
import { jsonName } from './json-names';
import { wellKnown, wellKnownFromJson, wellKnownToJson } from './well-known';
import { toolkitError } from '../errors';

// `oneofs`: google.protobuf.Value says which of its fields is set (the virtual fields are not copied otherwise).
// `json`: NaN and ±Infinity as the strings proto3 JSON uses (JSON has no such numbers).
const TO_JSON: IConversionOptions = { longs: String, enums: String, bytes: String, defaults: true, arrays: true, objects: true, oneofs: true, json: true };

const INTEGER = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const LONG = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const FLOAT = new Set(['double', 'float']);

/**
 * Encodes a JSON request as `type` (proto3 JSON mapping: lowerCamelCase or proto names, 64-bit integers as
 * numbers or strings, enums by name or number, bytes as base64). Anything that does not fit is a
 * `bad_request` naming the field, never a silently coerced value ("[object Object]" for a string field).
 */
export function encodeJson(type: Type, json: unknown): Buffer {
  const known = wellKnown(type);
  const plain = known === undefined ? toProtoNames(type, json, '') : wellKnownObject(type, json, '');
  return Buffer.from(type.encode(type.fromObject(plain)).finish());
}

/** Decodes `bytes` as `type` into JSON: lowerCamelCase names, defaults emitted, int64 as strings, enums by name. */
export function decodeJson(type: Type, bytes: Uint8Array): unknown {
  return toJsonNames(type, type.toObject(type.decode(bytes), TO_JSON));
}

/** A well-known type's JSON form (`"1.5s"`, `"2026-01-02T03:04:05Z"`, a bare wrapped value) as protobufjs takes it. */
function wellKnownObject(type: Type, json: unknown, path: string): Record<string, unknown> {
  const valueField = type.fields.value?.resolve();
  const plain = wellKnownFromJson(wellKnown(type)!, json, path, (v, at) => (valueField === undefined ? v : single(valueField, v, at)));
  return protoNamed(type, plain as Record<string, unknown>);
}

/**
 * The well-known types' fields are lowerCamelCase in protobufjs's bundled copies and snake_case in
 * descriptors from reflection: rename (recursively) to whichever `type` has.
 */
function protoNamed(type: Type, plain: Record<string, unknown>): Record<string, unknown> {
  const byJson = new Map(type.fieldsArray.map((f) => [jsonName(f.name), f.resolve()]));
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(plain)) {
    const field = byJson.get(key) ?? byJson.get(jsonName(key));
    if (field === undefined) continue;
    const sub = field.resolvedType;
    const one = (v: unknown): unknown => (sub instanceof Type && v !== null && typeof v === 'object' ? protoNamed(sub, v as Record<string, unknown>) : v);
    out[field.name] = field instanceof MapField ? Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, one(v)]))
      : field.repeated && Array.isArray(value) ? value.map(one) : one(value);
  }
  return out;
}

function bad(path: string, what: string): never {
  throw toolkitError('bad_request', `request${path}: ${what}`);
}

function fieldsByName(type: Type): Map<string, Field> {
  const byName = new Map<string, Field>();
  for (const field of type.fieldsArray) {
    byName.set(field.name, field);
    byName.set(jsonName(field.name), field);
  }
  return byName;
}

function toProtoNames(type: Type, json: unknown, path: string): Record<string, unknown> {
  if (json === null || json === undefined) return {};
  if (typeof json !== 'object' || Array.isArray(json)) bad(path, `expected an object for ${type.name}, got ${kind(json)}`);
  const byName = fieldsByName(type);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(json as Record<string, unknown>)) {
    const field = byName.get(key)?.resolve();
    if (field === undefined) bad(path, `${type.name} has no field "${key}" (fields: ${type.fieldsArray.map((f) => jsonName(f.name)).join(', ') || 'none'})`);
    const at = `${path}.${key}`;
    if (value === null) continue; // proto3 JSON: null is the default
    if (field instanceof MapField) {
      if (typeof value !== 'object' || Array.isArray(value)) bad(at, `expected an object (a map), got ${kind(value)}`);
      const map: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) map[k] = single(field, v, `${at}.${k}`);
      out[field.name] = map;
    } else if (field.repeated) {
      if (!Array.isArray(value)) bad(at, `expected an array, got ${kind(value)}`);
      out[field.name] = (value as unknown[]).map((v, i) => single(field, v, `${at}[${i}]`));
    } else out[field.name] = single(field, value, at);
  }
  return out;
}

function single(field: Field, value: unknown, path: string): unknown {
  const resolved = field.resolvedType;
  if (resolved instanceof Type) return wellKnown(resolved) === undefined ? toProtoNames(resolved, value, path) : wellKnownObject(resolved, value, path);
  if (resolved instanceof Enum) {
    if (typeof value === 'string' && value in resolved.values) return value;
    if (typeof value === 'number' && Number.isInteger(value)) return value;
    bad(path, `expected one of ${Object.keys(resolved.values).join(', ')}, got ${JSON.stringify(value)}`);
  }
  const t = field.type;
  if (t === 'string') return typeof value === 'string' ? value : bad(path, `expected a string, got ${kind(value)}`);
  if (t === 'bool') return typeof value === 'boolean' ? value : bad(path, `expected true or false, got ${kind(value)}`);
  if (t === 'bytes') {
    if (typeof value !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(value)) bad(path, 'expected base64 bytes');
    return Buffer.from(value as string, 'base64');
  }
  if (INTEGER.has(t) || LONG.has(t)) {
    const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : bad(path, `expected an integer, got ${kind(value)}`);
    if (!/^-?\d+$/.test(text) || (t.startsWith('u') || t.startsWith('fixed')) && text.startsWith('-')) bad(path, `expected ${t.startsWith('u') || t.startsWith('fixed') ? 'an unsigned' : 'an'} integer, got ${JSON.stringify(value)}`);
    if (INTEGER.has(t)) {
      const n = Number(text);
      const limit = t.startsWith('u') || t === 'fixed32' ? [0, 2 ** 32 - 1] : [-(2 ** 31), 2 ** 31 - 1];
      if (n < limit[0]! || n > limit[1]!) bad(path, `${text} is out of range for ${t}`);
      return n;
    }
    const big = BigInt(text);
    const signed = !(t.startsWith('u') || t === 'fixed64');
    if (signed ? big < -(2n ** 63n) || big >= 2n ** 63n : big >= 2n ** 64n) bad(path, `${text} is out of range for ${t}`);
    return text; // protobufjs reads decimal strings into Longs exactly
  }
  if (FLOAT.has(t)) {
    if (typeof value === 'number') return value;
    if (value === 'NaN' || value === 'Infinity' || value === '-Infinity') return Number(value);
    if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
    bad(path, `expected a number, got ${kind(value)}`);
  }
  return value;
}

function toJsonNames(type: Type, object: Record<string, unknown>, plain = false): unknown {
  const known = plain ? undefined : wellKnown(type);
  if (known !== undefined) return object === null || object === undefined ? null : wellKnownToJson(known, toJsonNames(type, object, true) as Record<string, unknown>);
  const out: Record<string, unknown> = {};
  if (plain) {
    // The oneofs' virtual fields (which member is set), by JSON name: google.protobuf.Value needs its `kind`.
    for (const oneof of type.oneofsArray) if (typeof object[oneof.name] === 'string') out[oneof.name] = jsonName(object[oneof.name] as string);
  }
  for (const field of type.fieldsArray) {
    if (!(field.name in object)) continue;
    const value = object[field.name];
    const resolved = field.resolve().resolvedType;
    let converted = value;
    if (resolved instanceof Type && value !== null && value !== undefined) {
      const one = (v: unknown): unknown => toJsonNames(resolved, v as Record<string, unknown>, plain);
      if (field instanceof MapField) converted = Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, one(v)]));
      else if (field.repeated) converted = (value as unknown[]).map(one);
      else converted = one(value);
    }
    out[jsonName(field.name)] = converted;
  }
  return out;
}

function kind(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)?.slice(0, 40)}`;
}
