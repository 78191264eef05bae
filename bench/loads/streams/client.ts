// The client side of the streaming benchmark: one server stream at a time, consumed as fast as the
// client can, from a plain grpc-js client or a keel client with the full wrapper stack.
import { Client, credentials, type ServiceError } from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import { breaker, createClient, initTracing, localRegistry, rateLimit, roundRobin, tracing, wrapClient, type Registry } from '../../../src/index';
import { noopExporter } from '../../stacks/noop-exporter';
import type { StreamJob, StreamSegment } from '../../shared/protocol';
import { HIGH_RATE } from '../../stacks/rates';
import { StreamService, type FloodRequest } from './def';

/** The streaming client processes, by name: what each measures is in STREAM_LABELS. */
export const STREAM_CLIENTS = ['stream-raw', 'stream-keel', 'stream-full'] as const;
export type StreamClientName = (typeof STREAM_CLIENTS)[number];

export const STREAM_LABELS: Record<StreamClientName, string> = {
  'stream-raw': 'plain @grpc/grpc-js client (`data` events) against a plain grpc-js server (write until `drain`)',
  'stream-keel': 'keel client, no wrappers, `for await`, against a keel server without handler wrappers (async generator); no OTel SDK: keel\'s stream machinery alone',
  'stream-full': `keel client \`wrapClient(roundRobin(), rateLimit(${HIGH_RATE}), breaker(), tracing())\`, \`for await\`, against a keel server \`wrapHandler(rateLimit(${HIGH_RATE}), tracing())\` (async generator); OTel SDK in both processes`,
};

export const isStreamClient = (name: string): name is StreamClientName => (STREAM_CLIENTS as readonly string[]).includes(name);

/** One stream read to its end, or cancelled when `maxMs` runs out. */
interface Read {
  messages: number;
  complete: boolean;
  /** From the call to its first message, ms. */
  firstMs: number;
  error?: string;
}

/** A streaming client: reads one Flood stream; `close()` lets go of its channels. */
export interface StreamClient {
  read(request: FloodRequest, maxMs: number): Promise<Read>;
  close(): void;
}

const flood = StreamService.service.Flood;

/** grpc-js's own API, the cheapest way to take a stream: a `data` listener, cancel() when the time is up. */
export function rawClient(address: string): StreamClient {
  const client = new Client(address, credentials.createInsecure());
  return {
    read: (request, maxMs) => new Promise((resolve) => {
      const start = performance.now();
      let messages = 0;
      let firstMs = NaN;
      let cancelled = false;
      let error: string | undefined;
      let pending = 2; // the readable's end (or error) and the status
      const call = client.makeServerStreamRequest(flood.path, flood.requestSerialize, flood.responseDeserialize, request);
      const timer = setTimeout(() => {
        cancelled = true;
        call.cancel();
      }, maxMs);
      const settle = (): void => {
        if (--pending > 0) return;
        clearTimeout(timer);
        resolve({ messages, complete: !cancelled && error === undefined, firstMs, ...(error !== undefined && !cancelled ? { error } : {}) });
      };
      call.on('data', () => {
        if (messages++ === 0) firstMs = performance.now() - start;
      });
      call.on('end', settle);
      call.on('error', (err: ServiceError) => {
        error = err.message;
        settle();
      });
      call.on('status', settle);
    }),
    close: () => client.close(),
  };
}

let registry: Registry | undefined;

/** keel (with the full stack, or none), read the way the README shows: `for await`, a signal to stop it. */
export function keelClient(job: Pick<StreamJob, 'target'>, full: boolean): StreamClient {
  registry ??= localRegistry({ dir: job.target.registryDir });
  const client = createClient(StreamService, job.target.service, {
    registry, ...(full ? { wrap: wrapClient(roundRobin(), rateLimit(HIGH_RATE), breaker(), tracing()) } : {}),
  });
  return {
    read: async (request, maxMs) => {
      const start = performance.now();
      let messages = 0;
      let firstMs = NaN;
      const stop = new AbortController();
      const timer = setTimeout(() => stop.abort(), maxMs);
      try {
        for await (const _chunk of client.flood(request, { signal: stop.signal })) {
          if (messages++ === 0) firstMs = performance.now() - start;
        }
        return { messages, complete: true, firstMs };
      } catch (err) {
        return { messages, complete: false, firstMs, ...(stop.signal.aborted ? {} : { error: (err as Error).message }) };
      } finally {
        clearTimeout(timer);
      }
    },
    close: () => client.close(),
  };
}

let tracingStarted = false;

/**
 * One segment: a fresh client reads a short unmeasured stream (connection, JIT), then the measured one;
 * messages per second over the whole measured call (open to status) and the process's CPU time.
 */
export async function streamSegment(name: StreamClientName, job: StreamJob): Promise<StreamSegment> {
  if (name === 'stream-full' && !tracingStarted) {
    tracingStarted = true;
    initTracing({ serviceName: 'bench-stream-full', exporter: noopExporter });
  }
  const client = name === 'stream-raw' ? rawClient(job.target.addresses[0] as string) : keelClient(job, name === 'stream-full');
  try {
    await client.read({ count: job.warmupCount, size: job.size }, job.maxMs);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const read = await client.read({ count: job.count, size: job.size }, job.maxMs);
    const elapsedMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const rate = (read.messages * 1000) / elapsedMs;
    return {
      messages: read.messages, complete: read.complete, elapsedMs, rate, mbPerSecond: (rate * job.size) / 1e6,
      firstMessageUs: read.firstMs * 1000, cpuNsPerMessage: read.messages > 0 ? ((cpu.user + cpu.system) * 1000) / read.messages : NaN,
      ...(read.error !== undefined ? { error: read.error } : {}),
    };
  } finally {
    client.close();
  }
}
