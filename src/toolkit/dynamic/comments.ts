import { Service, Type, type Root } from 'protobufjs';
import type { IFileDescriptorProto } from 'protobufjs/ext/descriptor';

interface Location { path?: number[]; leadingComments?: string; trailingComments?: string }
interface Described { name?: string; field?: Array<{ name?: string }>; nestedType?: Described[]; method?: Array<{ name?: string }> }

// FileDescriptorProto field numbers (descriptor.proto): where a comment's `path` points.
const MESSAGE = 4;
const SERVICE = 6;
const FIELD = 2;
const NESTED = 3;
const METHOD = 2;

/**
 * Copies the comments a server's descriptors carry (`source_code_info`, which protoc keeps when asked and
 * most reflection servers strip) onto the methods and fields of `root`, where protobufjs keeps the comments
 * of a parsed .proto file: `Method.comment`, `Field.comment`. What the descriptors lack stays undefined.
 */
export function applySourceComments(root: Root, files: readonly IFileDescriptorProto[]): void {
  for (const file of files) {
    const info = (file as { sourceCodeInfo?: { location?: Location[] } }).sourceCodeInfo;
    if (!info?.location?.length) continue;
    const prefix = file.package ? `.${file.package}` : '';
    const byPath = new Map(info.location.map((l) => [(l.path ?? []).join('.'), commentOf(l)]));
    (file.service ?? []).forEach((svc: Described, si) => {
      const found = lookup(root, `${prefix}.${svc.name}`);
      if (!(found instanceof Service)) return;
      (svc.method ?? []).forEach((m, mi) => {
        const text = byPath.get([SERVICE, si, METHOD, mi].join('.'));
        const method = m.name === undefined ? undefined : found.methods[m.name];
        if (text && method) method.comment = text;
      });
    });
    const messages = (list: Described[] | undefined, path: number[], scope: string): void => {
      (list ?? []).forEach((msg, i) => {
        const at = [...path, i];
        const type = lookup(root, `${scope}.${msg.name}`);
        if (type instanceof Type) {
          (msg.field ?? []).forEach((f, fi) => {
            const text = byPath.get([...at, FIELD, fi].join('.'));
            const field = f.name === undefined ? undefined : type.fields[f.name];
            if (text && field) field.comment = text;
          });
        }
        messages(msg.nestedType, [...at, NESTED], `${scope}.${msg.name}`);
      });
    };
    messages((file as { messageType?: Described[] }).messageType, [MESSAGE], prefix);
  }
}

function commentOf(l: Location): string | undefined {
  const text = (l.leadingComments ?? l.trailingComments ?? '').split('\n').map((line) => line.trim()).join('\n').trim();
  return text === '' ? undefined : text;
}

function lookup(root: Root, name: string): unknown {
  try {
    return root.lookup(name);
  } catch {
    return null;
  }
}
