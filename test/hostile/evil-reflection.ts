import { Server, ServerCredentials, type ServerDuplexStream } from '@grpc/grpc-js';
import { FileDescriptorProto } from 'protobufjs/ext/descriptor';
import { ReflectionRequest, ReflectionResponse, type ReflectionRequestMessage } from '../../src/toolkit/dynamic/reflection-wire';

/**
 * A hostile node (issue 20, row 4): its server reflection lists one service whose file imports a new file,
 * which imports a new file, and so on without end, each padded to `fileBytes`. A client without bounds keeps
 * fetching (396 fetches and 1.2 GB in 5 s before the fix). `fetches` counts the files it was asked for.
 */
export async function startEvilReflection(fileBytes = 3 * 1024 * 1024): Promise<{ address: string; fetches: () => number; stop: () => void }> {
  let fetches = 0;
  const file = (n: number): Uint8Array => FileDescriptorProto.encode(FileDescriptorProto.fromObject({
    name: `f${n}.proto`,
    package: 'evil',
    dependency: [`f${n + 1}.proto`],
    // Padding: a message type whose name is long enough to make the file `fileBytes`.
    messageType: [{ name: `M${n}${'x'.repeat(fileBytes)}` }],
    ...(n === 0 ? { service: [{ name: 'Evil', method: [{ name: 'Call', inputType: '.evil.M0', outputType: '.evil.M0' }] }] } : {}),
  })).finish();
  const server = new Server();
  const handler = (call: ServerDuplexStream<ReflectionRequestMessage, Buffer>): void => {
    call.on('data', (request: ReflectionRequestMessage) => {
      let response: object;
      if (request.list_services !== undefined && request.list_services !== null) response = { list_services_response: { service: [{ name: 'evil.Evil' }] } };
      else {
        const n = request.file_by_filename ? Number(/^f(\d+)\.proto$/.exec(request.file_by_filename)?.[1] ?? 0) : 0;
        fetches++;
        response = { file_descriptor_response: { file_descriptor_proto: [file(n)] } };
      }
      call.write(Buffer.from(ReflectionResponse.encode(ReflectionResponse.fromObject(response)).finish()));
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  };
  for (const service of ['grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection']) {
    server.register(`/${service}/ServerReflectionInfo`, handler as never, (b: Buffer) => b, (b: Buffer) => ReflectionRequest.toObject(ReflectionRequest.decode(b)) as never, 'bidi');
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  return { address: `127.0.0.1:${port}`, fetches: () => fetches, stop: () => server.forceShutdown() };
}
