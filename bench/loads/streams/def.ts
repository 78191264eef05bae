import { loadPackageDefinition, type GrpcObject, type MethodDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { join } from 'node:path';

export interface FloodRequest {
  count: number;
  size: number;
}
export interface Chunk {
  seq: number;
  payload: Buffer;
}

/**
 * The streaming benchmark's service (stream.proto, copied next to this file by the build): the same
 * definition object serves keel and the plain grpc-js server and client, so both pay the same codec.
 */
export const StreamService = (loadPackageDefinition(loadSync(join(__dirname, 'stream.proto'), { keepCase: true }))
  .benchstream as GrpcObject).Stream as unknown as { service: { Flood: MethodDefinition<FloodRequest, Chunk> & { requestStream: false; responseStream: true } } };

const payloads = new Map<number, Buffer>();
/** One shared payload per size: the benchmark measures the stream, not allocating buffers. */
export function payloadOf(size: number): Buffer {
  let payload = payloads.get(size);
  if (payload === undefined) payloads.set(size, (payload = Buffer.alloc(size, 0x61)));
  return payload;
}
