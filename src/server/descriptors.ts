import { FileDescriptorProto, type IDescriptorProto, type IFileDescriptorProto } from 'protobufjs/ext/descriptor';

/** protoc's name for a map field's entry type: `statuses` → `StatusesEntry`, `by_id` → `ByIdEntry`. */
export function mapEntryName(field: string): string {
  return `${field.charAt(0).toUpperCase()}${field.slice(1).replace(/_(.)/g, (_, c: string) => c.toUpperCase())}Entry`;
}

function fixMessage(message: IDescriptorProto): void {
  for (const nested of message.nestedType ?? []) fixMessage(nested);
  for (const entry of message.nestedType ?? []) {
    if (entry.options?.mapEntry !== true || entry.name == null) continue;
    const field = message.field?.find((f) => f.typeName === entry.name || f.typeName?.endsWith(`.${entry.name}`));
    if (field?.name == null || field.typeName == null) continue;
    const name = mapEntryName(field.name);
    field.typeName = field.typeName.slice(0, field.typeName.length - entry.name.length) + name;
    entry.name = name;
  }
}

/**
 * The file descriptors as protoc would write them. protobufjs (under proto-loader) names a map field's
 * entry type `Statuses` instead of `StatusesEntry`, and Go's protobuf runtime (grpcurl) rejects such a
 * descriptor ("incorrect implicit map entry name"): every service with a map field would fail to describe.
 */
export function protocCompatible(files: readonly Uint8Array[]): Uint8Array[] {
  return files.map((bytes) => {
    const file = FileDescriptorProto.decode(bytes) as unknown as IFileDescriptorProto;
    if (!JSON.stringify(file.messageType ?? []).includes('"mapEntry":true')) return bytes;
    for (const message of file.messageType ?? []) fixMessage(message);
    return FileDescriptorProto.encode(file as never).finish();
  });
}
