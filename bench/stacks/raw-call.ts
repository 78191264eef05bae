import { Client, credentials, Metadata, type ChannelOptions } from '@grpc/grpc-js';
import { Basis } from '../../examples/basis/proto';
import { REQUEST } from './rates';

const hello = Basis.service.Hello;

/** One plain grpc-js client per address, rotated by hand: the least a client can do per call. */
export function rawClients(addresses: string[], options: ChannelOptions = {}): { next(): Client; close(): void } {
  const clients = addresses.map((address) => new Client(address, credentials.createInsecure(), options));
  let i = 0;
  return {
    next: () => clients[i++ % clients.length] as Client,
    close: () => clients.forEach((c) => c.close()),
  };
}

/** The Hello RPC with grpc-js's callback API in a promise: no deadline, no metadata unless given. */
export function rawHello(client: Client, metadata?: Metadata): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, value?: unknown): void => (err ? reject(err) : resolve(value));
    if (metadata === undefined) client.makeUnaryRequest(hello.path, hello.requestSerialize, hello.responseDeserialize, REQUEST, done);
    else client.makeUnaryRequest(hello.path, hello.requestSerialize, hello.responseDeserialize, REQUEST, metadata, done);
  });
}

/** As `rawHello`, with what keel adds to every call: a fresh Metadata and a deadline `timeoutMs` away. */
export function rawHelloWithDeadline(client: Client, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(hello.path, hello.requestSerialize, hello.responseDeserialize, REQUEST, new Metadata(),
      { deadline: Date.now() + timeoutMs }, (err: Error | null, value?: unknown) => (err ? reject(err) : resolve(value)));
  });
}

/** 1,024 distinct W3C traceparent values, cycled: a header that changes on every call, as a tracer's does. */
const TRACEPARENTS = Array.from({ length: 1024 }, (_, i) => {
  const hex = (n: number): string => Array.from({ length: n }, (_, j) => ((i * 7919 + j * 104_729) % 16).toString(16)).join('');
  return `00-${hex(28)}${i.toString(16).padStart(4, '0')}-${hex(12)}${i.toString(16).padStart(4, '0')}-01`;
});
let next = 0;

/**
 * As `rawHelloWithDeadline`, plus a `traceparent` header that differs on every call and no tracer at all: what
 * carrying a trace context costs grpc-js and HTTP/2 (validation, header encoding, the server's parsing), apart
 * from the SDK and keel.
 */
export function rawHelloWithTraceparent(client: Client, timeoutMs: number): Promise<unknown> {
  const metadata = new Metadata();
  metadata.set('traceparent', TRACEPARENTS[next++ & 1023] as string);
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(hello.path, hello.requestSerialize, hello.responseDeserialize, REQUEST, metadata,
      { deadline: Date.now() + timeoutMs }, (err: Error | null, value?: unknown) => (err ? reject(err) : resolve(value)));
  });
}
