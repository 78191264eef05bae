import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { credentials, loadPackageDefinition, type GrpcObject, type MethodDefinition, type ServiceClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { createServer, memoryRegistry, type KeelServer } from '../../src/index';
import { mapEntryName } from '../../src/server/descriptors';
import { Basis } from '../support/basis';
import { toolOrSkip } from '../support/external';
import { Items, startItems, type ItemsProbe } from '../support/items';

const grpcurl = toolOrSkip('grpcurl', 'server reflection');

/** Runs the real grpcurl against a plaintext server; resolves to its exit code and output. */
function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile(grpcurl as string, ['-plaintext', '-max-time', '5', ...args], (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? -1) : 0, out: stdout, err: stderr }));
  });
}

const started: KeelServer[] = [];
after(async () => {
  await Promise.all(started.map((s) => s.stop()));
});
const items = async (options = {}): Promise<ItemsProbe & { address: string }> => {
  const probe = await startItems(memoryRegistry(), { logger: false, ...options });
  started.push(probe.server);
  return { ...probe, address: probe.server.node?.address as string };
};

describe('server reflection on every keel server', { skip: grpcurl === undefined }, () => {
  it('grpcurl lists and describes the services with no -proto', async () => {
    const { address } = await items();
    const list = await run(address, 'list');
    assert.equal(list.code, 0, list.err);
    assert.deepEqual(list.out.trim().split('\n').sort(), ['grpc.health.v1.Health', 'items.Items']);

    const described = await run(address, 'describe', 'items.Items');
    assert.equal(described.code, 0, described.err);
    assert.match(described.out, /rpc GetItem \( \.items\.ItemRequest \) returns \( \.items\.Item \);/);
    assert.match(described.out, /rpc ListItems \( \.items\.ListRequest \) returns \( stream \.items\.Item \);/);
    assert.match(described.out, /rpc Chat \( stream \.items\.ChatMessage \) returns \( stream \.items\.ChatMessage \);/);

    const message = await run(address, 'describe', 'items.Item');
    assert.match(message.out, /message Item \{\s+int32 id = 1;\s+string name = 2;\s+bytes payload = 3;\s+\}/);
  });

  it('grpcurl calls a unary, a server-streaming and a bidi method with -d and no -proto', async () => {
    const { address, id } = await items();
    const unary = await run('-d', '{"id": 3}', address, 'items.Items/GetItem');
    assert.equal(unary.code, 0, unary.err);
    assert.deepEqual(JSON.parse(unary.out), { id: 3, name: `item 3 from ${id}` });

    const stream = await run('-d', '{"count": 3}', address, 'items.Items/ListItems');
    assert.equal(stream.code, 0, stream.err);
    const names = [...stream.out.matchAll(/"name": "([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(names, [1, 2, 3].map((i) => `item ${i} from ${id}`));

    const chat = await run('-d', '{"text": "a", "seq": 1} {"text": "b", "seq": 2}', address, 'items.Items/Chat');
    assert.equal(chat.code, 0, chat.err);
    assert.deepEqual([...chat.out.matchAll(/"text": "([^"]+)"/g)].map((m) => m[1]), [`echo a from ${id}`, `echo b from ${id}`]);

    const health = await run(address, 'grpc.health.v1.Health/List');
    assert.equal(health.code, 0, `a map field must describe (protoc's entry names): ${health.err}`);
    assert.deepEqual(JSON.parse(health.out), { statuses: { '': { status: 'SERVING' }, 'items.Items': { status: 'SERVING' } } });
  });

  it('answers v1alpha too, for older tools', async () => {
    const { address } = await items();
    const proto = join(require.resolve('@grpc/reflection'), '..', '..', 'proto', 'grpc', 'reflection', 'v1alpha', 'reflection.proto');
    const pkg = loadPackageDefinition(loadSync(proto, { keepCase: true })) as GrpcObject;
    const V1Alpha = (((pkg.grpc as GrpcObject).reflection as GrpcObject).v1alpha as GrpcObject).ServerReflection as ServiceClientConstructor;
    const client = new V1Alpha(address, credentials.createInsecure()) as unknown as { ServerReflectionInfo(): NodeJS.EventEmitter & { write(m: object): void; end(): void }; close(): void };
    const call = client.ServerReflectionInfo();
    const reply = new Promise<{ list_services_response?: { service: { name: string }[] } }>((resolve, reject) => {
      call.once('data', resolve);
      call.once('error', reject);
    });
    call.write({ list_services: '*' });
    const names = (await reply).list_services_response?.service.map((s) => s.name).sort();
    call.end();
    client.close();
    assert.deepEqual(names, ['grpc.health.v1.Health', 'items.Items']);
  });

  it('reflection: false serves none (grpcurl says so); health stays', async () => {
    const { address } = await items({ reflection: false });
    const list = await run(address, 'list');
    assert.notEqual(list.code, 0);
    assert.match(list.err, /does not support the reflection API/);
  });

  it('says at addService when a definition has no file descriptors (generated code), and leaves it out', async () => {
    // What grpc-tools' generated *_grpc_pb.js gives: methods with serializers but no proto-loader types.
    const bare: Record<string, MethodDefinition<unknown, unknown>> = {};
    for (const [key, m] of Object.entries(Basis.service as unknown as ServiceDefinition)) {
      const { requestType: _req, responseType: _res, ...rest } = m as MethodDefinition<unknown, unknown> & { requestType?: unknown; responseType?: unknown };
      bare[key] = rest as MethodDefinition<unknown, unknown>;
    }
    const warnings: string[] = [];
    const server = createServer({
      name: 'mixed', registry: memoryRegistry(), drainDelayMs: 0,
      logger: { info: () => undefined, warn: (m: string) => warnings.push(m), error: () => undefined },
    });
    started.push(server);
    server.addService(bare as unknown as ServiceDefinition, { Hello: () => ({ msg: 'hi' }) });
    assert.equal(warnings.length, 1, 'warned at addService, before start');
    assert.match(warnings[0] as string, /basis\.Basis has no protobuf file descriptors .*grpcurl needs -proto/);
    server.addService(Items, { GetItem: ({ id }: { id: number }) => ({ id, name: 'x' }) });
    const { address } = await server.start();
    const list = await run(address, 'list');
    assert.deepEqual(list.out.trim().split('\n').sort(), ['grpc.health.v1.Health', 'items.Items']);
    assert.equal(warnings.length, 1);
  });

  it('names map entries as protoc does', () => {
    assert.equal(mapEntryName('statuses'), 'StatusesEntry');
    assert.equal(mapEntryName('by_id'), 'ByIdEntry');
    assert.equal(mapEntryName('labels_by_node_id'), 'LabelsByNodeIdEntry');
  });
});
