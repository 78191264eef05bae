import { performance } from 'node:perf_hooks';
import { createNoopMeter, trace } from '@opentelemetry/api';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import {
  breaker, initTracing, metrics, rateLimit, retry, roundRobin, runCall, tracing, wrapClient, type Call, type ClientWrapper, type ServiceNode,
} from '../../src/index';
import { recordNode } from '../../src/call';
import { fakeContext, helloInfo } from '../shared/call-context';
import { naiveAround } from '../stacks/naive-stack';
import { noopExporter } from '../stacks/noop-exporter';
import type { PipelineJob } from '../shared/protocol';

/** So high that the limiter never holds a call back here (calls come ~10M/s at most), while it decides on each. */
const PIPELINE_RATE = 1e9;

export interface PipelineRow {
  name: string;
  /** Wall ns per call, one call at a time (await each). */
  nsPerCall: number;
  /** Process CPU ns per call. */
  cpuNsPerCall: number;
  calls: number;
}

const NODE: ServiceNode = { id: 'pipeline-1', name: 'pipeline', version: '1', address: '127.0.0.1:9', metadata: {} };
const NODES = [NODE];
const RESPONSE = { msg: 'Hello bench' };

/** Like keel's terminal without the network: pick a node with the context's selector, then answer. */
const terminal: Call = (_request, ctx) => {
  const node = ctx.selector.pick(NODES, ctx);
  if (node !== undefined) recordNode(ctx, node);
  return Promise.resolve(RESPONSE);
};

/** `concurrency` callers, each awaiting its calls one after the other (c=64: 64 calls in flight at once). */
async function measure(name: string, call: (request: unknown) => Promise<unknown>, maxMs: number, concurrency = 1): Promise<PipelineRow> {
  const maxCalls = 2_000_000;
  const loop = async (ms: number): Promise<number> => {
    const end = performance.now() + ms;
    let n = 0;
    const worker = async (): Promise<void> => {
      while (n < maxCalls && performance.now() < end) {
        for (let i = 0; i < 100; i++) await call(null);
        n += 100;
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return n;
  };
  await loop(Math.min(100, maxMs / 3));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const calls = await loop(maxMs);
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { name, nsPerCall: (wallMs * 1e6) / calls, cpuNsPerCall: ((cpu.user + cpu.system) * 1000) / calls, calls };
}

const through = (wrap: ClientWrapper | undefined): ((request: unknown) => Promise<unknown>) => {
  const info = helloInfo('pipeline');
  const call = wrap ? wrap(terminal, info) : terminal;
  return (request) => runCall(call, request, fakeContext('pipeline'));
};

/**
 * What keel's wrappers cost per call, apart from grpc-js and the network: each stack over a terminal
 * that picks a node and answers at once. Stacks without tracing go first; then the OpenTelemetry SDK is
 * started (it puts an async hook on every promise in the process) and the rest follow, with the bare
 * pipeline again to show what the SDK alone costs. `metrics` runs with the OpenTelemetry metrics SDK (a
 * Prometheus reader, not scraped); the `c=64` rows keep 64 calls in flight (compare them with each other).
 */
export async function pipeline(job: PipelineJob): Promise<PipelineRow[]> {
  const rows: PipelineRow[] = [];
  const ms = job.ms;
  rows.push(await measure('none', through(undefined), ms));
  rows.push(await measure('roundRobin', through(wrapClient(roundRobin())), ms));
  rows.push(await measure('rateLimit', through(wrapClient(rateLimit(PIPELINE_RATE))), ms));
  rows.push(await measure('breaker', through(wrapClient(breaker())), ms));
  rows.push(await measure('full-notrace', through(wrapClient(roundRobin(), rateLimit(PIPELINE_RATE), breaker())), ms));
  // metrics(): the metrics SDK aggregating into a Prometheus reader that nobody scrapes (no server started).
  const meterProvider = new MeterProvider({ readers: [new PrometheusExporter({ preventServerStart: true })] });
  const meter = meterProvider.getMeter('keel');
  // keel's own part: the same wrapper recording into the API's no-op meter.
  rows.push(await measure('metrics (no-op meter)', through(wrapClient(metrics({ meter: createNoopMeter() }))), ms));
  rows.push(await measure('metrics', through(wrapClient(metrics({ meter }))), ms));
  rows.push(await measure('none c=64', through(undefined), ms, 64));
  rows.push(await measure('metrics c=64', through(wrapClient(metrics({ meter }))), ms, 64));
  await meterProvider.shutdown();
  const sdk = initTracing({ serviceName: 'bench-pipeline', exporter: noopExporter });
  rows.push(await measure('none (OTel SDK started)', through(undefined), ms));
  rows.push(await measure('tracing', through(wrapClient(tracing())), ms));
  rows.push(await measure('full', through(wrapClient(roundRobin(), rateLimit(PIPELINE_RATE), breaker(), tracing())), ms));
  // retry() above tracing(): with no caller span, the call's span, which carries a call's first attempt; inside
  // one caller span (opened once, outside the loop), the attempt's span under it. Both make one span a call.
  const retried = through(wrapClient(retry({ budget: false }), tracing()));
  rows.push(await measure('retry, tracing (call span)', retried, ms));
  rows.push(await trace.getTracer('bench').startActiveSpan('caller', async (caller) => {
    const row = await measure('retry, tracing (in a caller span)', retried, ms);
    caller.end();
    return row;
  }));
  const naive = naiveAround(() => Promise.resolve(RESPONSE), PIPELINE_RATE);
  rows.push(await measure('naive', () => naive.call(), ms));
  await naive.close();
  await sdk.shutdown();
  return rows;
}
