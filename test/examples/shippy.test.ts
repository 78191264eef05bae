// The shippy example end to end: vessel-service, consignment-service and consignment-cli as separate
// processes on a real Consul, their spans in a real Jaeger.
import assert from 'node:assert/strict';
import { execFile, fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { consulRegistry, createClient, createServer, type KeelServer, type Registry } from '../../src/index';
import { ShippingService, VESSEL_SERVICE, VesselService, CONSIGNMENT_SERVICE, type Consignment } from '../../examples/shippy/proto';
import { eventually } from '../support/basis';
import { startConsul, type ConsulAgent } from '../support/consul-agent';
import { toolOrSkip } from '../support/external';
import { startInfra, type InfraServer } from '../support/infra';
import { jaegerTrace, type Span } from '../support/jaeger-trace';

const consulBinary = toolOrSkip('consul', 'shippy on Consul + Jaeger');
const jaegerBinary = toolOrSkip('jaeger', 'shippy on Consul + Jaeger');
const skip = consulBinary === undefined || jaegerBinary === undefined ? 'KEEL_SKIP_E2E=1 and consul or jaeger is missing' : false;
const shippy = join(__dirname, '..', '..', 'examples', 'shippy');
const consignmentFile = join(__dirname, '..', '..', '..', 'examples', 'shippy', 'consignment.json');

interface Program {
  child: ChildProcess;
  id: string;
  /** Everything it printed so far. */
  output(): string;
}

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

describe('shippy: vessel-service, consignment-service and consignment-cli as processes on Consul, traced into Jaeger', { skip }, () => {
  let consul: ConsulAgent;
  let jaeger: InfraServer<{ otlpHttp: string; query: string }>;
  let env: NodeJS.ProcessEnv;
  let registry: Registry;
  const programs: Program[] = [];
  const servers: KeelServer[] = [];

  before(async () => {
    [consul, jaeger] = await Promise.all([startConsul(consulBinary as string), startInfra<{ otlpHttp: string; query: string }>('jaeger')]);
    env = {
      ...process.env,
      MICRO_REGISTRY: 'consul',
      MICRO_REGISTRY_ADDRESS: consul.address,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://${jaeger.info.otlpHttp}`,
    };
    registry = consulRegistry({ address: consul.address });
  });
  // Each test starts its own services; a node killed with SIGKILL stays in Consul until its TTL, so it is
  // deregistered here, as Consul would do later: the next test starts from an empty catalog.
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
    const all = programs.splice(0);
    for (const p of all) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
    // Bounded: a program that has not exited 15 s after SIGTERM (a drain held open by a stream) is killed, so a
    // stuck program fails nothing here and cannot hold the whole file open.
    await Promise.all(all.map((p) => (p.child.exitCode !== null || p.child.signalCode !== null ? undefined : new Promise((r) => {
      const kill = setTimeout(() => p.child.kill('SIGKILL'), 15_000);
      p.child.once('exit', () => r(clearTimeout(kill)));
    }))));
    for (const p of all) await fetch(`http://${consul.address}/v1/agent/service/deregister/${p.id}`, { method: 'PUT' });
  });
  after(async () => {
    await registry?.close();
    await Promise.all([consul?.stop(), jaeger?.stop()]);
  });

  /** Starts a shippy service process and waits until it is registered. */
  async function service(name: 'vessel-service' | 'consignment-service', extra: NodeJS.ProcessEnv = {}): Promise<Program> {
    const child = fork(join(shippy, `${name}.js`), [], { env: { ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => (out += d));
    child.stderr?.on('data', (d: Buffer) => (out += d));
    const id = await new Promise<string>((resolve, reject) => {
      child.once('message', (m) => resolve(String((m as { id?: unknown }).id)));
      child.once('exit', (code) => reject(new Error(`${name} exited with ${code} before it was ready:\n${out}`)));
    });
    const program = { child, id, output: () => out };
    programs.push(program);
    return program;
  }

  /** Runs consignment-cli to its end. */
  function cli(args: string[] = [consignmentFile], extra: NodeJS.ProcessEnv = {}): Promise<CliRun> {
    const t0 = performance.now();
    return new Promise((resolve) => {
      execFile(process.execPath, [join(shippy, 'consignment-cli.js'), ...args], { env: { ...env, ...extra }, timeout: 60_000 }, (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1;
        resolve({ code, stdout, stderr, ms: performance.now() - t0 });
      });
    });
  }

  const kill = async (p: Program): Promise<void> => {
    const gone = new Promise((r) => p.child.once('exit', r));
    p.child.kill('SIGKILL'); // a crash: no deregistration, Consul keeps listing the node
    await gone;
  };

  it('the CLI creates the consignment and lists it; its trace is CLI → consignment → vessel with the right parents', async () => {
    const vessel = await service('vessel-service');
    const consignment = await service('consignment-service');
    const run = await cli();
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /^created: [0-9a-f-]{36}  vessel001  55000 kg  3 container\(s\)  This is a test consignment$/m);
    assert.match(run.stdout, /^consignments \(1\):$/m);
    assert.match(vessel.output(), new RegExp(`${vessel.id} FindAvailable\\(capacity 3, max_weight 55000\\) → vessel001`));
    assert.match(consignment.output(), /created [0-9a-f-]{36} on vessel001/);
    const traceId = /^trace ([0-9a-f]{32})$/m.exec(run.stdout)?.[1];
    assert.ok(traceId, run.stdout);

    // The CLI flushed its spans before exiting; the services export theirs within 100 ms.
    let spans: Span[] = [];
    await eventually(async () => (spans = await jaegerTrace(jaeger.info.query, traceId)).length >= 7, '7 spans of the CLI run in Jaeger', 20_000);
    const one = (service: string, kind: string, name: string): Span => {
      const found = spans.filter((s) => s.service === service && s.kind === kind && s.name.includes(name));
      assert.equal(found.length, 1, `one ${service} ${kind} span named ${name}: ${JSON.stringify(spans)}`);
      return found[0] as Span;
    };
    const root = one('consignment-cli', 'internal', 'consignment-cli create');
    const create = one('consignment-cli', 'client', 'shippy.consignment.ShippingService/CreateConsignment');
    const created = one('consignment-service', 'server', 'shippy.consignment.ShippingService/CreateConsignment');
    const find = one('consignment-service', 'client', 'shippy.vessel.VesselService/FindAvailable');
    const found = one('vessel-service', 'server', 'shippy.vessel.VesselService/FindAvailable');
    const list = one('consignment-cli', 'client', 'shippy.consignment.ShippingService/GetConsignments');
    const listed = one('consignment-service', 'server', 'shippy.consignment.ShippingService/GetConsignments');
    assert.equal(spans.length, 7, JSON.stringify(spans));
    assert.equal(root.parent, undefined);
    assert.deepEqual(
      [create.parent, created.parent, find.parent, found.parent, list.parent, listed.parent],
      [root.id, create.id, created.id, find.id, root.id, list.id],
      'each span is the child of the hop that caused it',
    );
  });

  it("killing the vessel service's only node makes CreateConsignment fail fast, with one clear line", async () => {
    const vessel = await service('vessel-service');
    const consignment = await service('consignment-service');
    assert.equal((await cli()).code, 0, 'a first consignment goes through');
    await kill(vessel);
    // A deadline far away: a call that hung on the dead node would show as a DEADLINE_EXCEEDED after 20 s.
    const run = await cli([consignmentFile], { MICRO_CLIENT_REQUEST_TIMEOUT: '20s' });
    assert.equal(run.code, 1, run.stdout);
    assert.doesNotMatch(run.stdout, /^created:/m);
    const lines = run.stderr.trim().split('\n');
    assert.equal(lines.length, 1, run.stderr);
    // The attempts on the dead node are refused at once (nothing listens); after a few of them its circuit opens.
    assert.match(lines[0] as string, /^consignment-cli: CreateConsignment failed: UNAVAILABLE \(14\): vessel service( \((circuit_open|no_nodes)\))?: \S.+/);
    // CreateConsignment reached the service once: the CLI did not retry it (it is not idempotent).
    assert.equal(consignment.output().split('\n').filter((l) => l.includes('CreateConsignment failed')).length, 1, consignment.output());
    // The whole CLI process (Node start-up included) on a busy 2-core machine: seconds, not the 20 s deadline.
    assert.ok(run.ms < 10_000, `the CLI took ${Math.round(run.ms)} ms`);
    console.log(`# CLI with the only vessel node killed: exit 1 after ${Math.round(run.ms)} ms: ${lines[0]}`);
  });

  it('two vessel nodes, one killed: every consignment still finds a vessel (the call fails over)', async () => {
    const [a, b] = await Promise.all([service('vessel-service'), service('vessel-service')]);
    const consignment = await service('consignment-service');
    const shipping = createClient(ShippingService, CONSIGNMENT_SERVICE, { registry });
    try {
      const request = { description: 'failover', weight: 1000, containers: [{ customer_id: 'c1', origin: 'Leeds', user_id: 'u1' }] };
      for (let i = 0; i < 6; i++) await shipping.createConsignment(request);
      // Round robin used both nodes: the kill below takes one that is in the rotation.
      for (const v of [a, b]) assert.match(v.output(), /FindAvailable/, `${v.id} served`);
      await kill(a);
      const outcomes = await Promise.allSettled(Array.from({ length: 20 }, () => shipping.createConsignment(request)));
      const failed = outcomes.filter((o) => o.status === 'rejected');
      assert.deepEqual(failed, [], 'no consignment failed');
      // The killed node was tried (and the attempt retried on b): the test saw a failover, not luck.
      assert.match(consignment.output(), new RegExp(`FindAvailable attempt \\d on ${a.id} failed .*; retrying`));
      const run = await cli();
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^consignments \(27\):$/m);
      const retries = consignment.output().split('\n').filter((l) => l.includes(`on ${a.id} failed`)).length;
      console.log(`# two vessel nodes, one killed: 21 consignments after the kill, 0 failed, ${retries} attempt(s) on the dead node retried`);
    } finally {
      shipping.close();
    }
  });

  it('WatchConsignments delivers every consignment created while it is open, in order (to a client here and to `consignment-cli watch`)', async () => {
    await service('vessel-service');
    await service('consignment-service');
    const watcher = fork(join(shippy, 'consignment-cli.js'), ['watch'], { env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    let watched = '';
    watcher.stdout?.on('data', (d: Buffer) => (watched += d));
    watcher.stderr?.on('data', (d: Buffer) => (watched += d));
    const watcherExit = new Promise<number | null>((r) => watcher.once('exit', r));
    // { watching: true }: its loop has asked for the stream (or it exited first: then its output says why).
    await Promise.race([new Promise((r) => watcher.once('message', r)), watcherExit.then((code) => { throw new Error(`consignment-cli watch exited (${code}) before watching:\n${watched}`); })]);
    const shipping = createClient(ShippingService, CONSIGNMENT_SERVICE, { registry });
    const stop = new AbortController();
    const seen: Consignment[] = [];
    const watching = (async () => {
      for await (const c of shipping.watchConsignments({}, { signal: stop.signal })) seen.push(c);
    })().catch((err: unknown) => {
      if (!stop.signal.aborted) throw err;
    });
    try {
      const request = (n: number) => ({ description: `watched ${n}`, weight: 100 + n, containers: [{ customer_id: 'c', origin: 'Hull', user_id: 'u' }] });
      // The stream opens asynchronously: create until the first one comes through (then it is open).
      let first = '';
      await eventually(async () => {
        const { consignment } = await shipping.createConsignment(request(0));
        await new Promise((r) => setTimeout(r, 200));
        first = consignment?.id ?? '';
        return seen.some((c) => c.id === first) && watched.includes(`new: ${first}`);
      }, 'the watch stream to deliver a first consignment', 10_000);
      const created: string[] = [first];
      for (let n = 1; n <= 10; n++) created.push(((await shipping.createConsignment(request(n))).consignment as Consignment).id);
      const run = await cli(); // and one from another process
      assert.equal(run.code, 0, run.stderr);
      created.push(/^created: (\S+)/m.exec(run.stdout)?.[1] as string);
      await eventually(() => seen.length >= created.length + seen.findIndex((c) => c.id === first), 'every consignment on the stream', 10_000);
      const after = seen.slice(seen.findIndex((c) => c.id === first));
      assert.deepEqual(after.map((c) => c.id), created);
      assert.equal(after.at(-1)?.vessel_id, 'vessel001');
      assert.equal(after[3]?.description, 'watched 3');
      // The CLI's watch mode printed the same consignments, in the same order.
      await eventually(() => watched.includes(`new: ${created.at(-1)}`), 'the watching CLI to print the last consignment', 10_000);
      const printed = [...watched.matchAll(/^new: (\S+)/gm)].map(([, id]) => id);
      assert.deepEqual(printed.slice(printed.indexOf(first)), created);
      watcher.kill('SIGINT'); // Ctrl-C: a clean end
      assert.equal(await watcherExit, 0, watched);
    } finally {
      stop.abort();
      await watching;
      shipping.close();
      if (watcher.exitCode === null) watcher.kill('SIGKILL');
    }
  });

  it("passes the CLI's deadline on to the vessel call, and cancels it when the deadline passes", async () => {
    // A vessel node that never answers, in this process, so the test sees the deadline it was given.
    const seen: Array<{ at: number; deadline: number | undefined; aborted: Promise<number> }> = [];
    const hung = createServer({ name: VESSEL_SERVICE, registry, logger: false, drainDelayMs: 0, graceMs: 100 });
    hung.addService(VesselService, {
      FindAvailable: (_spec, ctx) => {
        const aborted = new Promise<number>((resolve) => ctx.signal.addEventListener('abort', () => resolve(Date.now())));
        seen.push({ at: Date.now(), deadline: ctx.deadline, aborted });
        return new Promise<never>((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(new Error('cancelled'))));
      },
    });
    servers.push(hung);
    await hung.start();
    await service('consignment-service');
    // 800 ms: shorter than the consignment service's own default (5 s) and its per-attempt timeout (1 s).
    const started = Date.now();
    const run = await cli([consignmentFile], { MICRO_CLIENT_REQUEST_TIMEOUT: '800ms' });
    assert.equal(run.code, 1, run.stdout);
    assert.match(run.stderr, /^consignment-cli: CreateConsignment failed: DEADLINE_EXCEEDED \(4\)/);
    assert.equal(seen.length, 1, 'one attempt: no time was left for a retry');
    const call = seen[0] as (typeof seen)[number];
    assert.ok(call.deadline !== undefined && call.deadline > call.at, 'the vessel call carried a deadline');
    const left = (call.deadline as number) - call.at;
    assert.ok(left <= 800, `the vessel node had ${left} ms left: the CLI's deadline, not a fresh 1 s or 5 s`);
    assert.ok((call.deadline as number) <= started + run.ms + 100);
    const abortedAt = await Promise.race([call.aborted, new Promise<number>((r) => setTimeout(() => r(Infinity), 5000))]);
    assert.ok(abortedAt - (call.deadline as number) < 1000, `the hung vessel call was cancelled when the deadline passed (${abortedAt - (call.deadline as number)} ms after)`);
  });
});
