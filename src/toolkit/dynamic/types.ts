import { type CallKind, type ClientTlsOptions, type ClientWrapper, type Registry } from '../library';

/** A message type as people read it: JSON field names (proto3 JSON mapping), types, nesting. */
export interface MessageShape {
  /** Full protobuf name, e.g. `keel.basis.HelloRequest`. */
  readonly name: string;
  readonly fields: readonly FieldShape[];
}

export interface FieldShape {
  /** The proto3 JSON name (lowerCamelCase); requests accept the proto name too. */
  readonly name: string;
  /** `string`, `int64`, `bool`, … or the full name of a message or enum type. */
  readonly type: string;
  readonly repeated: boolean;
  /** For map fields: key and value types (`repeated` is false). */
  readonly map?: { readonly key: string; readonly value: string };
  /** Nested message fields, a few levels deep; undefined past that and for recursive types. */
  readonly shape?: MessageShape;
  /** Enum value names, for enum fields. */
  readonly values?: readonly string[];
}

/** One method of a registered service, resolved from server reflection or a .proto file. */
export interface DynamicMethod {
  /** The registered service name (`basis`). */
  readonly service: string;
  /** go-micro's endpoint name: `Basis.Hello`. */
  readonly endpoint: string;
  /** The gRPC path: `/keel.basis.Basis/Hello`. */
  readonly path: string;
  readonly kind: CallKind;
  readonly request: MessageShape;
  readonly response: MessageShape;
  /** Where the descriptor came from. */
  readonly source: 'reflection' | 'proto';
}

export interface DynamicCallerOptions {
  registry: Registry;
  /** The wrappers every call goes through. Default: `wrapClient(retry(), leastLoaded(), breaker({ scope: 'node' }), tracing())`. */
  wrap?: ClientWrapper;
  tls?: ClientTlsOptions;
  /** .proto files to use when a service has no reflection (the fallback), and their import paths. */
  protoFiles?: readonly string[];
  protoPaths?: readonly string[];
  /** Default deadline of unary calls. Default 5000. */
  timeoutMs?: number;
  /** Files one describe may fetch by reflection, over the nodes it asks (each ask for a missing import counts too). Default 1024. */
  maxReflectionFiles?: number;
  /** Descriptor bytes one describe may fetch by reflection. Default 16 MiB. A describe past either limit fails (RESOURCE_EXHAUSTED) and is remembered for 2 s. */
  maxReflectionBytes?: number;
}

export interface DynamicCallOptions {
  timeoutMs?: number;
  metadata?: Readonly<Record<string, string | readonly string[]>>;
  signal?: AbortSignal;
}
