import { Enum, MapField, Type, type Field, type IConversionOptions } from 'protobufjs';
import { keelError } from '../../errors';
import { jsonName } from './json-names';

const TO_JSON: IConversionOptions = { longs: String, enums: String, bytes: String, defaults: true, arrays: true, objects: true };

const INTEGER = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);
const LONG = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const FLOAT = new Set(['double', 'float']);

/**
 * Encodes a JSON request as `type` (proto3 JSON mapping: lowerCamelCase or proto names, 64-bit integers as
 * numbers or strings, enums by name or number, bytes as base64). Anything that does not fit is a
 * `bad_request` naming the field, never a silently coerced value ("[object Object]" for a string field).
 */
export function encodeJson(type: Type, json: unknown): Buffer {
  const plain = toProtoNames(type, json, '');
  return Buffer.from(type.encode(type.fromObject(plain)).finish());
}

/** Decodes `bytes` as `type` into JSON: lowerCamelCase names, defaults emitted, int64 as strings, enums by name. */
export function decodeJson(type: Type, bytes: Uint8Array): unknown {
  return toJsonNames(type, type.toObject(type.decode(bytes), TO_JSON));
}

function bad(path: string, what: string): never {
  throw keelError('bad_request', `request${path}: ${what}`);
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
  if (resolved instanceof Type) return toProtoNames(resolved, value, path);
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

function toJsonNames(type: Type, object: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    if (!(field.name in object)) continue;
    const value = object[field.name];
    const resolved = field.resolve().resolvedType;
    let converted = value;
    if (resolved instanceof Type && value !== null && value !== undefined) {
      const one = (v: unknown): unknown => toJsonNames(resolved, v as Record<string, unknown>);
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
