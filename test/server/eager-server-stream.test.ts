import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client as GrpcClient, credentials, Metadata, status, type ClientDuplexStream, type ClientReadableStream, type MethodDefinition } from '@grpc/grpc-js';
import { memoryRegistry } from '../../src/index';
import { eventually } from '../support/basis';
import { Items, startItems, type Item, type ItemsProbe, type ListRequest } from '../support/items';

/** The outcome of a raw call: the items received and the final status. */
interface Outcome { items: Item[]; code: number; details: string }

const ended = (call: ClientDuplexStream<ListRequest, Item> | ClientReadableStream<Item>): Promise<Outcome> =>
  new Promise((resolve) => {
    const items: Item[] = [];
    call.on('data', (item: Item) => items.push(item));
    call.on('error', (err: { code: number; details: string }) => resolve({ items, code: err.code, details: err.details }));
    call.on('status', (s: { code: number; details: string }) => s.code === status.OK && resolve({ items, code: s.code, details: s.details }));
  });

describe('server-streaming handlers start on the request, not on the half-close (as Go servers do)', () => {
  const registry = memoryRegistry();
  let probe: ItemsProbe;
  let raw: GrpcClient;
  const ListItems = Items.service.ListItems as MethodDefinition<ListRequest, Item>;
  const open = (): ClientDuplexStream<ListRequest, Item> =>
    raw.makeBidiStreamRequest(ListItems.path, ListItems.requestSerialize, ListItems.responseDeserialize, new Metadata(), { deadline: Date.now() + 5000 });

  before(async () => {
    probe = await startItems(registry);
    raw = new GrpcClient(probe.server.node!.address, credentials.createInsecure());
  });
  after(async () => {
    raw.close();
    await probe.server.stop();
  });

  it('a caller that sends the request and never half-closes (go-micro\'s generated client) gets every item', async () => {
    const call = open();
    const outcome = ended(call);
    call.write({ count: 5 });
    const { items, code } = await outcome;
    assert.equal(code, status.OK);
    assert.deepEqual(items.map((i) => i.id), [1, 2, 3, 4, 5]);
  });

  it('a grpc-js server-streaming call (request, then half-close) is unchanged', async () => {
    const call = raw.makeServerStreamRequest(ListItems.path, ListItems.requestSerialize, ListItems.responseDeserialize, { count: 3 });
    const { items, code } = await ended(call);
    assert.equal(code, status.OK);
    assert.deepEqual(items.map((i) => i.id), [1, 2, 3]);
  });

  it('a second request is read and dropped: the stream answers the first', async () => {
    const call = open();
    const outcome = ended(call);
    call.write({ count: 2 });
    call.write({ count: 7 });
    call.end();
    const { items, code } = await outcome;
    assert.equal(code, status.OK);
    assert.deepEqual(items.map((i) => i.id), [1, 2]);
  });

  it('a half-close without a request is UNIMPLEMENTED, as grpc-js answers it, and calls no handler', async () => {
    const before = probe.contexts.length;
    const call = open();
    const outcome = ended(call);
    call.end();
    const { items, code, details } = await outcome;
    assert.equal(code, status.UNIMPLEMENTED);
    assert.match(details, /no request message for server streaming method \/items\.Items\/ListItems/);
    assert.deepEqual(items, []);
    assert.equal(probe.contexts.length, before);
  });

  it('cancelling without half-closing aborts the handler and runs the generator\'s finally', async () => {
    const finallyRan = probe.finallyRan;
    const aborted = probe.aborted;
    const call = open();
    const outcome = ended(call);
    let seen = 0;
    call.on('data', () => {
      if (++seen === 2) call.cancel();
    });
    call.write({ count: 100_000 });
    const { code } = await outcome;
    assert.equal(code, status.CANCELLED);
    await eventually(() => probe.finallyRan === finallyRan + 1, 'the generator\'s finally to run');
    assert.equal(probe.aborted, aborted + 1);
  });
});
