// What the OpenTelemetry SDK alone costs per span, apart from keel (issue 21's floor), and keel's tracing()
// wrapper in the same process for comparison: `node --expose-gc --max-semi-space-size=64 dist/bench/in-process/otel-floor.js [out.json]`.
// CPU ns per operation (process.cpuUsage over a tight loop; median and range of the rounds) and bytes allocated
// per operation (heap growth over a loop short enough that no GC runs; `–` when one did).
import { writeFileSync } from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { context, propagation, ROOT_CONTEXT, SpanKind, trace, type Context, type Span, type SpanOptions, type Tracer } from '@opentelemetry/api';
import { Metadata } from '@grpc/grpc-js';
import { BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, TracerProvider } from '@opentelemetry/sdk-trace';
import { initTracing, retry, runCall, tracing, wrapClient, wrapHandler, type Call, type EndListener, type Handler, type HandlerContext } from '../../src/index';
import { metadataSetter } from '../../src/tracing/metadata-carrier';
import { fakeContext, helloInfo } from '../shared/call-context';
import { noopExporter } from '../stacks/noop-exporter';
import { medianSpread } from '../report/side';

const ROUNDS = 7;
const SYNC_OPS = 100_000;
const ASYNC_OPS = 30_000;
const ALLOC_OPS = 5_000;

let gcs = 0;
new PerformanceObserver((list) => (gcs += list.getEntries().length)).observe({ entryTypes: ['gc'] });
const gc = (globalThis as { gc?: () => void }).gc;

export interface FloorRow {
  name: string;
  /** CPU ns per operation, one value per round. */
  cpuNs: number[];
  /** Bytes allocated per operation (NaN: a GC ran during the count, or no --expose-gc). */
  bytes: number;
}

async function measure(name: string, op: () => unknown, ops: number): Promise<FloorRow> {
  const isAsync = op() instanceof Promise;
  const run = isAsync
    ? async (n: number) => { for (let i = 0; i < n; i++) await op(); }
    : async (n: number) => { for (let i = 0; i < n; i++) op(); };
  await run(ops / 5); // warm-up: the JIT settles
  const cpuNs: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const cpu0 = process.cpuUsage();
    await run(ops);
    const cpu = process.cpuUsage(cpu0);
    cpuNs.push(((cpu.user + cpu.system) * 1000) / ops);
  }
  let bytes = NaN;
  if (gc !== undefined) {
    const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20)); // gc entries are delivered asynchronously
    gc();
    await settle();
    const before = gcs;
    const heap0 = process.memoryUsage().heapUsed;
    await run(ALLOC_OPS);
    const heap1 = process.memoryUsage().heapUsed;
    await settle();
    if (gcs === before) bytes = (heap1 - heap0) / ALLOC_OPS;
  }
  return { name, cpuNs, bytes };
}

const RPC = { 'rpc.system': 'grpc', 'rpc.service': 'basis.Basis', 'rpc.method': 'Hello' };
const OPTIONS: SpanOptions = { kind: SpanKind.CLIENT, attributes: RPC };
const END = { 'server.address': '127.0.0.1', 'server.port': 50051, 'keel.node.id': 'basis-1', 'rpc.grpc.status_code': 0 };

/** keel's client path per call with the SDK alone, no keel code: start, a context holding it, inject, end attributes, end. */
function spanLifecycle(tracer: Tracer): () => void {
  return () => {
    const span = tracer.startSpan('basis.Basis/Hello', OPTIONS, ROOT_CONTEXT);
    propagation.inject(trace.setSpan(ROOT_CONTEXT, span), new Metadata(), metadataSetter);
    if (span.isRecording()) span.setAttributes(END);
    span.end();
  };
}

const RESPONSE = { msg: 'Hello bench' };
const terminal: Call = () => Promise.resolve(RESPONSE);
const through = (wrap: ReturnType<typeof wrapClient> | undefined): (() => Promise<unknown>) => {
  const call = wrap ? wrap(terminal, helloInfo('floor')) : terminal;
  return () => runCall(call, null, fakeContext('floor'));
};

