import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import type { ResolvedMethod } from './catalog';
import { decodeJson } from './json-codec';

/**
 * A grpc-js service definition of `methods`: requests arrive already encoded (JSON is checked before
 * the call starts, so a bad field is INVALID_ARGUMENT without touching the network), responses leave as JSON.
 */
export function definitionOf(methods: readonly ResolvedMethod[]): ServiceDefinition {
  return Object.fromEntries(methods.map((m) => [m.name, methodDefinition(m)])) as ServiceDefinition;
}

function methodDefinition(m: ResolvedMethod): MethodDefinition<Buffer, unknown> {
  const method: MethodDefinition<Buffer, unknown> & { options?: object } = {
    path: m.path,
    requestStream: m.kind === 'client_stream' || m.kind === 'bidi',
    responseStream: m.kind === 'server_stream' || m.kind === 'bidi',
    requestSerialize: (b: Buffer) => b,
    requestDeserialize: (b: Buffer) => b,
    responseSerialize: () => Buffer.alloc(0),
    responseDeserialize: (b: Buffer) => decodeJson(m.responseType, b),
    originalName: m.name,
  };
  // retry() and hedge() read the proto's idempotency_level here, as they do from proto-loader's definitions.
  if (m.idempotency !== undefined) method.options = { idempotency_level: m.idempotency };
  return method;
}
