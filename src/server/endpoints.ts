import type { MethodDefinition } from '@grpc/grpc-js';
import { FileDescriptorProto, type IDescriptorProto, type IFieldDescriptorProto, type IFileDescriptorProto } from 'protobufjs/ext/descriptor';
import type { Endpoint, EndpointValue } from '../registry/registry';
import { protocCompatible } from './descriptors';

/**
 * The go-micro endpoints of the methods a server implements, as go-micro's gRPC server derives them from
 * the Go code protoc-gen-go and protoc-gen-micro generate (server/grpc/extractor.go): name
 * `Service.Method`; request and response the Go struct of the message — its type name (`Outer_Inner` when
 * nested) and exported fields named by their json tag (the proto field name), three levels deep; a
 * server stream's response is the generated stream interface (`Service_MethodStream`), and a client or
 * bidi stream's handler takes only (ctx, stream), so go-micro records its request as `Context`; streams
 * carry metadata `{ stream: 'true' }`. Sorted by name, as go-micro's reflection lists methods.
 * Definitions without file descriptors (grpc-tools code) get the names with `null` shapes: enough for
 * `selector.FilterEndpoint`.
 */
export function endpointsOf(methods: ReadonlyArray<MethodDefinition<unknown, unknown>>): Endpoint[] {
  const types = messageIndex(methods);
  const out = methods.map((method): Endpoint => {
    const [, qualified = '', name = ''] = /^\/(.+)\/([^/]+)$/.exec(method.path) ?? [];
    const service = goCamelCase(qualified.slice(qualified.lastIndexOf('.') + 1));
    const rpc = types?.methods.get(method.path);
    const stream: EndpointValue = { name: `${service}_${goCamelCase(name)}Stream`, type: `${service}_${goCamelCase(name)}Stream`, values: null };
    const message = (typeName: string | undefined): EndpointValue | null =>
      (types === undefined || typeName === undefined ? null : valueOf(types, typeName, 0));
    const request = method.requestStream ? { name: 'Context', type: 'Context', values: null } : message(rpc?.inputType);
    const response = method.requestStream || method.responseStream ? stream : message(rpc?.outputType);
    const streaming = method.requestStream || method.responseStream;
    return { name: `${service}.${goCamelCase(name)}`, request, response, metadata: streaming ? { stream: 'true' } : {} };
  });
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

interface Index {
  /** `.pkg.Outer.Inner` → its descriptor and Go name (`Outer_Inner`). */
  messages: Map<string, { message: IDescriptorProto; goName: string }>;
  enums: Map<string, string>;
  methods: Map<string, { inputType?: string; outputType?: string }>;
}

function messageIndex(methods: ReadonlyArray<MethodDefinition<unknown, unknown>>): Index | undefined {
  const files = new Set<Uint8Array>();
  for (const method of methods) {
    const { requestType, responseType } = method as { requestType?: unknown; responseType?: unknown };
    for (const type of [requestType, responseType]) {
      const protos = (type as { fileDescriptorProtos?: unknown } | undefined)?.fileDescriptorProtos;
      if (!Array.isArray(protos)) return undefined;
      for (const file of protos as Uint8Array[]) files.add(file);
    }
  }
  const index: Index = { messages: new Map(), enums: new Map(), methods: new Map() };
  for (const bytes of protocCompatible([...files])) {
    const file = FileDescriptorProto.toObject(FileDescriptorProto.decode(bytes), { enums: Number }) as IFileDescriptorProto;
    const pkg = file.package ? `.${file.package}` : '';
    const addEnums = (scope: string, goScope: string, enums: IFileDescriptorProto['enumType']): void => {
      for (const e of enums ?? []) index.enums.set(`${scope}.${e.name}`, goScope + goCamelCase(e.name ?? ''));
    };
    const addMessages = (scope: string, goScope: string, messages: IDescriptorProto[] | null | undefined): void => {
      for (const message of messages ?? []) {
        const goName = goScope + goCamelCase(message.name ?? '');
        index.messages.set(`${scope}.${message.name}`, { message, goName });
        addMessages(`${scope}.${message.name}`, `${goName}_`, message.nestedType);
        addEnums(`${scope}.${message.name}`, `${goName}_`, message.enumType);
      }
    };
    addMessages(pkg, '', file.messageType);
    addEnums(pkg, '', file.enumType);
    for (const service of file.service ?? []) {
      for (const m of service.method ?? []) {
        index.methods.set(`/${file.package ? `${file.package}.` : ''}${service.name}/${m.name}`,
          { inputType: m.inputType ?? undefined, outputType: m.outputType ?? undefined });
      }
    }
  }
  return index;
}

/** Go reflect's type name of each scalar's field type (`bytes` is `[]byte`, a slice of `uint8`). */
const SCALARS: Record<number, string> = {
  1: 'float64', 2: 'float32', 3: 'int64', 4: 'uint64', 5: 'int32', 6: 'uint64', 7: 'uint32', 8: 'bool', 9: 'string',
  13: 'uint32', 15: 'int32', 16: 'int64', 17: 'int32', 18: 'int64',
};
const MESSAGE = 11;
const BYTES = 12;
const ENUM = 14;
const REPEATED = 3;

/** go-micro's extractValue: nothing at depth 3; a struct lists its fields, a slice is `[]Elem`. */
function valueOf(index: Index, typeName: string, depth: number): EndpointValue | null {
  if (depth === 3) return null;
  const found = index.messages.get(typeName);
  if (found === undefined) return { name: '', type: '', values: null };
  const values: EndpointValue[] = [];
  const oneofs = new Set<number>();
  const fields = found.message.field ?? [];
  for (const field of fields) {
    const oneof = field.oneofIndex;
    if (typeof oneof === 'number' && !synthetic(found.message, oneof, fields)) {
      // protoc-gen-go turns a oneof into one interface field (`isMsg_Choice`, no json tag) where its first member was.
      if (oneofs.has(oneof)) continue;
      oneofs.add(oneof);
      if (depth + 1 < 3) {
        const iface = `is${found.goName}_${goCamelCase(found.message.oneofDecl?.[oneof]?.name ?? '')}`;
        values.push({ name: iface, type: iface, values: null });
      }
      continue;
    }
    const value = fieldValue(index, field, typeName, depth + 1);
    if (value !== null) values.push({ ...value, name: protoName(field.name ?? '') });
  }
  return { name: found.goName, type: found.goName, values: values.length === 0 ? null : values };
}

function fieldValue(index: Index, field: IFieldDescriptorProto, scope: string, depth: number): EndpointValue | null {
  if (depth === 3) return null;
  const typeName = field.typeName ? resolve(index, field.typeName, scope) : '';
  const entry = index.messages.get(typeName);
  const type = entry !== undefined ? MESSAGE : index.enums.has(typeName) ? ENUM : (field.type as number);
  if (entry?.message.options?.mapEntry === true) return { name: '', type: '', values: null }; // a Go map's type has no name
  const elem = type === MESSAGE ? entry?.goName ?? '' : type === ENUM ? index.enums.get(typeName) ?? '' : type === BYTES ? '[]uint8' : SCALARS[type] ?? '';
  if (field.label === REPEATED) return { name: '', type: `[]${type === BYTES ? '' : elem}`, values: null };
  if (type === MESSAGE) return valueOf(index, typeName, depth);
  return { name: type === BYTES ? '' : elem, type: elem, values: null };
}

/**
 * A field's type as a full name. protoc writes `.pkg.Msg`; protobufjs keeps the name as the .proto file
 * spelled it (`Inner`, `Outer.Inner`), resolved like protobuf does: innermost scope first, then outwards.
 */
function resolve(index: Index, typeName: string, scope: string): string {
  if (typeName.startsWith('.')) return typeName;
  for (let at = scope; ; at = at.slice(0, Math.max(0, at.lastIndexOf('.')))) {
    const candidate = `${at}.${typeName}`;
    if (index.messages.has(candidate) || index.enums.has(candidate)) return candidate;
    if (at === '') return typeName;
  }
}

/**
 * The json tag protoc-gen-go writes is the field's name in the .proto file. proto-loader without
 * `keepCase` hands over camelCased names (`intervalMs`); snake_case is the proto style (and what `keepCase`
 * keeps), so the camel humps go back to underscores.
 */
function protoName(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, (_, a: string, b: string) => `${a}_${b.toLowerCase()}`);
}

/** A proto3 `optional` field's oneof (one member, name `_field`): a plain pointer field in Go, not an interface. */
function synthetic(message: IDescriptorProto, oneof: number, fields: IFieldDescriptorProto[]): boolean {
  const members = fields.filter((f) => f.oneofIndex === oneof);
  return members.length === 1 && ((members[0] as { proto3Optional?: boolean }).proto3Optional === true ||
    message.oneofDecl?.[oneof]?.name === `_${members[0]?.name}`);
}

/** protoc-gen-go's GoCamelCase: `interval_ms` → `IntervalMs`, `.` → `_`, a leading `_` → `X`. */
export function goCamelCase(s: string): string {
  let out = '';
  const lower = (c: string | undefined): boolean => c !== undefined && c >= 'a' && c <= 'z';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c === '.' && lower(s[i + 1])) continue;
    if (c === '.') out += '_';
    else if (c === '_' && (i === 0 || s[i - 1] === '.')) out += 'X';
    else if (c === '_' && lower(s[i + 1])) continue;
    else if (c >= '0' && c <= '9') out += c;
    else {
      out += lower(c) ? c.toUpperCase() : c;
      while (lower(s[i + 1])) out += s[++i];
    }
  }
  return out;
}
