import { Enum, MapField, Type, type Field } from 'protobufjs';
import { jsonName } from './json-names';
import type { FieldShape, MessageShape } from './types';

/** Deep enough for a request people type; deeper levels (and recursion) are named, not expanded. */
const MAX_DEPTH = 3;

/** A message type as `describe` and the dashboard show it. */
export function shapeOf(type: Type, depth = 0, seen: ReadonlySet<Type> = new Set()): MessageShape {
  const inside = new Set(seen).add(type);
  return {
    name: fullName(type),
    fields: type.fieldsArray.map((field) => fieldShape(field.resolve(), depth, inside)),
  };
}

function fieldShape(field: Field, depth: number, seen: ReadonlySet<Type>): FieldShape {
  const resolved = field.resolvedType;
  const type = resolved === null ? field.type : fullName(resolved);
  const shape: { -readonly [K in keyof FieldShape]: FieldShape[K] } = { name: jsonName(field.name), type, repeated: field.repeated };
  if (field instanceof MapField) shape.map = { key: field.keyType, value: type };
  if (resolved instanceof Enum) shape.values = Object.keys(resolved.values);
  if (resolved instanceof Type && depth + 1 < MAX_DEPTH && !seen.has(resolved)) shape.shape = shapeOf(resolved, depth + 1, seen);
  return shape;
}

export function fullName(t: Type | Enum): string {
  return t.fullName.replace(/^\./, '');
}
