import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { consulRegistry, type Registry } from '../../../src/index';
import { createGateway, type Gateway } from '../../../src/toolkit/gateway/gateway';
import { startWeb, type Web } from '../../../src/toolkit/web/web';
import { eventually } from '../../support/basis';
import { startConsul, type ConsulAgent } from '../../support/consul-agent';
import { toolOrSkip } from '../../support/external';
import { goMicroPeers, startGoMicroServer, type GoMicroServer } from '../../support/go-micro-peers';

const consulBinary = toolOrSkip('consul', 'dashboard with go-micro');
/** go-micro serves no reflection: the dashboard's gateway is given the peers' proto, as `keel web --proto` would be. */
const peerProto = join(__dirname, '..', '..', 'interop', 'basis', 'basis.proto');

describe('keel web with a go-micro v5 service through Consul', { skip: consulBinary === undefined && 'consul missing (KEEL_SKIP_E2E=1)' }, () => {
  let consul: ConsulAgent;
  let registry: Registry;
  let go: GoMicroServer | undefined;
  let gateway: Gateway;
  let web: Web;
  before(async () => {
    const peers = await goMicroPeers('dashboard with go-micro');
    consul = await startConsul(consulBinary as string);
    registry = consulRegistry({ address: consul.address, waitMs: 5000 });
    if (peers) go = await startGoMicroServer(peers.server, consul.address, 'go-web');
    gateway = createGateway({ registry, protoFiles: [peerProto] });
    web = await startWeb({ registry, gateway, address: '127.0.0.1:0' });
  });
  after(async () => {
    await web?.close();
    await gateway?.close();
    await go?.stop();
    await registry?.close();
    await consul?.stop();
  });

  it('lists the go-micro service, its node and its endpoints, and calls it from /rpc', async (t) => {
    if (!go) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
    const node = go;
    // The page is server-rendered: what a browser shows first is in the HTML.
    await eventually(async () => {
      const html = await (await fetch(web.url)).text();
      return html.includes('data-service="go-web"') && html.includes(`data-node="${node.id}"`) && html.includes('data-endpoint="Basis.Hello"');
    }, 'the go-micro service, its node and endpoints on the page', 5000);
    const html = await (await fetch(web.url)).text();
    assert.match(html, /data-endpoint="Basis\.Stream"/);
    const res = await fetch(new URL('rpc', web.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ service: 'go-web', endpoint: 'Basis.Hello', request: { name: 'web' } }),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { msg: `Hello web from ${node.id} (${node.address})` });
    assert.match(res.headers.get('x-trace-id') ?? '', /^[0-9a-f]{32}$/);
  });
});
