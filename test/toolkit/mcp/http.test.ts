import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { memoryRegistry, type Registry } from '../../../src/index';
import { createMcpGateway, type McpGateway } from '../../../src/toolkit/index';
import { startBasis, type TestServer } from '../../support/basis';
import { startOrders, type OrdersServer } from '../../support/orders';
import { mcpClient, toolError, toolsUntil, validator } from './support';

const ORDERS_TOOLS = ['orders.Orders.Chat', 'orders.Orders.Fail', 'orders.Orders.List', 'orders.Orders.Place', 'orders.Orders.Upload'];

/** A request with a value in every field: what an agent may send and the schema must accept. */
const FULL_ORDER = {
  customerId: 'c-7',
  lines: [{ sku: 'tea', quantity: 2, priceCents: '9007199254740993' }, { sku: 'cup', quantity: 1, priceCents: 450 }],
  labels: { channel: 'agent' },
  priority: 'HIGH',
  shipTo: { street: '1 Quay', city: 'Leith', billing: { street: '2 Dock', city: 'Leith' } },
  deliverBy: '2026-12-24T18:30:00.250Z',
  holdFor: '90.5s',
  coupon: 'WINTER',
  extras: { wrap: true, note: 'fragile', sizes: [1, 2], nested: { a: null } },
  fields: 'customerId,shipTo.city',
  signature: Buffer.from('signed').toString('base64'),
  tip: 1.5,
  gift: true,
  bySlot: { 3: { sku: 'jam', quantity: 1, priceCents: '300' } },
};

