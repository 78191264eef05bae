import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { getChannelzHandlers } from '@grpc/grpc-js';
import { createClient, memoryRegistry } from '../../src/index';
import { Items, startItems, type ItemsProbe } from '../support/items';

/**
 * keel turns grpc-js's channelz statistics off on its client channels (src/grpc-defaults.ts: they cost per call
 * and keel serves no channelz), and `channelOptions` turns them back on. Its servers keep them: grpc-js's forced
 * shutdown finds connections only through them. Read from grpc-js's own channelz registry, the one a channelz
 * service would serve.
 */
type ItemsClient = { GetItem(r: { id: number }): Promise<unknown>; close(): void };
type Handler = (call: { request: object }, callback: (err: Error | null, value?: any) => void) => void;

function ask(name: 'GetTopChannels' | 'GetServers', request: object): Promise<any> {
  const handler = (getChannelzHandlers() as unknown as Record<string, Handler>)[name] as Handler;
  return new Promise((resolve, reject) => handler({ request }, (err, value) => (err ? reject(err) : resolve(value))));
}

/** The channelz channels aimed at `address`, and the servers listening on it. */
async function channelzOf(address: string): Promise<{ channels: any[]; servers: any[] }> {
  const port = address.slice(address.lastIndexOf(':'));
  const { channel } = await ask('GetTopChannels', { start_channel_id: 0, max_results: 1000 });
  const { server } = await ask('GetServers', { start_server_id: 0, max_results: 1000 });
  return {
    channels: (channel as any[]).filter((c) => String(c.data.target).endsWith(port)),
    servers: (server as any[]).filter((s) => (s.listen_socket as any[]).some((l) => String(l.name).endsWith(port))),
  };
}

describe('channelz', () => {
  const probes: ItemsProbe[] = [];
  const clients: ItemsClient[] = [];
  after(async () => {
    for (const c of clients) c.close();
    await Promise.all(probes.map((p) => p.server.stop()));
  });

  async function served(channelz: 0 | 1 | undefined): Promise<string> {
    const registry = memoryRegistry();
    const options = channelz === undefined ? {} : { 'grpc.enable_channelz': channelz };
    const probe = await startItems(registry, { serverOptions: options, logger: false });
    probes.push(probe);
    const client = createClient(Items, 'items', { registry, channelOptions: options }) as unknown as ItemsClient;
    clients.push(client);
    await client.GetItem({ id: 1 });
    await client.GetItem({ id: 2 });
    const [node] = await registry.getService('items');
    assert.ok(node, 'the server registered');
    return node.address;
  }

  it('is off by default on the client\'s channel, on for the server', async () => {
    const address = await served(undefined);
    const { channels, servers } = await channelzOf(address);
    assert.deepEqual(channels, [], 'no channelz channel for the client');
    assert.equal(servers.length, 1, `the server listening on ${address} is in channelz`);
    assert.equal(Number(servers[0].data.calls_succeeded), 2);
  });

  it('channelOptions turn it back on for the client, and it counts the calls', async () => {
    const address = await served(1);
    const { channels } = await channelzOf(address);
    assert.equal(channels.length, 1, `one channelz channel aimed at ${address}`);
    assert.equal(Number(channels[0].data.calls_started), 2);
  });
});
