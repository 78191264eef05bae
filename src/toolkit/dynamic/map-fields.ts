import { MapField, Namespace, Type, type Field, type ReflectionObject } from 'protobufjs';

/**
 * protobufjs's `Root.fromDescriptor` leaves a map field as what the descriptor spells it — a repeated
 * `<Name>Entry { key = 1; value = 2; }` nested message — instead of a map, so `{ "labels": { "a": "b" } }`
 * would be refused as "not an array" and the JSON Schema would ask for entries. This turns every such field
 * back into a `MapField`, as parsing the .proto file gives (the wire format is the same).
 */
export function restoreMapFields(root: Namespace): void {
  const visit = (obj: ReflectionObject): void => {
    if (obj instanceof Type) {
      for (const field of [...obj.fieldsArray]) {
        if (!field.repeated || field instanceof MapField) continue;
        const entry = obj.nested?.[field.type.slice(field.type.lastIndexOf('.') + 1)];
        if (!(entry instanceof Type) || !entry.name.endsWith('Entry')) continue;
        const key = entry.fieldsArray.find((f) => f.id === 1);
        const value = entry.fieldsArray.find((f) => f.id === 2);
        if (entry.fieldsArray.length !== 2 || key?.name !== 'key' || value?.name !== 'value') continue;
        const oneof = field.partOf;
        obj.remove(field);
        const map = new MapField(field.name, field.id, key.type, value.type, field.options);
        obj.add(map);
        oneof?.add(map as unknown as Field);
      }
    }
    for (const child of (obj as Namespace).nestedArray ?? []) visit(child);
  };
  visit(root);
}
