import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { isKeelError, memoryRegistry, type KeelError } from '../../../src/index';
import { DynamicCaller } from '../../../src/toolkit/dynamic/caller';
import { isToolkitError } from '../../../src/toolkit/index';
import { collect, startItems, type ItemsProbe } from '../../support/items';

const ITEMS_PROTO = join(__dirname, '..', '..', 'fixtures', 'items.proto');
const probes: ItemsProbe[] = [];
const callers: DynamicCaller[] = [];
after(async () => {
  await Promise.all(callers.map((c) => c.close()));
  await Promise.all(probes.map((p) => p.server.stop()));
});

async function setup(serverOptions = {}, callerOptions = {}): Promise<{ caller: DynamicCaller; probe: ItemsProbe }> {
  const registry = memoryRegistry();
  const probe = await startItems(registry, serverOptions);
  probes.push(probe);
  const caller = new DynamicCaller({ registry, ...callerOptions });
  callers.push(caller);
  return { caller, probe };
}

const rejectsWith = async (p: Promise<unknown>, reason: string, code: number, pattern: RegExp): Promise<void> => {
  await assert.rejects(p, (err: KeelError) => {
    assert.ok(isKeelError(err) || isToolkitError(err), `not a KeelError or ToolkitError: ${String(err)}`);
    assert.equal(err.reason, reason);
    assert.equal(err.code, code);
    assert.match(err.details, pattern);
    return true;
  });
};

describe('DynamicCaller: any method of a registered service, with JSON, from server reflection', () => {
  it('describes the methods of every kind with their JSON shapes (infrastructure services left out)', async () => {
    const { caller } = await setup();
    const methods = await caller.methods('items');
    assert.deepEqual(methods.map((m) => [m.endpoint, m.path, m.kind, m.source]), [
      ['Items.GetItem', '/items.Items/GetItem', 'unary', 'reflection'],
      ['Items.ListItems', '/items.Items/ListItems', 'server_stream', 'reflection'],
      ['Items.Upload', '/items.Items/Upload', 'client_stream', 'reflection'],
      ['Items.Chat', '/items.Items/Chat', 'bidi', 'reflection'],
    ]);
    const list = methods[1]!;
    assert.equal(list.request.name, 'items.ListRequest');
    assert.deepEqual(list.request.fields.map((f) => [f.name, f.type]), [['count', 'int32'], ['failAt', 'int32'], ['size', 'int32']]);
  });

  it('calls each kind: JSON in, JSON out (camelCase, defaults emitted)', async () => {
    const { caller, probe } = await setup();
    assert.deepEqual(await caller.call('items', 'Items.GetItem', { id: 7 }), { id: 7, name: `item 7 from ${probe.id}`, payload: '' });
    assert.deepEqual(await caller.call('items', 'items.Items/GetItem', { id: '8' }), { id: 8, name: `item 8 from ${probe.id}`, payload: '' });
    const listed = await collect(caller.stream('items', 'Items.ListItems', { count: 3, size: 2 }));
    assert.deepEqual(listed.map((i) => (i as { id: number }).id), [1, 2, 3]);
    assert.equal((listed[0] as { payload: string }).payload, Buffer.from([1, 1]).toString('base64'));
    assert.deepEqual(await caller.call('items', 'Items.Upload', [{ id: 1 }, { id: 2 }, { id: 5 }]), { count: 3, lastId: 5 });
    const chat = await collect(caller.stream('items', 'Items.Chat', [{ text: 'a', seq: 1 }, { text: 'b', seq: 2 }]));
    assert.deepEqual(chat.map((m) => (m as { seq: number }).seq), [1, 2]);
  });

  it('a request that does not fit is INVALID_ARGUMENT / bad_request naming the field, before any network', async () => {
    const { caller, probe } = await setup();
    await rejectsWith(caller.call('items', 'Items.GetItem', { id: 'seven' }), 'bad_request', status.INVALID_ARGUMENT, /request\.id: expected an integer/);
    await rejectsWith(caller.call('items', 'Items.GetItem', { nope: 1 }), 'bad_request', status.INVALID_ARGUMENT, /ItemRequest has no field "nope" \(fields: id\)/);
    await rejectsWith(caller.call('items', 'Items.GetItem', { id: 2 ** 40 }), 'bad_request', status.INVALID_ARGUMENT, /out of range for int32/);
    await rejectsWith(caller.call('items', 'Items.GetItem', [1]), 'bad_request', status.INVALID_ARGUMENT, /expected an object/);
    await rejectsWith(caller.call('items', 'Items.Upload', { id: 1 }), 'bad_request', status.INVALID_ARGUMENT, /JSON array/);
    await rejectsWith(caller.call('items', 'Items.Upload', [{ id: 1 }, { name: 3 }]), 'bad_request', status.INVALID_ARGUMENT, /request\[1\]\.name: expected a string/);
    assert.equal(probe.contexts.length, 0, 'no bad request reached the server');
  });

  it('unknown methods and services fail with a clear status; server errors pass through with their code', async () => {
    const { caller } = await setup();
    await rejectsWith(caller.call('items', 'Items.Nope', {}), 'unknown_method', status.UNIMPLEMENTED, /items has no method Items\.Nope \(methods: Items\.GetItem, Items\.ListItems/);
    await rejectsWith(caller.call('items', 'GetItem', {}), 'bad_request', status.INVALID_ARGUMENT, /expected "Service\.Method"/);
    await rejectsWith(caller.call('nothing', 'Items.GetItem', {}), 'no_nodes', status.UNAVAILABLE, /no nodes of nothing/);
    await assert.rejects(collect(caller.stream('items', 'Items.ListItems', { count: 5, failAt: 3 })), (err: { code: number; details: string }) => {
      assert.equal(err.code, status.FAILED_PRECONDITION);
      assert.match(err.details, /failed at 3/);
      return true;
    });
  });

  it('a service without reflection: no_descriptor, then the --proto fallback calls it', async () => {
    const { caller } = await setup({ reflection: false });
    await rejectsWith(caller.methods('items'), 'no_descriptor', status.FAILED_PRECONDITION, /items serves no reflection: give its \.proto file/);
    const registry = (caller as unknown as { options: { registry: never } }).options.registry;
    const withProto = new DynamicCaller({ registry, protoFiles: [ITEMS_PROTO] });
    callers.push(withProto);
    assert.equal((await withProto.method('items', 'Items.GetItem')).source, 'proto');
    assert.deepEqual(await withProto.call('items', 'Items.GetItem', { id: 1 }).then((r) => (r as { id: number }).id), 1);
    // The .proto keeps the proto names (reflection of a proto-loader service carries camelCase ones): both are accepted.
    assert.equal((await collect(withProto.stream('items', 'Items.ListItems', { count: 2, fail_at: 0 }))).length, 2);
    assert.equal((await collect(withProto.stream('items', 'Items.ListItems', { count: 2, failAt: 0 }))).length, 2);
  });

  it('bad options fail at construction naming the option', () => {
    const registry = memoryRegistry();
    assert.throws(() => new DynamicCaller({ registry, protoFiles: ['/nope/x.proto'] }), /protoFiles: \/nope\/x\.proto not found/);
    assert.throws(() => new DynamicCaller({ registry, timeoutMs: -1 }), RangeError);
    assert.throws(() => new DynamicCaller({ registry: {} as never }), /registry must be a keel Registry/);
    assert.throws(() => new DynamicCaller({ registry, nope: 1 } as never), /nope/);
  });
});
