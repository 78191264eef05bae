import { join } from 'node:path';
import { loadPackageDefinition, type GrpcObject, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { FileDescriptorProto } from 'protobufjs/ext/descriptor';
import { createServer, type KeelServer, type Registry } from '../../src/index';

export const ORDERS_PROTO = join(__dirname, '..', 'fixtures', 'orders.proto');

/**
 * The Orders service definition, loaded with proto-loader as an application would. With `comments`, its
 * file descriptor also carries `source_code_info` for Place and PlaceRequest.customer_id, as protoc writes
 * it with --include_source_info (proto-loader's descriptors carry none): what a reflection server that
 * keeps comments sends.
 */
export function ordersDefinition(comments = false): ServiceDefinition {
  const pkg = loadPackageDefinition(loadSync(ORDERS_PROTO, { defaults: true, longs: String, enums: String }));
  const service = ((pkg.shop as GrpcObject).v1 as GrpcObject).Orders as unknown as { service: ServiceDefinition };
  if (!comments) return service.service;
  type Described = { fileDescriptorProtos?: Uint8Array[] } | undefined;
  for (const method of Object.values(service.service) as Array<{ requestType?: Described; responseType?: Described }>) {
    for (const type of [method.requestType, method.responseType]) {
      if (type?.fileDescriptorProtos === undefined) continue;
      type.fileDescriptorProtos = type.fileDescriptorProtos.map((bytes) => {
        const file = FileDescriptorProto.decode(bytes) as unknown as {
          package?: string; sourceCodeInfo?: unknown;
          service?: Array<{ name: string; method: Array<{ name: string }> }>; messageType?: Array<{ name: string; field: Array<{ name: string }> }>;
        };
        if (file.package !== 'shop.v1') return bytes;
        const si = file.service!.findIndex((s) => s.name === 'Orders');
        const mi = file.service![si]!.method.findIndex((m) => m.name === 'Place');
        const ti = file.messageType!.findIndex((m) => m.name === 'PlaceRequest');
        // proto-loader names fields in lowerCamelCase unless keepCase.
        const fi = file.messageType![ti]!.field.findIndex((f) => f.name === 'customerId');
        file.sourceCodeInfo = { location: [
          { path: [6, si, 2, mi], span: [0, 0, 0], leadingComments: ' Places an order and answers it as stored.\n' },
          { path: [4, ti, 2, fi], span: [0, 0, 0], leadingComments: ' Who orders.\n' },
        ] };
        return FileDescriptorProto.encode(FileDescriptorProto.fromObject(file)).finish();
      });
    }
  }
  return service.service;
}

export interface OrdersServer { server: KeelServer; id: string; address: string; stop(): Promise<void> }

/** A real Orders server on 127.0.0.1:0 registered as `name` (default `orders`). */
export async function startOrders(registry: Registry, options: { name?: string; comments?: boolean } = {}): Promise<OrdersServer> {
  const server = createServer({ name: options.name ?? 'orders', registry, drainDelayMs: 0, logger: false });
  server.addService(ordersDefinition(options.comments ?? false), {
    Place: (req: Record<string, unknown>) => ({ id: `o-${String(req.customerId)}`, request: req, placedAt: { seconds: '1767225600', nanos: 500_000_000 }, totalCents: '1234567890123' }),
    List: async function* ({ customerId, count }: { customerId: string; count: number }) {
      for (let i = 1; i <= count; i++) yield { id: `${customerId}-${i}`, totalCents: String(i * 100) };
    },
    Upload: async (lines: AsyncIterable<{ quantity: number; priceCents: string }>) => {
      let count = 0;
      let total = 0n;
      for await (const line of lines) {
        count++;
        total += BigInt(line.priceCents) * BigInt(line.quantity);
      }
      return { count, totalCents: String(total) };
    },
    Chat: async function* (notes: AsyncIterable<{ text: string }>) {
      let seq = 0;
      for await (const note of notes) yield { text: `re: ${note.text}`, seq: ++seq };
    },
    Fail: () => {
      throw Object.assign(new Error('the shop is closed'), { code: 9, details: 'the shop is closed' });
    },
  });
  const { id, address } = await server.start();
  return { server, id, address, stop: () => server.stop() };
}