/** A unary handler behind `wrapHandler(tracing())`, called as a keel server would: a caller's traceparent in, its end told. */
function handled(): () => Promise<unknown> {
  const handler: Handler = () => Promise.resolve(RESPONSE);
  const wrapped = wrapHandler(tracing())(handler, helloInfo('floor'));
  const signal = new AbortController().signal;
  return async () => {
    const metadata = new Metadata();
    metadata.set('traceparent', '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    const listeners: EndListener[] = [];
    const ctx: HandlerContext = {
      service: 'floor', nodeId: 'floor-1', method: '/basis.Basis/Hello', kind: 'unary', metadata, deadline: undefined, signal,
      peer: 'ipv4:127.0.0.1:1', header: new Metadata(), trailer: new Metadata(), onEnd: (l) => void listeners.push(l),
    };
    const response = await wrapped(null, ctx);
    for (const l of listeners) l(undefined);
    return response;
  };
}

/** A server-streaming handler of 100 messages behind `wrapHandler(tracing())`, read to its end as a keel server would. */
function streamed(): () => Promise<unknown> {
  async function* hundred(): AsyncGenerator<unknown> {
    for (let i = 0; i < 100; i++) yield RESPONSE;
  }
  const info = { ...helloInfo('floor'), kind: 'server_stream' as const };
  const wrapped = wrapHandler(tracing())(() => Promise.resolve(hundred()), info);
  const signal = new AbortController().signal;
  return async () => {
    const listeners: EndListener[] = [];
    const ctx: HandlerContext = {
      service: 'floor', nodeId: 'floor-1', method: '/basis.Basis/Hello', kind: 'server_stream', metadata: new Metadata(), deadline: undefined, signal,
      peer: 'ipv4:127.0.0.1:1', header: new Metadata(), trailer: new Metadata(), onEnd: (l) => void listeners.push(l),
    };
    const responses = (await wrapped(null, ctx)) as AsyncIterable<unknown>;
    let n = 0;
    for await (const _ of responses) n++;
    for (const l of listeners) l(undefined);
    return n;
  };
}

async function main(): Promise<void> {
  const rows: FloorRow[] = [];
  // Sampled: the SDK as initTracing sets it up (ALS context manager, W3C trace context + baggage, BatchSpanProcessor
  // with a no-op exporter, AlwaysOn under ParentBased).
  let sdk = initTracing({ serviceName: 'floor', exporter: noopExporter });
  const sampled = trace.getTracer('floor');
  // Unsampled: a provider whose root sampler says no to everything (what 99 % of calls meet at 1 % sampling).
  const never = new TracerProvider({
    sampler: new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(0) }),
    spanProcessors: [new BatchSpanProcessor({ exporter: noopExporter } as never)],
  } as never) as unknown as { getTracer(name: string): Tracer; shutdown(): Promise<void> };
  const unsampled = never.getTracer('floor');
  const span: Span = sampled.startSpan('held', OPTIONS);
  const active: Context = trace.setSpan(ROOT_CONTEXT, span);
  const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
  const fn = (): number => 1;

  // `KEEL_FLOOR=keel`: keel's rows only (two builds' A/B).
  const sdkRows = process.env.KEEL_FLOOR !== 'keel';
  if (sdkRows) {
  rows.push(await measure('SDK startSpan + end, sampled (BatchSpanProcessor, no-op exporter)', () => sampled.startSpan('basis.Basis/Hello', OPTIONS, ROOT_CONTEXT).end(), SYNC_OPS));
  rows.push(await measure('SDK startSpan + end, unsampled (NonRecordingSpan, fresh ids)', () => unsampled.startSpan('basis.Basis/Hello', OPTIONS, ROOT_CONTEXT).end(), SYNC_OPS));
  rows.push(await measure('context.with (ALS context manager)', () => context.with(active, fn), SYNC_OPS));
  rows.push(await measure('trace.setSpan (a new Context)', () => trace.setSpan(ROOT_CONTEXT, span), SYNC_OPS));
  rows.push(await measure('new Metadata()', () => new Metadata(), SYNC_OPS));
  rows.push(await measure('new Metadata() + set(traceparent) (grpc-js validates key and value)', () => new Metadata().set('traceparent', traceparent), SYNC_OPS));
  rows.push(await measure('new Metadata() + propagation.inject (W3C trace context + baggage)', () => propagation.inject(active, new Metadata(), metadataSetter), SYNC_OPS));
  rows.push(await measure('SDK floor of one traced call: start, setSpan, inject, end attributes, end — sampled', spanLifecycle(sampled), SYNC_OPS));
  rows.push(await measure('SDK floor of one traced call — unsampled', spanLifecycle(unsampled), SYNC_OPS));
  }
  rows.push(await measure('keel call, no wrappers (in process, terminal answers at once)', through(undefined), ASYNC_OPS));
  rows.push(await measure('keel call + tracing(), sampled', through(wrapClient(tracing())), ASYNC_OPS));
  rows.push(await measure('keel handler + tracing(), sampled (a caller\'s traceparent in)', handled(), ASYNC_OPS));
  rows.push(await measure('keel server stream + tracing(), 100 messages (divide by 100 for one message)', streamed(), ASYNC_OPS / 20));
  rows.push(await measure('keel call + retry(), tracing(), sampled (the call\'s span, carrying its one attempt)', through(wrapClient(retry({ budget: false }), tracing())), ASYNC_OPS));
  await sdk.shutdown();
  sdk = initTracing({ serviceName: 'floor', exporter: noopExporter, sampleRatio: 0 });
  rows.push(await measure('keel call + tracing(), unsampled (sampleRatio 0)', through(wrapClient(tracing())), ASYNC_OPS));
  rows.push(await measure('keel call + retry(), tracing(), unsampled', through(wrapClient(retry({ budget: false }), tracing())), ASYNC_OPS));
  await sdk.shutdown();
  await never.shutdown();

  const lines = [`Node ${process.version}; ${ROUNDS} rounds; CPU ns per operation, median (range); bytes allocated per operation (${ALLOC_OPS} operations, no GC during the count).`, '',
    '| operation | CPU ns/op | bytes/op |', '| --- | ---: | ---: |',
    ...rows.map((r) => `| ${r.name} | ${medianSpread(r.cpuNs, 0)} | ${Number.isFinite(r.bytes) ? Math.round(r.bytes) : '–'} |`)];
  process.stdout.write(`${lines.join('\n')}\n`);
  const out = process.argv[2];
  if (out !== undefined) writeFileSync(out, `${JSON.stringify({ node: process.version, rows }, null, 2)}\n`);
}

main().catch((err: Error) => {
  console.error(err.stack ?? err.message);
  process.exit(1);
});
