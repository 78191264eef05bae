// Ad-hoc: tools/call over Streamable HTTP vs POST through the API gateway vs a direct keel client, sequential, 2000 calls each.
const { performance } = require('node:perf_hooks');
const { localRegistry, createMcpGateway, createGateway, createClient, wrapClient, retry, roundRobin, breaker, tracing } = require('./dist/src/index.js');
const { startBasis } = require('./dist/test/support/basis.js');
const { Basis } = require('./dist/examples/basis/proto.js');
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');
const os = require('node:os'); const fs = require('node:fs');
(async () => {
  const dir = fs.mkdtempSync(os.tmpdir() + '/mcp-m-');
  const registry = localRegistry({ dir });
  const s = await startBasis(registry, { logger: false });
  const mcp = createMcpGateway({ registry });
  const url = new URL(`http://${await mcp.listen('127.0.0.1:0')}/mcp`);
  const gw = createGateway({ registry }); const gaddr = await gw.listen('127.0.0.1:0');
  const client = new Client({ name: 'm', version: '1' }); await client.connect(new StreamableHTTPClientTransport(url));
  while (!(await client.listTools()).tools.some((t) => t.name === 'basis.Basis.Hello')) await new Promise((r) => setTimeout(r, 50));
  const direct = createClient(Basis, 'basis', { registry, wrap: wrapClient(retry(), roundRobin(), breaker({ scope: 'node' }), tracing()) });
  const modes = {
    direct: () => direct.hello({ name: 'm' }),
    gateway: () => fetch(`http://${gaddr}/basis/Basis/Hello`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"m"}' }).then((r) => r.text()),
    mcp: () => client.callTool({ name: 'basis.Basis.Hello', arguments: { name: 'm' } }),
  };
  const N = 2000; const out = {};
  for (const round of [0, 1]) for (const [name, call] of Object.entries(modes)) {
    for (let i = 0; i < 200; i++) await call();
    const lat = []; const t0 = performance.now();
    for (let i = 0; i < N; i++) { const a = performance.now(); await call(); lat.push(performance.now() - a); }
    const total = performance.now() - t0; lat.sort((a, b) => a - b);
    if (round === 1) out[name] = { perSec: Math.round(N / total * 1000), p50: lat[N / 2].toFixed(3), p99: lat[Math.floor(N * 0.99)].toFixed(3) };
  }
  console.log(JSON.stringify({ node: process.version, load: os.loadavg().map((l) => l.toFixed(2)), ...out }));
  const t0 = performance.now(); for (let i = 0; i < 200; i++) await client.listTools(); console.log('tools/list ms', ((performance.now() - t0) / 200).toFixed(3));
  await client.close(); direct.close(); await mcp.close(); await gw.close(); await s.server.stop(); await registry.close();
  process.exit(0);
})();
