import { type EndpointValue } from '../library';
import type { FieldShape, MessageShape } from '../dynamic/types';

/**
 * Message shapes on one line, as people read a request they are about to type:
 * `keel.basis.HelloRequest { name: string }`, nested messages in braces, `[]` for repeated fields.
 */
export function shapeText(shape: MessageShape): string {
  return shape.fields.length === 0 ? `${shape.name} {}` : `${shape.name} { ${shape.fields.map(fieldText).join(', ')} }`;
}

function fieldText(f: FieldShape): string {
  let type = f.map !== undefined ? `map<${f.map.key}, ${f.map.value}>` : f.type;
  if (f.shape !== undefined && f.map === undefined) type = shapeText(f.shape);
  else if (f.values !== undefined) type = `${f.type}(${f.values.join('|')})`;
  return `${f.name}: ${f.repeated ? `${type}[]` : type}`;
}

/** A go-micro registry value (`{ name, type, values }`, Go types) the same way: `HelloRequest { name: string }`. */
export function valueText(value: EndpointValue | null): string {
  if (value === null) return '-';
  const fields = value.values ?? [];
  if (fields.length === 0) return value.type;
  return `${value.type} { ${fields.map((f) => `${f.name}: ${valueText(f)}`).join(', ')} }`;
}
