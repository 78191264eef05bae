// consignment-cli: `node dist/examples/shippy/consignment-cli.js [file]` creates the consignment in `file`
// (default ./consignment.json), then lists every consignment; `… watch` prints each new consignment until
// Ctrl-C. One trace per run: a root span, under it the CreateConsignment and GetConsignments calls.
// Exits 0 on success; on failure prints one line (`… failed: UNAVAILABLE (14): vessel service …`) and exits 1
// (2 for a file it cannot use). Configured by MICRO_REGISTRY, MICRO_REGISTRY_ADDRESS,
// MICRO_CLIENT_REQUEST_TIMEOUT (each call's deadline, default 5s) and OTEL_*.
import { readFileSync } from 'node:fs';
import { SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { status } from '@grpc/grpc-js';
import { createClient, isKeelError, type TracingHandle } from '../../src/index';
import { setupTracing } from '../basis/tracing-setup';
import { requestTimeoutMs } from './config';
import { CONSIGNMENT_SERVICE, ShippingService, type Consignment, type NewConsignment } from './proto';
import { recommendedStack } from './stack';

/** `CODE (n): details [reason]`: what a failed call says, on one line. */
export function describeFailure(err: unknown): string {
  const e = err as { code?: unknown; details?: unknown; message?: unknown };
  const code = typeof e.code === 'number' ? `${status[e.code] ?? 'code'} (${e.code})` : 'error';
  const details = String(e.details || e.message || err).split('\n')[0];
  return `${code}: ${details}${isKeelError(err) ? ` [${err.reason}]` : ''}`;
}

const line = (c: Consignment): string =>
  `${c.id}  ${c.vessel_id}  ${c.weight} kg  ${c.containers.length} container(s)  ${c.description}`;

/** Reads the consignment file: a usage problem (exit 2), not a failed call. */
function readConsignment(file: string): NewConsignment {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as NewConsignment;
  } catch (err) {
    throw Object.assign(new Error(`cannot use ${file}: ${(err as Error).message}`), { exitCode: 2 });
  }
}

async function create(file: string, span: Span): Promise<void> {
  const consignment = readConsignment(file);
  const shipping = createClient(ShippingService, CONSIGNMENT_SERVICE, { timeoutMs: requestTimeoutMs(), wrap: recommendedStack() });
  try {
    let step = 'CreateConsignment';
    try {
      const { consignment: created } = await shipping.createConsignment(consignment);
      console.log(`created: ${line(created as Consignment)}`);
      process.send?.({ created: created?.id });
      step = 'GetConsignments';
      const { consignments } = await shipping.getConsignments({});
      console.log(`consignments (${consignments.length}):`);
      for (const c of consignments) console.log(`  ${line(c)}`);
    } catch (err) {
      throw Object.assign(new Error(`${step} failed: ${describeFailure(err)}`), { exitCode: 1 });
    }
  } finally {
    shipping.close();
    console.log(`trace ${span.spanContext().traceId}`);
  }
}

async function watch(): Promise<void> {
  const shipping = createClient(ShippingService, CONSIGNMENT_SERVICE, { wrap: recommendedStack() });
  const stop = new AbortController();
  process.once('SIGINT', () => stop.abort());
  process.once('SIGTERM', () => stop.abort());
  console.log('watching new consignments (Ctrl-C to stop)');
  process.send?.({ watching: true });
  try {
    for await (const c of shipping.watchConsignments({}, { signal: stop.signal })) {
      console.log(`new: ${line(c)}`);
      process.send?.({ seen: c.id });
    }
  } catch (err) {
    if (!stop.signal.aborted) throw Object.assign(new Error(`WatchConsignments failed: ${describeFailure(err)}`), { exitCode: 1 });
  } finally {
    shipping.close();
  }
}

async function main(traces: TracingHandle): Promise<number> {
  const [arg = 'consignment.json'] = process.argv.slice(2);
  const tracer = trace.getTracer('consignment-cli');
  return tracer.startActiveSpan(`consignment-cli ${arg === 'watch' ? 'watch' : 'create'}`, async (span) => {
    try {
      await (arg === 'watch' ? watch() : create(arg, span));
      return 0;
    } catch (err) {
      span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message });
      console.error(`consignment-cli: ${(err as Error).message}`);
      return (err as { exitCode?: number }).exitCode ?? 1;
    } finally {
      span.end();
      await traces.shutdown();
    }
  });
}

if (require.main === module) {
  const traces = setupTracing('consignment-cli');
  main(traces).then(
    (code) => process.exit(code),
    (err: Error) => {
      console.error(`consignment-cli: ${err.message}`);
      process.exit(1);
    },
  );
}
