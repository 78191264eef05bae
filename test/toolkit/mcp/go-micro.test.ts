import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { consulRegistry, type Registry } from '../../../src/index';
import { createMcpGateway, type McpGateway } from '../../../src/toolkit/index';
import { startConsul, type ConsulAgent } from '../../support/consul-agent';
import { toolOrSkip } from '../../support/external';
import { goMicroPeers, startGoMicroServer, type GoMicroServer } from '../../support/go-micro-peers';
import { mcpClient, toolsUntil, validator } from './support';

const consulBinary = toolOrSkip('consul', 'MCP gateway with go-micro');
/** go-micro serves no reflection: the gateway is given the peers' proto, as `keel mcp --proto` would be. */
const peerProto = join(__dirname, '..', '..', 'interop', 'basis', 'basis.proto');

describe('keel mcp with a go-micro v5 service through Consul', { skip: consulBinary === undefined && 'consul missing (KEEL_SKIP_E2E=1)' }, () => {
  let consul: ConsulAgent;
  let registry: Registry;
  let go: GoMicroServer | undefined;
  let mcp: McpGateway;
  let session: ReturnType<typeof mcpClient>;
  before(async () => {
    const peers = await goMicroPeers('MCP gateway with go-micro');
    consul = await startConsul(consulBinary as string);
    registry = consulRegistry({ address: consul.address, waitMs: 5000 });
    if (peers) go = await startGoMicroServer(peers.server, consul.address, 'go-mcp');
    mcp = createMcpGateway({ registry, protoFiles: [peerProto], pollMs: 200 });
    const url = new URL(`http://${await mcp.listen('127.0.0.1:0')}/mcp`);
    session = mcpClient();
    await session.client.connect(new StreamableHTTPClientTransport(url));
  });
  after(async () => {
    await session?.client.close();
    await mcp?.close();
    await go?.stop();
    await registry?.close();
    await consul?.stop();
  });

  it('offers the go-micro service\'s methods as tools, calls them, and drops them when the service leaves', async (t) => {
    if (!go) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
    const node = go;
    await toolsUntil(session.client, (names) => names.includes('go-mcp.Basis.Hello') && names.includes('go-mcp.Basis.Stream'), 'the go-micro tools', 15_000);
    const { tools } = await session.client.listTools();
    const stream = tools.find((t) => t.name === 'go-mcp.Basis.Stream')!;
    // The .proto's comment on the method is the tool's description.
    assert.match(stream.description ?? '', /^count responses, "<name> <i>\/<count> from <node id> \(<address>\)", interval_ms apart\./);
    const ajv = validator();
    assert.equal(ajv.validate(stream.inputSchema, { name: 'mcp', count: 3 }), true);
    assert.equal(ajv.validate(stream.inputSchema, { name: 'mcp', count: 'three' }), false);

    const hello = await session.client.callTool({ name: 'go-mcp.Basis.Hello', arguments: { name: 'mcp' } });
    assert.deepEqual(hello.structuredContent, { msg: `Hello mcp from ${node.id} (${node.address})` });
    const streamed = await session.client.callTool({ name: 'go-mcp.Basis.Stream', arguments: { name: 'mcp', count: 3 } });
    const out = streamed.structuredContent as { messages: Array<{ msg: string }>; complete: boolean };
    assert.equal(out.complete, true);
    assert.deepEqual(out.messages.map((m) => m.msg), [1, 2, 3].map((i) => `mcp ${i}/3 from ${node.id} (${node.address})`));

    const left = session.nextChange(20_000);
    await node.stop();
    go = undefined;
    await left;
    await toolsUntil(session.client, (names) => !names.some((n) => n.startsWith('go-mcp.')), 'the go-micro tools leaving', 20_000);
  });
});
