// What a service definition says about its methods, at the type level only: the call kind and the message
// types of each method, read from whatever createClient / addService were given. Nothing here exists at run time.
//
// Where the facts come from, per generator:
// - messages, for every generator: the (de)serializers. The client sends what `requestSerialize` takes and gets
//   what `responseDeserialize` returns; a handler gets what `requestDeserialize` returns and answers what
//   `responseSerialize` takes. For proto-loader-gen-types' `MethodDefinition<In, Out, InOutput, OutOutput>` that
//   is In / OutOutput on the client and InOutput / Out in a handler (a partial request compiles, a result has
//   every field); ts-proto and hand-written maps have one type per message, so both sides see the same.
// - the call kind: literal `requestStream` / `responseStream` flags when the definition has them (ts-proto's
//   `as const` definitions, hand-written maps that say so). proto-loader-gen-types types its flags `boolean`, but
//   the constructor it types (`proto.pkg.Service`) carries a client interface whose methods return
//   ClientUnaryCall / ClientReadableStream / ClientWritableStream / ClientDuplexStream: the kind is read there.
// - flags typed `boolean` with nothing else to go on: see `Fallback` below.
import type { ServiceDefinition } from '@grpc/grpc-js';
import type { HandlerContext } from './call/contract';
import type { CallOptions } from './client/call-options';

/** A client method of each kind; `Req` / `Res` are what the client sends and receives. */
interface ClientShapes<Req, Res> {
  unary: (request: Req, options?: CallOptions) => Promise<Res>;
  server_stream: (request: Req, options?: CallOptions) => AsyncIterable<Res>;
  client_stream: (requests: Iterable<Req> | AsyncIterable<Req>, options?: CallOptions) => Promise<Res>;
  bidi: (requests: Iterable<Req> | AsyncIterable<Req>, options?: CallOptions) => AsyncIterable<Res>;
  unknown: KindUnknownMethod;
}

/** A handler of each kind; `Req` / `Res` are what the handler receives and answers. */
interface HandlerShapes<Req, Res> {
  unary: (request: Req, ctx: HandlerContext) => Res | Promise<Res>;
  server_stream: (request: Req, ctx: HandlerContext) => AsyncIterable<Res> | Iterable<Res>;
  client_stream: (requests: AsyncIterable<Req>, ctx: HandlerContext) => Res | Promise<Res>;
  bidi: (requests: AsyncIterable<Req>, ctx: HandlerContext) => AsyncIterable<Res> | Iterable<Res>;
  unknown: KindUnknownMessage;
}

// A method keel cannot type must not compile as a guess (a stream typed as a promise is the bug this module
// exists to prevent), and the compiler's error should say why: a client method types `this` as the message, so
// the error at the call quotes it; a handler is typed as the message itself, so assigning a function quotes it.
type KindUnknownMessage =
  'keel: this definition types requestStream/responseStream as boolean, so the call kind is unknown: pass the generated constructor (proto.pkg.Service, not its .service) or give the flags literal types';
type KindUnknownMethod = (this: KindUnknownMessage, ...args: never[]) => never;

/** `createClient` / `addService` take a ServiceDefinition or anything carrying one as `.service`. */
type ServiceOf<D> = D extends { service: infer S } ? S : D;

// The method names a definition declares. proto-loader-gen-types' definitions extend grpc-js's ServiceDefinition,
// whose string index signature would otherwise make every name (`close` too) look like a method: that was the
// TS2554 on `client.close()`. A definition with only the index signature (an untyped one) declares none.
type MethodKey<S> = keyof {
  [K in keyof S as string extends K ? never : number extends K ? never : K extends string ? K : never]: 0;
};
// Each method answers to its definition key and its lowerCamel / Capitalized alias (see methodsOf in service-def.ts).
type Alias<K extends string> = K | Uncapitalize<K> | Capitalize<K>;

type ClientRequest<M> = M extends { requestSerialize: (value: infer T) => unknown } ? T : never;
type ClientResponse<M> = M extends { responseDeserialize: (bytes: any) => infer T } ? T : never;
type HandlerRequest<M> = M extends { requestDeserialize: (bytes: any) => infer T } ? T : never;
type HandlerResponse<M> = M extends { responseSerialize: (value: infer T) => unknown } ? T : never;

type KindOfFlags<RequestStream, ResponseStream> = RequestStream extends true
  ? ResponseStream extends true ? 'bidi' : 'client_stream'
  : ResponseStream extends true ? 'server_stream' : 'unary';

