import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { consulRegistry, createClient, type Registry } from '../../src/index';
import { Basis, replier, startBasis, type TestServer } from '../support/basis';
import { startConsul, type ConsulAgent } from '../support/consul-agent';
import { toolOrSkip } from '../support/external';

const binary = toolOrSkip('consul', 'Consul outage');
const skip = binary === undefined ? 'KEEL_SKIP_E2E=1 and consul is not installed' : false;

/** The probe killed Consul for 30 s; 10 s here keeps the suite short and still spans a 10 s refresh. */
const OUTAGE_MS = 10_000;
const RATE = 200;

describe('a Consul agent that restarts empty after an outage', { skip }, () => {
  let agent: ConsulAgent;
  const servers: TestServer[] = [];
  const registries: Registry[] = [];
  before(async () => {
    agent = await startConsul(binary as string);
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.server.stop()));
    await Promise.all(registries.map((r) => r.close()));
    await agent?.stop();
  });

  it(`costs no call at ${RATE} calls/s to 3 live servers, and the servers are listed again within 2 s of its return`, async () => {
    const make = (extra: Parameters<typeof consulRegistry>[0] = {}): Registry => {
      const r = consulRegistry({ address: agent.address, ...extra });
      registries.push(r);
      return r;
    };
    const errors: Error[] = [];
    // Default registration timings (TTL 30 s, refresh 10 s): before, the servers came back only at their next refresh.
    for (let i = 0; i < 3; i++) servers.push(await startBasis(make(), { name: 'outage', onError: (e) => errors.push(e) }));
    // The client's watch retries every 250 ms at most, so it surely sees the agent while it is still empty
    // (with the default 10 s backoff it may come back only after the servers did, and prove nothing).
    const client = createClient(Basis, 'outage', { registry: make({ backoffMaxMs: 250 }), timeoutMs: 1000 });

    const failures = new Map<string, number>();
    const events = { start: Date.now(), killed: 0, restarted: 0 };
    const failedAt: number[] = [];
    const answered = new Map<string, number>();
    let sent = 0;
    const inFlight = new Set<Promise<void>>();
    let loading = true;
    const load = (async () => {
      const t0 = Date.now();
      while (loading && Date.now() - t0 < OUTAGE_MS + 20_000) {
        const due = Math.floor(((Date.now() - t0) / 1000) * RATE);
        // After a stall of this process, skip the calls it missed rather than send them in one burst.
        if (due - sent > RATE / 10) sent = due - RATE / 10;
        for (; sent < due; sent++) {
          const p = client.hello({ name: 'x' }).then(
            (res) => void answered.set(replier(res.msg), (answered.get(replier(res.msg)) ?? 0) + 1),
            (err: { reason?: string; message: string }) => {
              failedAt.push(Date.now());
              failures.set(err.reason ?? err.message, (failures.get(err.reason ?? err.message) ?? 0) + 1);
            },
          ).finally(() => inFlight.delete(p));
          inFlight.add(p);
        }
        await new Promise((res) => setTimeout(res, 5));
      }
    })();

    const listed = async (): Promise<number> => {
      const res = await fetch(`http://${agent.address}/v1/health/service/outage?passing=true`, { signal: AbortSignal.timeout(1000) });
      return ((await res.json()) as unknown[]).length;
    };
    await new Promise((res) => setTimeout(res, 2000));
    assert.equal(await listed(), 3);
    await agent.kill();
    events.killed = Date.now();
    await new Promise((res) => setTimeout(res, OUTAGE_MS));
    await agent.restart(); // a fresh dev agent: it has forgotten every service
    const back = Date.now();
    events.restarted = back;
    let relistedMs = Infinity;
    while (Date.now() - back < 15_000) {
      if ((await listed().catch(() => 0)) === 3) {
        relistedMs = Date.now() - back;
        break;
      }
      await new Promise((res) => setTimeout(res, 20));
    }
    await new Promise((res) => setTimeout(res, 3000)); // calls after the return, while clients' watches catch up
    loading = false;
    await load;
    await Promise.all(inFlight);
    client.close();

    const failed = [...failures.values()].reduce((a, b) => a + b, 0);
    if (failed > 0) {
      const rel = (t: number): string => `kill${t >= events.killed ? '+' : ''}${t - events.killed} ms / restart${t >= events.restarted ? '+' : ''}${t - events.restarted} ms`;
      console.log(`failures from ${rel(failedAt[0] as number)} to ${rel(failedAt.at(-1) as number)}`);
    }
    console.log(`Consul down ${OUTAGE_MS / 1000} s, restarted empty: ${sent} calls at ${RATE}/s, ${failed} failed ` +
      `(${JSON.stringify(Object.fromEntries(failures))}); the 3 servers listed again ${relistedMs} ms after the agent answered`);
    assert.ok(sent >= RATE * (OUTAGE_MS / 1000), `only ${sent} calls sent`);
    assert.equal(answered.size, 3, 'calls reached every server');
    assert.equal(failed, 0, `${failed} calls failed: ${JSON.stringify(Object.fromEntries(failures))}`);
    assert.ok(relistedMs <= 2000, `the servers were listed again only ${relistedMs} ms after the agent's return`);
    assert.ok(errors.some((e) => /refreshing/.test(e.message)), 'the failed refreshes were reported');
  });
});
