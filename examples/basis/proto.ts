import { loadPackageDefinition, type GrpcObject, type MethodDefinition, type ServiceClientConstructor } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { join } from 'node:path';

export interface HelloRequest {
  name: string;
}
export interface HelloResponse {
  msg: string;
}

/** The shape of the Basis service, so that clients are typed (`basis.hello(req)` → `Promise<HelloResponse>`). */
export type BasisService = { Hello: MethodDefinition<HelloRequest, HelloResponse> };

/** The Basis service definition, loaded from basis.proto (copied next to this file by the build). */
export const Basis = (loadPackageDefinition(loadSync(join(__dirname, 'basis.proto'), { keepCase: true }))
  .basis as GrpcObject).Basis as ServiceClientConstructor as unknown as { service: BasisService };