// Literal flags say the kind; `boolean` (or anything wider) says nothing.
type LiteralKind<M> = M extends { requestStream: infer A; responseStream: infer B }
  ? boolean extends A ? never : boolean extends B ? never : KindOfFlags<A, B>
  : never;

// The kind as the generated client interface has it: a method returning a stream with `serialize` writes
// requests, one with `deserialize` reads responses (these members tell grpc-js's four call types apart).
type ClientInterfaceOf<D> = D extends abstract new (...args: any) => infer C ? C : never;
type ConstructorKind<D, K> = K extends keyof ClientInterfaceOf<D>
  ? ClientInterfaceOf<D>[K] extends (...args: any) => infer R
    ? R extends { cancel(): void } ? KindOfFlags<R extends { serialize: unknown } ? true : false, R extends { deserialize: unknown } ? true : false> : never
    : never
  : never;

// Flags typed `boolean` and no client interface. A hand-written `MethodDefinition<Req, Res>` (grpc-js's type,
// which has only `boolean` flags) has always meant a unary method in keel, and examples are written so: it stays
// unary. proto-loader's MethodDefinition (recognised by its `requestType`) with boolean flags is what
// proto-loader-gen-types emits for every method, streams included, when only `.service` is passed: unknown.
type Fallback<M> = M extends { requestType: unknown } ? 'unknown' : 'unary';

type KindOf<D, M, K> = [LiteralKind<M>] extends [never]
  ? [ConstructorKind<D, K>] extends [never] ? Fallback<M> : ConstructorKind<D, K>
  : LiteralKind<M>;

type IsAny<T> = 0 extends 1 & T ? true : false;
// An untyped definition (`loadPackageDefinition` cast to ServiceClientConstructor, a grpc-js ServiceDefinition,
// `any`): there are no method names to check, so every name is allowed and typed `any`.
type IsUntyped<D> = IsAny<D> extends true ? true : [MethodKey<ServiceOf<D>>] extends [never] ? true : false;

type UntypedClient = { [method: string]: (request: any, options?: CallOptions) => any };
type TypedClient<D, S = ServiceOf<D>> = {
  [K in MethodKey<S> & string as Alias<K>]: ClientShapes<ClientRequest<S[K]>, ClientResponse<S[K]>>[KindOf<D, S[K], K>];
};
// `close()` unless an RPC answers to that name: then it is the RPC, and `closeClient(client)` closes.
type WithClose<C> = 'close' extends keyof C ? C : C & { close(): void };

/**
 * A keel client for definition `D`: a method per RPC under its definition key and its lowerCamel and Capitalized
 * aliases, typed by kind — unary `(request, options?) → Promise<Res>`, server stream `(request, options?) →
 * AsyncIterable<Res>`, client stream `(requests: Iterable | AsyncIterable, options?) → Promise<Res>`, bidi
 * `(requests, options?) → AsyncIterable<Res>` — and `close()` (stops the registry watch, closes the channels)
 * unless an RPC is named `close`: then use `closeClient(client)`. An untyped `D` gives `any` methods.
 * @example
 * const items = createClient(proto.items.Items, 'items'); // proto: ProtoGrpcType from proto-loader-gen-types
 * for await (const item of items.listItems({ prefix: 'a' })) console.log(item.name);
 */
export type KeelClient<D = ServiceDefinition> = IsUntyped<D> extends true ? UntypedClient & { close(): void } : WithClose<TypedClient<D>>;

/**
 * The handlers `server.addService(def, impl)` takes for definition `D`: each optional (a missing one answers
 * UNIMPLEMENTED), named by the definition key or its lowerCamel / Capitalized alias, typed by kind — unary
 * `(request, ctx) → Res | Promise<Res>`, server stream `(request, ctx) → AsyncIterable<Res> | Iterable<Res>`
 * (an `async function*`), client stream `(requests: AsyncIterable, ctx) → Res | Promise<Res>`, bidi
 * `(requests, ctx) → AsyncIterable<Res> | Iterable<Res>`. Unknown names do not compile for a typed `D`; the
 * default (an untyped definition) is any record of `(request: any, ctx) => unknown`.
 */
export type Implementation<D = ServiceDefinition> = IsUntyped<D> extends true
  ? Record<string, (request: any, ctx: HandlerContext) => unknown>
  : TypedImplementation<D>;
type TypedImplementation<D, S = ServiceOf<D>> = {
  [K in MethodKey<S> & string as Alias<K>]?: HandlerShapes<HandlerRequest<S[K]>, HandlerResponse<S[K]>>[KindOf<D, S[K], K>];
};
