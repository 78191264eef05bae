import { join } from 'node:path';
import { loadPackageDefinition, type GrpcObject, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { createServer, type HandlerContext, type Implementation, type KeelServer, type Registry, type ServerOptions } from '../../src/index';

/** The Items service (one method of each kind), loaded with proto-loader as an application would. */
export const Items = (loadPackageDefinition(loadSync(join(__dirname, '..', 'fixtures', 'items.proto'), { defaults: true }))
  .items as GrpcObject).Items as unknown as { service: ServiceDefinition };

export interface Item { id: number; name: string; payload?: Buffer }
export interface ListRequest { count: number; failAt?: number; fail_at?: number; size?: number }

/** What the Items handlers saw, so tests can assert on the server side. */
export interface ItemsProbe {
  server: KeelServer;
  id: string;
  /** Items the ListItems generator produced (yielded). */
  produced: number;
  /** ListItems generators whose `finally` ran. */
  finallyRan: number;
  /** Handler signals that aborted. */
  aborted: number;
  contexts: HandlerContext[];
}

/** A real Items server on 127.0.0.1:0; `impl` overrides methods. */
export async function startItems(registry: Registry, options: Partial<ServerOptions> = {}, impl: Implementation = {}): Promise<ItemsProbe> {
  const server = createServer({ name: 'items', registry, drainDelayMs: 0, ...options });
  const probe: ItemsProbe = { server, id: server.id, produced: 0, finallyRan: 0, aborted: 0, contexts: [] };
  const watch = (ctx: HandlerContext): void => {
    probe.contexts.push(ctx);
    if (ctx.signal.aborted) probe.aborted++; // cancelled before the handler ran
    else ctx.signal.addEventListener('abort', () => probe.aborted++);
  };
  server.addService(Items, {
    GetItem: ({ id }: { id: number }, ctx: HandlerContext) => {
      watch(ctx);
      return { id, name: `item ${id} from ${server.id}` };
    },
    ListItems: async function* ({ count, failAt, size }: ListRequest, ctx: HandlerContext) {
      watch(ctx);
      const payload = Buffer.alloc(size ?? 0, 1);
      try {
        for (let i = 1; i <= count; i++) {
          if (failAt && i === failAt) throw Object.assign(new Error('no more'), { code: 9, details: `failed at ${i}` });
          probe.produced++;
          yield { id: i, name: `item ${i} from ${server.id}`, payload };
        }
      } finally {
        probe.finallyRan++;
      }
    },
    Upload: async (items: AsyncIterable<Item>, ctx: HandlerContext) => {
      watch(ctx);
      let count = 0;
      let lastId = 0;
      for await (const item of items) {
        count++;
        lastId = item.id;
      }
      return { count, lastId };
    },
    Chat: async function* (messages: AsyncIterable<{ text: string; seq: number }>, ctx: HandlerContext) {
      watch(ctx);
      for await (const m of messages) yield { text: `echo ${m.text} from ${server.id}`, seq: m.seq };
    },
    ...impl,
  });
  await server.start();
  return probe;
}

/** Collects a stream into an array. */
export async function collect<T>(stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
}
