import { join } from 'node:path';
import { loadPackageDefinition, Server, ServerCredentials, status, type GrpcObject, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';

// A gRPC app with no keel code: only grpc-js, proto-loader and (optionally) grpc-node's reflection package,
// as a team outside keel would write it. It is what `keel sidecar` is for.

const basisDef = loadSync(join(__dirname, '..', '..', '..', 'examples', 'basis', 'basis.proto'), { keepCase: true });
const healthDef = loadSync(join(__dirname, 'health.proto'), { keepCase: true, enums: String });
const basisService = ((loadPackageDefinition(basisDef).basis as GrpcObject).Basis as unknown as { service: ServiceDefinition }).service;
const healthService = (((loadPackageDefinition(healthDef).grpc as GrpcObject).health as GrpcObject).v1 as GrpcObject)
  .Health as unknown as { service: ServiceDefinition };

export type Status = 'SERVING' | 'NOT_SERVING';

export interface PlainApp {
  readonly address: string;
  readonly port: number;
  /** The status grpc.health.v1 reports for service "" (and `basis.Basis`). */
  setStatus(status: Status): void;
  /** Abrupt: connections dropped, listener closed, as when the process is killed. */
  kill(): void;
}

/** Starts the app on 127.0.0.1 (port 0: a free one). `health`: serve grpc.health.v1; `reflection`: serve server reflection. */
export async function startPlainApp(options: { health?: boolean; reflection?: boolean; port?: number } = {}): Promise<PlainApp> {
  const server = new Server();
  server.addService(basisService, {
    Hello: (call: { request: { name: string } }, callback: (err: null, value: { msg: string }) => void) =>
      callback(null, { msg: `Hello ${call.request.name} from the plain app` }),
  });
  let current: Status = 'SERVING';
  if (options.health) {
    server.addService(healthService.service, {
      Check: (call: { request: { service: string } }, callback: (err: { code: number; details: string } | null, value?: unknown) => void) => {
        if (call.request.service !== '' && call.request.service !== 'basis.Basis') {
          return callback({ code: status.NOT_FOUND, details: `unknown service ${call.request.service}` });
        }
        callback(null, { status: current });
      },
      Watch: (call: { end(): void }) => call.end(),
    });
  }
  if (options.reflection) new ReflectionService(basisDef).addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${options.port ?? 0}`, ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return {
    address: `127.0.0.1:${port}`,
    port,
    setStatus: (s) => (current = s),
    kill: () => server.forceShutdown(),
  };
}
