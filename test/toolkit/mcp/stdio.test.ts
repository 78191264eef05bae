import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { localRegistry, type Registry } from '../../../src/index';
import { startBasis, type TestServer } from '../../support/basis';
import { startOrders, type OrdersServer } from '../../support/orders';
import { KEEL_BIN, keel, keelEnv } from '../cli/run-keel';
import { mcpClient, toolError, toolsUntil, validator } from './support';

const dir = mkdtempSync(join(tmpdir(), 'keel-mcp-'));

describe('keel mcp over stdio: an agent starts the CLI and talks to it with the SDK\'s own client', () => {
  let registry: Registry;
  let orders: OrdersServer;
  let session: ReturnType<typeof mcpClient>;
  let stderr = '';

  before(async () => {
    registry = localRegistry({ dir });
    orders = await startOrders(registry);
    session = mcpClient();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [KEEL_BIN, 'mcp', '--registry', 'local', '--registry_address', dir, '--timeout', '4000', '--max_stream', '5'],
      env: keelEnv({}) as Record<string, string>,
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (d: Buffer) => (stderr += d));
    await session.client.connect(transport);
  });
  after(async () => {
    await session?.client.close();
    await orders?.stop();
    await registry?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists the registry\'s methods as tools whose schemas a validator accepts, and calls one', async () => {
    await toolsUntil(session.client, (names) => names.includes('orders.Orders.Place'), 'the orders tools');
    const { tools } = await session.client.listTools();
    const ajv = validator();
    for (const t of tools) ajv.compile(t.inputSchema);
    const request = { customerId: 'stdio', lines: [{ sku: 'x', quantity: 1, priceCents: 5 }], deliverBy: '2026-02-03T04:05:06Z' };
    assert.equal(ajv.validate(tools.find((t) => t.name === 'orders.Orders.Place')!.inputSchema, request), true);
    const placed = await session.client.callTool({ name: 'orders.Orders.Place', arguments: request });
    assert.equal((placed.structuredContent as { id: string }).id, 'o-stdio');
    assert.equal((placed.structuredContent as { request: { deliverBy: string } }).request.deliverBy, '2026-02-03T04:05:06Z');
    const listed = await session.client.callTool({ name: 'orders.Orders.List', arguments: { customerId: 'c', count: 9 } });
    assert.deepEqual({ ...(listed.structuredContent as object), messages: undefined },
      { messages: undefined, complete: false, note: 'stopped after 5 messages (the gateway\'s maxStreamMessages); the stream had more' });
    const failed = toolError(await session.client.callTool({ name: 'orders.Orders.Fail', arguments: {} }));
    assert.deepEqual([failed.status, failed.message], ['FAILED_PRECONDITION', 'the shop is closed']);
    assert.match(stderr, /serving the local registry's services over stdio/);
  });

  it('follows services as they start and stop (notifications/tools/list_changed)', async () => {
    const appeared = session.nextChange(15_000);
    const basis: TestServer = await startBasis(registry, { logger: false });
    await appeared;
    await toolsUntil(session.client, (names) => names.includes('basis.Basis.Hello'), 'basis appearing', 15_000);
    const hello = await session.client.callTool({ name: 'basis.Basis.Hello', arguments: { name: 'stdio' } });
    assert.deepEqual(hello.structuredContent, { msg: `Hello stdio from ${basis.id}` });
    const left = session.nextChange(15_000);
    await basis.server.stop();
    await left;
    await toolsUntil(session.client, (names) => !names.includes('basis.Basis.Hello') && names.includes('orders.Orders.Place'), 'basis leaving', 15_000);
  });

  it('says what is wrong with its flags, as every command does', async () => {
    const bad = await keel(['mcp', '--max_stream', '2.5'], {});
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--max_stream must be a whole number/);
    const stdioToken = await keel(['mcp', '--token', 'x'.repeat(20)], {});
    assert.equal(stdioToken.code, 2);
    assert.match(stdioToken.stderr, /--token is for the HTTP transport/);
    const short = await keel(['mcp', '--address', '127.0.0.1:0', '--token', 'short'], {});
    assert.equal(short.code, 2);
    assert.match(short.stderr, /--token must be a string of at least 16 characters/);
    const help = await keel(['mcp', '--help'], {});
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--address/);
    assert.match(help.stdout, /--registry_address/);
  });
});
