import { credentials, status, type MethodDefinition, type ServiceDefinition } from '@grpc/grpc-js';
import { loadFileDescriptorSetFromBuffer } from '@grpc/proto-loader';
import { FileDescriptorSet } from 'protobufjs/ext/descriptor';
import { type Endpoint, endpointsOf, HEALTH_SERVICE } from '../library';
import { reflect } from '../dynamic/reflection-client';

/** Not the app's own API: the services any gRPC server may carry. */
const isInfrastructure = (name: string): boolean => name === HEALTH_SERVICE || name.startsWith('grpc.reflection.');

/**
 * The app's go-micro endpoints, as a keel server registers its own (`Service.Method` and message shapes),
 * from the app's server reflection: the dynamic caller's reflection client fetches the files of every
 * service the app lists, and keel's `endpointsOf` describes their methods. Reflection describes whole
 * .proto services, whether the app implements every method or not. Resolves to undefined when the app has
 * no reflection; rejects on anything else (the app is down, the deadline passed).
 */
export async function reflectEndpoints(address: string, timeoutMs: number): Promise<Endpoint[] | undefined> {
  let reflected;
  try {
    // Its own subchannel pool: see app-client.ts.
    // The dynamic caller's default budget (files, bytes): an app describing without end cannot grow the sidecar.
    reflected = await reflect(address, credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 }, Date.now() + timeoutMs,
      { files: 1024, bytes: 16 * 1024 * 1024 });
  } catch (err) {
    if ((err as { code?: number }).code === status.UNIMPLEMENTED) return undefined;
    throw err;
  }
  const names = reflected.services.filter((name) => !isInfrastructure(name));
  if (names.length === 0) return [];
  const set = Buffer.from(FileDescriptorSet.encode(FileDescriptorSet.fromObject({ file: reflected.files })).finish());
  const pkg = loadFileDescriptorSetFromBuffer(set, { keepCase: true });
  const methods = names.flatMap((name) => Object.values((pkg[name] ?? {}) as ServiceDefinition)) as MethodDefinition<unknown, unknown>[];
  return endpointsOf(methods);
}