describe('keel mcp over Streamable HTTP (the SDK\'s own client)', () => {
  let registry: Registry;
  let mcp: McpGateway;
  let url: URL;
  let orders: OrdersServer;
  let client: Client;
  let session: ReturnType<typeof mcpClient>;

  before(async () => {
    registry = memoryRegistry();
    orders = await startOrders(registry, { comments: true });
    mcp = createMcpGateway({ registry, pollMs: 100, timeoutMs: 5000, maxStreamMessages: 20 });
    url = new URL(`http://${await mcp.listen('127.0.0.1:0')}/mcp`);
    session = mcpClient();
    client = session.client;
    await client.connect(new StreamableHTTPClientTransport(url));
  });
  after(async () => {
    await client?.close();
    await mcp?.close();
    await orders?.stop();
    await registry?.close();
  });

  it('lists one tool per method, named <service>.<Service>.<Method>, described by the proto comments reflection carries', async () => {
    await toolsUntil(client, (names) => ORDERS_TOOLS.every((n) => names.includes(n)), 'the orders tools');
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ORDERS_TOOLS);
    const place = tools.find((t) => t.name === 'orders.Orders.Place')!;
    assert.match(place.description ?? '', /^Places an order and answers it as stored\.\n\nCalls \/shop\.v1\.Orders\/Place \(unary\)/);
    assert.equal((place.inputSchema.properties as Record<string, { description?: string }>).customerId?.description, 'Who orders.');
    assert.deepEqual(place.annotations, { openWorldHint: false, idempotentHint: true });
    assert.deepEqual(tools.find((t) => t.name === 'orders.Orders.List')!.annotations, { openWorldHint: false, readOnlyHint: true, idempotentHint: true });
    // Reflection carried no comment for Upload: the description says what the tool does all the same.
    assert.match(tools.find((t) => t.name === 'orders.Orders.Upload')!.description ?? '', /^Calls \/shop\.v1\.Orders\/Upload \(client-stream\).*"messages"/);
  });

  it('gives JSON Schemas that a real validator accepts, and that accept the requests the services take and refuse the rest', async () => {
    const ajv = validator();
    const { tools } = await client.listTools();
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const t of tools) {
      ajv.compile(t.inputSchema); // throws on a schema that is not valid draft 2020-12 (strict mode)
      ajv.compile(t.outputSchema!);
    }
    const place = ajv.compile(byName.get('orders.Orders.Place')!.inputSchema);
    assert.equal(place(FULL_ORDER), true, JSON.stringify(place.errors));
    assert.equal(place({}), true, 'every field is optional in proto3');
    const refused: Array<[string, unknown]> = [
      ['two members of a oneof', { shipTo: { city: 'x' }, pickupStore: 'north' }],
      ['an unknown field', { customer: 'c' }],
      ['an enum name that does not exist', { priority: 'URGENT' }],
      ['a timestamp that is not RFC 3339', { deliverBy: 'tomorrow' }],
      ['a duration without its unit', { holdFor: '90' }],
      ['a uint32 below 0', { lines: [{ quantity: -1 }] }],
      ['an int64 that is not an integer', { lines: [{ priceCents: '12.5' }] }],
      ['a map<int32, …> key that is not a number', { bySlot: { first: {} } }],
      ['a field of the recursive message that does not exist', { shipTo: { billing: { billing: { zip: '1' } } } }],
    ];
    for (const [what, request] of refused) assert.equal(place(request), false, `the schema refuses ${what}`);
    const upload = ajv.compile(byName.get('orders.Orders.Upload')!.inputSchema);
    assert.equal(upload({ messages: [{ sku: 'a', quantity: 1 }] }), true);
    assert.equal(upload({ sku: 'a' }), false, 'a client stream takes an array');

    // The request the schema accepts is the one the service takes: every field arrives (an echo checks it).
    const result = await client.callTool({ name: 'orders.Orders.Place', arguments: FULL_ORDER });
    assert.equal(result.isError, undefined, JSON.stringify(result.content));
    const order = result.structuredContent as { id: string; placedAt: string; totalCents: string; request: Record<string, unknown> };
    assert.equal(ajv.compile(byName.get('orders.Orders.Place')!.outputSchema!)(order), true);
    assert.equal(order.id, 'o-c-7');
    assert.equal(order.placedAt, '2026-01-01T00:00:00.500Z');
    assert.equal(order.totalCents, '1234567890123');
    const echoed = order.request;
    // An unset message field comes back null (proto3 JSON with defaults).
    assert.deepEqual(echoed.shipTo, { ...FULL_ORDER.shipTo, billing: { ...FULL_ORDER.shipTo.billing, billing: null } });
    assert.equal(echoed.holdFor, '90.500s', 'proto3 JSON prints 0, 3, 6 or 9 fractional digits');
    for (const key of ['customerId', 'labels', 'priority', 'deliverBy', 'coupon', 'extras', 'fields', 'signature', 'tip', 'gift'] as const) {
      assert.deepEqual(echoed[key], (FULL_ORDER as Record<string, unknown>)[key], key);
    }
    assert.deepEqual(echoed.lines, [{ sku: 'tea', quantity: 2, priceCents: '9007199254740993' }, { sku: 'cup', quantity: 1, priceCents: '450' }]);
    assert.deepEqual(echoed.bySlot, { 3: { sku: 'jam', quantity: 1, priceCents: '300' } });
    assert.deepEqual(JSON.parse((result.content as Array<{ text: string }>)[0]!.text), order, 'the text content is the same JSON');
  });

  it('collects a server stream up to the bound and says so; client and bidi streams take an array', async () => {
    const three = await client.callTool({ name: 'orders.Orders.List', arguments: { customerId: 'c', count: 3 } });
    assert.deepEqual(three.structuredContent, { messages: [1, 2, 3].map((i) => ({ id: `c-${i}`, request: null, placedAt: null, totalCents: String(i * 100) })), complete: true });
    const many = await client.callTool({ name: 'orders.Orders.List', arguments: { customerId: 'c', count: 1000 } });
    const cut = many.structuredContent as { messages: unknown[]; complete: boolean; note: string };
    assert.equal(cut.messages.length, 20);
    assert.equal(cut.complete, false);
    assert.match(cut.note, /stopped after 20 messages/);
    const upload = await client.callTool({ name: 'orders.Orders.Upload', arguments: { messages: [{ quantity: 2, priceCents: '5' }, { quantity: 3, priceCents: '7' }] } });
    assert.deepEqual(upload.structuredContent, { count: 2, totalCents: '31' });
    const chat = await client.callTool({ name: 'orders.Orders.Chat', arguments: { messages: [{ text: 'a' }, { text: 'b' }] } });
    assert.deepEqual(chat.structuredContent, { messages: [{ text: 're: a', seq: 1 }, { text: 're: b', seq: 2 }], complete: true });
  });

  it('answers a failed call as a tool error with the gRPC code, the reason and the trace id', async () => {
    const failed = toolError(await client.callTool({ name: 'orders.Orders.Fail', arguments: {} }));
    assert.equal(failed.code, 9);
    assert.equal(failed.status, 'FAILED_PRECONDITION');
    assert.equal(failed.message, 'the shop is closed');
    assert.match(failed.traceId ?? '', /^[0-9a-f]{32}$/);
    // A request the codec refuses never reaches the service: INVALID_ARGUMENT with keel's reason.
    const bad = toolError(await client.callTool({ name: 'orders.Orders.Place', arguments: { priority: 'URGENT' } }));
    assert.equal(bad.status, 'INVALID_ARGUMENT');
    assert.equal(bad.reason, 'bad_request');
    assert.match(bad.message, /priority/);
    const notArray = toolError(await client.callTool({ name: 'orders.Orders.Upload', arguments: { sku: 'x' } }));
    assert.equal(notArray.reason, 'bad_request');
    // The trace continues the caller's when it sends one in _meta.
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const traced = toolError(await client.callTool({ name: 'orders.Orders.Fail', arguments: {}, _meta: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } }));
    assert.equal(traced.traceId, traceId);
    // An unknown tool is a protocol error, as the spec has it.
    await assert.rejects(client.callTool({ name: 'orders.Orders.Nope', arguments: {} }), /unknown tool/);
  });

  it('tells the client when a service appears and when it leaves (notifications/tools/list_changed)', async () => {
    const before = session.changes();
    const appeared = session.nextChange();
    const basis: TestServer = await startBasis(registry, { logger: false });
    await appeared;
    await toolsUntil(client, (names) => names.includes('basis.Basis.Hello'), 'basis appearing');
    const hello = await client.callTool({ name: 'basis.Basis.Hello', arguments: { name: 'agent' } });
    assert.deepEqual(hello.structuredContent, { msg: `Hello agent from ${basis.id}` });
    const left = session.nextChange();
    await basis.server.stop();
    await left;
    const names = await toolsUntil(client, (n) => !n.includes('basis.Basis.Hello'), 'basis leaving');
    assert.deepEqual(names.sort(), ORDERS_TOOLS);
    assert.ok(session.changes() >= before + 2);
  });
});

