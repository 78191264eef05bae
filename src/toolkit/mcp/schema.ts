import { Enum, MapField, Type, type Field } from 'protobufjs';
import { jsonName } from '../dynamic/json-names';
import { wellKnown } from '../dynamic/well-known';
import { fullName } from '../dynamic/shapes';

/** A JSON Schema (draft 2020-12) as a plain object. */
export type JsonSchema = Record<string, unknown>;

/** Nodes (properties, items, …) one schema may hold: a peer's descriptors cannot make an unbounded tool list. */
const MAX_NODES = 2000;

const INT32 = new Set(['int32', 'sint32', 'sfixed32']);
const UINT32 = new Set(['uint32', 'fixed32']);
const INT64 = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);

/**
 * The JSON Schema of `type` as keel's JSON codec reads it (input) or writes it (output): proto3 JSON names,
 * enums by name, 64-bit integers as decimal strings or numbers, bytes as base64, maps as objects, at most
 * one member of a oneof, the well-known types in their JSON forms. A message that contains itself is
 * described once under `$defs` and referenced. Field comments become descriptions.
 *
 * Input schemas are strict (no unknown properties) so that an agent sees a mistake before the call; output
 * schemas are lenient (every field may be null, more may come from a newer server), as a client validates
 * every result against them.
 */
export function messageSchema(type: Type, mode: 'input' | 'output'): JsonSchema {
  const builder = new Builder(mode);
  const schema = builder.message(type, []);
  return builder.defs.size === 0 ? schema : { ...schema, $defs: Object.fromEntries(builder.defs) };
}

class Builder {
  readonly defs = new Map<string, JsonSchema>();
  private nodes = 0;

  constructor(private readonly mode: 'input' | 'output') {}

  message(type: Type, ancestors: readonly Type[]): JsonSchema {
    const known = wellKnown(type);
    if (known !== undefined) return this.wellKnown(known, type);
    if (ancestors.includes(type)) return this.ref(type, ancestors);
    const inside = [...ancestors, type];
    const properties: Record<string, JsonSchema> = {};
    for (const field of type.fieldsArray) {
      if (++this.nodes > MAX_NODES) break; // the rest stays unnamed: additionalProperties says so below
      properties[jsonName(field.name)] = this.field(field.resolve(), inside);
    }
    const schema: JsonSchema = { type: 'object', properties };
    if (this.nodes <= MAX_NODES && this.mode === 'input') schema.additionalProperties = false;
    const oneofs = type.oneofsArray.filter((o) => o.fieldsArray.length > 1); // proto3 `optional` is a oneof of one
    if (oneofs.length > 0 && this.mode === 'input') {
      // proto3 JSON: at most one member of a oneof may be set.
      const pairs = oneofs.flatMap((o) => {
        const names = o.fieldsArray.map((f) => jsonName(f.name));
        return names.flatMap((a, i) => names.slice(i + 1).map((b) => ({ properties: { [a]: true, [b]: true }, required: [a, b] })));
      });
      schema.not = { anyOf: pairs };
    }
    return schema;
  }

  private ref(type: Type, ancestors: readonly Type[]): JsonSchema {
    const name = fullName(type);
    if (!this.defs.has(name)) {
      this.defs.set(name, {}); // placeholder: recursion inside the definition refers to it
      this.defs.set(name, this.message(type, []));
    }
    return { $ref: `#/$defs/${name}` };
  }

  private field(field: Field, inside: readonly Type[]): JsonSchema {
    let schema: JsonSchema;
    if (field instanceof MapField) {
      schema = { type: 'object', additionalProperties: this.single(field, inside) };
      if (field.keyType !== 'string') schema.propertyNames = { pattern: field.keyType === 'bool' ? '^(true|false)$' : '^-?[0-9]+$' };
    } else if (field.repeated) schema = { type: 'array', items: this.single(field, inside) };
    else schema = this.single(field, inside);
    const notes = [field.comment?.trim(), field.partOf && field.partOf.fieldsArray.length > 1
      ? `One of ${field.partOf.fieldsArray.map((f) => jsonName(f.name)).join(', ')} (set at most one).` : undefined].filter(Boolean);
    if (notes.length > 0) schema = { ...schema, description: notes.join(' ') };
    return this.mode === 'output' ? nullable(schema) : schema;
  }

  private single(field: Field, inside: readonly Type[]): JsonSchema {
    const resolved = field.resolvedType;
    if (resolved instanceof Type) return this.message(resolved, inside);
    if (resolved instanceof Enum) {
      const names = Object.keys(resolved.values);
      // Output is always by name; input takes the number too, as the codec does.
      return this.mode === 'output' ? { type: 'string', enum: names } : { anyOf: [{ type: 'string', enum: names }, { type: 'integer' }] };
    }
    return scalar(field.type, this.mode);
  }

  private wellKnown(kind: NonNullable<ReturnType<typeof wellKnown>>, type: Type): JsonSchema {
    switch (kind) {
      case 'Timestamp': return { type: 'string', format: 'date-time', description: 'RFC 3339, e.g. "2026-01-02T03:04:05Z"' };
      case 'Duration': return { type: 'string', pattern: '^-?[0-9]{1,12}(\\.[0-9]{1,9})?s$', description: 'seconds with an "s", e.g. "1.5s"' };
      case 'Empty': return { type: 'object', properties: {}, additionalProperties: false };
      case 'FieldMask': return { type: 'string', description: 'field paths, comma-separated, e.g. "user.displayName,photo"' };
      case 'Struct': return { type: 'object' };
      case 'ListValue': return { type: 'array' };
      case 'Value': return {};
      case 'Wrapper': return scalar(type.fields.value?.type ?? 'string', this.mode);
    }
  }
}

function scalar(t: string, mode: 'input' | 'output'): JsonSchema {
  if (t === 'string') return { type: 'string' };
  if (t === 'bool') return { type: 'boolean' };
  if (t === 'bytes') return { type: 'string', contentEncoding: 'base64' };
  if (INT32.has(t)) return { type: 'integer', minimum: -(2 ** 31), maximum: 2 ** 31 - 1 };
  if (UINT32.has(t)) return { type: 'integer', minimum: 0, maximum: 2 ** 32 - 1 };
  if (INT64.has(t)) {
    // Decimal strings keep all 64 bits (JSON numbers lose them past 2^53); the codec reads both, writes strings.
    const pattern = t.startsWith('u') || t === 'fixed64' ? '^[0-9]+$' : '^-?[0-9]+$';
    return mode === 'output' ? { type: 'string', pattern } : { anyOf: [{ type: 'integer' }, { type: 'string', pattern }] };
  }
  // proto3 JSON writes NaN and ±Infinity as strings, and reads them so.
  if (t === 'double' || t === 'float') return { anyOf: [{ type: 'number' }, { type: 'string', enum: ['NaN', 'Infinity', '-Infinity'] }] };
  return {};
}

/** Output: a field may be null (an unset message field is). */
function nullable(schema: JsonSchema): JsonSchema {
  if (Array.isArray(schema.enum)) return { ...schema, type: [schema.type, 'null'], enum: [...schema.enum, null] };
  if (typeof schema.type === 'string') return { ...schema, type: [schema.type, 'null'] };
  return { anyOf: [schema, { type: 'null' }] };
}
