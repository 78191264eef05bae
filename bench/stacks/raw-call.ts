import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { Basis } from '../../examples/basis/proto';
import { REQUEST } from './rates';

const hello = Basis.service.Hello;

/** One plain grpc-js client per address, rotated by hand: the least a client can do per call. */
export function rawClients(addresses: string[]): { next(): Client; close(): void } {
  const clients = addresses.map((address) => new Client(address, credentials.createInsecure()));
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