describe('keel mcp: the gateway\'s safety', () => {
  let registry: Registry;
  let orders: OrdersServer;
  let basis: TestServer;
  before(async () => {
    registry = memoryRegistry();
    orders = await startOrders(registry);
    basis = await startBasis(registry, { logger: false });
  });
  after(async () => {
    await orders?.stop();
    await basis?.server.stop();
    await registry?.close();
  });

  it('offers only the services of the allow-list, and calls nothing else', async () => {
    const mcp = createMcpGateway({ registry, services: ['bas*'], pollMs: 100 });
    try {
      await mcp.ready();
      const deadline = Date.now() + 10_000;
      while (!mcp.tools().some((t) => t.name === 'basis.Basis.Hello') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(mcp.tools().map((t) => t.name), ['basis.Basis.Hello']);
      await assert.rejects(mcp.callTool('orders.Orders.Place', {}), /unknown tool/);
    } finally {
      await mcp.close();
    }
  });

  it('runs the authentication hook before anything else, and refuses a browser page of another origin', async () => {
    const mcp = createMcpGateway({ registry, authorize: (req) => req.headers.authorization === 'Bearer s3cret' });
    try {
      const base = `http://${await mcp.listen('127.0.0.1:0')}/mcp`;
      const init = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
      assert.equal((await fetch(base, { method: 'POST', headers, body: init })).status, 401);
      const evil = await fetch(base, { method: 'POST', headers: { ...headers, authorization: 'Bearer s3cret', origin: 'http://evil.example' }, body: init });
      assert.equal(evil.status, 403);
      const crossSite = await fetch(base, { method: 'POST', headers: { ...headers, authorization: 'Bearer s3cret', 'sec-fetch-site': 'cross-site' }, body: init });
      assert.equal(crossSite.status, 403, 'a browser\'s Sec-Fetch-Site says so even without an Origin');
      const { client } = mcpClient();
      await client.connect(new StreamableHTTPClientTransport(new URL(base), { requestInit: { headers: { authorization: 'Bearer s3cret' } } }));
      assert.ok(Array.isArray((await client.listTools()).tools));
      await client.close();
      assert.equal((await fetch(base.replace('/mcp', '/other'), { method: 'POST', headers, body: init })).status, 401, 'authentication comes first, on every path');
    } finally {
      await mcp.close();
    }
  });

  it('keeps at most maxSessions sessions: one more is answered 503, a closed one makes room', async () => {
    const mcp = createMcpGateway({ registry, maxSessions: 1 });
    try {
      const base = new URL(`http://${await mcp.listen('127.0.0.1:0')}/mcp`);
      const first = mcpClient().client;
      const firstTransport = new StreamableHTTPClientTransport(base);
      await first.connect(firstTransport);
      const second = mcpClient().client;
      await assert.rejects(second.connect(new StreamableHTTPClientTransport(base)), /503|too many sessions/);
      await firstTransport.terminateSession(); // DELETE: the session ends on the server
      await first.close();
      const third = mcpClient().client;
      await third.connect(new StreamableHTTPClientTransport(base));
      await third.close();
    } finally {
      await mcp.close();
    }
  });

  it('puts a token bucket in front of every call when asked: a call over it is a rate_limited tool error', async () => {
    const mcp = createMcpGateway({ registry, services: ['basis'], rateLimit: { ratePerSecond: 0.5, burst: 1 }, pollMs: 100 });
    try {
      const deadline = Date.now() + 10_000;
      while (!mcp.tools().some((t) => t.name === 'basis.Basis.Hello') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const first = await mcp.callTool('basis.Basis.Hello', { name: 'a' });
      assert.equal(first.isError, undefined, JSON.stringify(first));
      const second = toolError(await mcp.callTool('basis.Basis.Hello', { name: 'b' }));
      assert.deepEqual([second.status, second.reason], ['RESOURCE_EXHAUSTED', 'rate_limited']);
    } finally {
      await mcp.close();
    }
  });

  it('keeps a fault\'s internals from the agent: a generic message and an error id, the detail in onError\'s log', async () => {
    const own = memoryRegistry();
    const leaky = await startBasis(own, { logger: false, hello: () => { throw new Error('connect ECONNREFUSED 10.9.8.7:5432 (db password in /etc/secret)'); } });
    const logged: Array<[string, string]> = [];
    const mcp = createMcpGateway({ registry: own, pollMs: 100, onError: (id, err) => logged.push([id, String((err as { details?: string }).details ?? err)]) });
    try {
      const deadline = Date.now() + 10_000;
      while (!mcp.tools().some((t) => t.name === 'basis.Basis.Hello') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      const failed = toolError(await mcp.callTool('basis.Basis.Hello', { name: 'x' }));
      assert.equal(failed.status, 'UNKNOWN');
      // The keel server already kept its fault to itself; what the gateway got from it is kept from the agent in turn.
      assert.doesNotMatch(JSON.stringify(failed), /10\.9\.8\.7|secret|internal error in/);
      const errorId = (failed as { errorId?: string }).errorId;
      assert.match(failed.message, new RegExp(`error id ${errorId}`));
      assert.ok(logged.some(([id, detail]) => id === errorId && detail.includes('internal error in /basis.Basis/Hello')), JSON.stringify(logged));
    } finally {
      await mcp.close();
      await leaky.server.stop();
      await own.close();
    }
  });

  it('refuses bad options at construction, naming the option', () => {
    assert.throws(() => createMcpGateway({ registry, rateLimit: { ratePerSecond: 1 }, wrap: (next) => next }), /rateLimit/);
    assert.throws(() => createMcpGateway({ registry, timeoutMs: -1 }), /timeoutMs/);
    assert.throws(() => createMcpGateway({ registry, maxStreamMessages: 0 }), RangeError);
    assert.throws(() => createMcpGateway({ registry, services: [''] }), /services/);
    assert.throws(() => createMcpGateway({ registry, authorize: 'yes' as never }), /authorize/);
    assert.throws(() => createMcpGateway({ registry, bogus: 1 } as never), /bogus/);
  });
});
