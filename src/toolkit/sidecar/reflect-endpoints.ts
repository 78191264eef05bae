import { Metadata, status, type ClientDuplexStream, type MethodDefinition, type ServiceDefinition, type ServiceError } from '@grpc/grpc-js';
import { fromJSON, loadFileDescriptorSetFromBuffer } from '@grpc/proto-loader';
import type { Endpoint } from '../../registry/registry';
import { endpointsOf } from '../../server/endpoints';
import { HEALTH_SERVICE } from '../../server/health-proto';
import { appClient } from './app-client';

/** The part of grpc.reflection (v1 and v1alpha are the same messages) a sidecar needs: list services, fetch their files. */
const MESSAGES = {
  ServerReflectionRequest: { fields: { list_services: { type: 'string', id: 7 }, file_containing_symbol: { type: 'string', id: 4 } } },
  ServerReflectionResponse: {
    fields: {
      file_descriptor_response: { type: 'FileDescriptorResponse', id: 4 },
      list_services_response: { type: 'ListServiceResponse', id: 6 },
      error_response: { type: 'ErrorResponse', id: 7 },
    },
  },
  FileDescriptorResponse: { fields: { file_descriptor_proto: { rule: 'repeated', type: 'bytes', id: 1 } } },
  ListServiceResponse: { fields: { service: { rule: 'repeated', type: 'ServiceResponse', id: 1 } } },
  ServiceResponse: { fields: { name: { type: 'string', id: 1 } } },
  ErrorResponse: { fields: { error_code: { type: 'int32', id: 1 }, error_message: { type: 'string', id: 2 } } },
  ServerReflection: {
    methods: { ServerReflectionInfo: { requestType: 'ServerReflectionRequest', requestStream: true, responseType: 'ServerReflectionResponse', responseStream: true } },
  },
};
const VERSIONS = ['v1', 'v1alpha'] as const;
const reflection = fromJSON({ nested: { grpc: { nested: { reflection: { nested: Object.fromEntries(VERSIONS.map((v) => [v, { nested: MESSAGES }])) } } } } } as never,
  { keepCase: true, defaults: true });

interface ReflectionResponse {
  file_descriptor_response?: { file_descriptor_proto: Buffer[] } | null;
  list_services_response?: { service: { name: string }[] } | null;
  error_response?: { error_code: number; error_message: string } | null;
}

/** Not the app's own API: the services every gRPC server may carry. */
const isInfrastructure = (name: string): boolean => name === HEALTH_SERVICE || name.startsWith('grpc.reflection.');

/**
 * The app's go-micro endpoints (what a keel server registers: `Service.Method` and message shapes), read
 * from its server reflection: list the services, fetch the files that define them, and describe their
 * methods with keel's own `endpointsOf`. Tries grpc.reflection.v1, then v1alpha (older servers). Resolves
 * to undefined when the app has no reflection; rejects on anything else (the app is down, a timeout).
 */
export async function reflectEndpoints(address: string, timeoutMs: number): Promise<Endpoint[] | undefined> {
  const client = appClient(address);
  try {
    for (const version of VERSIONS) {
      const method = (reflection[`grpc.reflection.${version}.ServerReflection`] as ServiceDefinition).ServerReflectionInfo!;
      const call = client.makeBidiStreamRequest(method.path, method.requestSerialize, method.responseDeserialize, new Metadata(),
        { deadline: Date.now() + timeoutMs }) as ClientDuplexStream<unknown, ReflectionResponse>;
      try {
        return await describeOver(call);
      } catch (err) {
        if ((err as ServiceError).code !== status.UNIMPLEMENTED) throw err;
      } finally {
        call.cancel();
      }
    }
    return undefined;
  } finally {
    client.close();
  }
}

async function describeOver(call: ClientDuplexStream<unknown, ReflectionResponse>): Promise<Endpoint[]> {
  const responses = call[Symbol.asyncIterator]() as AsyncIterator<ReflectionResponse>;
  const ask = async (request: object): Promise<ReflectionResponse> => {
    call.write(request);
    const next = await responses.next();
    if (next.done) throw new Error('the app closed the reflection stream');
    const error = next.value.error_response;
    if (error) throw Object.assign(new Error(`reflection: ${error.error_message}`), { code: error.error_code });
    return next.value;
  };
  const names = ((await ask({ list_services: '' })).list_services_response?.service ?? []).map((s) => s.name).filter((n) => !isInfrastructure(n));
  // The server sends each file once per stream (with the files it imports): collect them all.
  const files = new Map<string, Buffer>();
  for (const name of names) {
    for (const file of (await ask({ file_containing_symbol: name })).file_descriptor_response?.file_descriptor_proto ?? []) {
      files.set(file.toString('base64'), file);
    }
  }
  call.end();
  if (names.length === 0) return [];
  const pkg = loadFileDescriptorSetFromBuffer(descriptorSet([...files.values()]), { keepCase: true });
  const methods = names.flatMap((name) => Object.values((pkg[name] ?? {}) as ServiceDefinition)) as MethodDefinition<unknown, unknown>[];
  return endpointsOf(methods);
}

/** A serialized FileDescriptorSet: each file as field 1 (`repeated FileDescriptorProto file = 1`). */
function descriptorSet(files: Buffer[]): Buffer {
  const parts: Buffer[] = [];
  for (const file of files) {
    const length: number[] = [];
    for (let n = file.length; ; n >>>= 7) {
      if (n < 0x80) {
        length.push(n);
        break;
      }
      length.push((n & 0x7f) | 0x80);
    }
    parts.push(Buffer.from([0x0a, ...length]), file);
  }
  return Buffer.concat(parts);
}
