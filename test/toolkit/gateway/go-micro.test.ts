import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { consulRegistry, type Registry } from '../../../src/index';
import { startConsul, type ConsulAgent } from '../../support/consul-agent';
import { toolOrSkip } from '../../support/external';
import { goMicroPeers, startGoMicroServer, type GoMicroPeers, type GoMicroServer } from '../../support/go-micro-peers';
import type { Gateway } from '../../../src/toolkit/gateway/gateway';
import { post, startGateway } from './support';

const consulBinary = toolOrSkip('consul', 'gateway in front of go-micro');
/** The peers' proto (copied next to the compiled tests): go-micro serves no reflection, so the gateway is given it. */
const peerProto = join(__dirname, '..', '..', 'interop', 'basis', 'basis.proto');

describe('keel api gateway in front of a go-micro v5 service through Consul', { skip: consulBinary === undefined && 'consul missing (KEEL_SKIP_E2E=1)' }, () => {
  let consul: ConsulAgent;
  let peers: GoMicroPeers | undefined;
  let registry: Registry;
  let go: GoMicroServer | undefined;
  let gateway: Gateway;
  let url: string;
  before(async () => {
    peers = await goMicroPeers('gateway in front of go-micro');
    consul = await startConsul(consulBinary as string);
    registry = consulRegistry({ address: consul.address, waitMs: 5000 });
    if (peers) go = await startGoMicroServer(peers.server, consul.address, 'go-gateway');
    ({ gateway, url } = await startGateway(registry, { protoFiles: [peerProto] }));
  });
  after(async () => {
    await gateway?.close();
    await go?.stop();
    await registry?.close();
    await consul?.stop();
  });

  it('calls the go-micro service by path and by /rpc, described by --proto', async (t) => {
    if (!go) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
    const byPath = await post(`${url}/go-gateway/Basis/Hello`, { name: 'gateway' });
    assert.equal(byPath.status, 200, byPath.text);
    assert.equal(byPath.json.msg, `Hello gateway from ${go.id} (${go.address})`);
    const byRpc = await post(`${url}/rpc`, { service: 'go-gateway', endpoint: 'Basis.Hello', request: { name: 'rpc' } });
    assert.equal(byRpc.status, 200, byRpc.text);
    assert.match(byRpc.json.msg, /^Hello rpc from /);
  });

  it("streams the go-micro server's messages as ndjson, and its failure as the last line", async (t) => {
    if (!go) return t.skip('KEEL_SKIP_E2E=1 and the go-micro peers could not be built');
    const res = await fetch(`${url}/go-gateway/Basis/Stream`, { method: 'POST', body: JSON.stringify({ name: 'nd', count: 3 }) });
    assert.equal(res.headers.get('content-type'), 'application/x-ndjson');
    const lines = (await res.text()).trim().split('\n').map((l) => JSON.parse(l) as { msg: string });
    assert.deepEqual(lines.map((l) => l.msg.split(' from ')[0]), ['nd 1/3', 'nd 2/3', 'nd 3/3']);
    const failing = await fetch(`${url}/go-gateway/Basis/Stream`, { method: 'POST', body: JSON.stringify({ name: 'f', count: 3, failAt: 2 }) });
    const out = (await failing.text()).trim().split('\n').map((l) => JSON.parse(l) as { msg?: string; error?: { status: string } });
    assert.equal(out.length, 2, JSON.stringify(out));
    assert.equal(out[1]?.error?.status, 'FAILED_PRECONDITION');
  });
});
