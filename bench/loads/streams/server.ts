import type { Server, ServerWritableStream } from '@grpc/grpc-js';
import type { HandlerContext, KeelServer } from '../../../src/index';
import { payloadOf, StreamService, type Chunk, type FloodRequest } from './def';

/** keel's Flood: an async generator, as the README tells users to write one. */
export function addKeelFlood(server: KeelServer): void {
  server.addService(StreamService, {
    Flood: async function* ({ count, size }: FloodRequest, _ctx: HandlerContext): AsyncGenerator<Chunk> {
      const payload = payloadOf(size);
      for (let seq = 1; seq <= count; seq++) yield { seq, payload };
    },
  });
}

/**
 * The plain grpc-js Flood: writes until `write()` says the transport is full, then waits for `drain`,
 * as a careful grpc-js handler does (so both servers honour backpressure; neither buffers without bound).
 */
export function addGrpcFlood(server: Server): void {
  server.addService(StreamService.service as never, {
    Flood: (call: ServerWritableStream<FloodRequest, Chunk>) => {
      const { count, size } = call.request;
      const payload = payloadOf(size);
      let seq = 0;
      let cancelled = false;
      call.on('cancelled', () => (cancelled = true));
      const pump = (): void => {
        while (!cancelled && seq < count) {
          seq++;
          if (!call.write({ seq, payload })) {
            call.once('drain', pump);
            return;
          }
        }
        if (!cancelled) call.end();
      };
      pump();
    },
  });
}
