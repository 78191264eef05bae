import { Metadata } from '@grpc/grpc-js';
import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import Bottleneck from 'bottleneck';
import CircuitBreaker from 'opossum';
import type { BenchClient } from './configs';
import type { Target } from '../shared/protocol';
import { HIGH_RATE } from './rates';
import { rawClients, rawHello } from './raw-call';

const setter = { set: (carrier: Metadata, key: string, value: string) => carrier.set(key, value) };

/**
 * The stack a user would write by hand instead of keel, around `send`: bottleneck as the rate limiter,
 * opossum as the circuit breaker (hystrix-like settings), and an OpenTelemetry CLIENT span per call
 * with the context injected into the metadata.
 */
export function naiveAround(send: (metadata: Metadata) => Promise<unknown>, ratePerSecond = HIGH_RATE): BenchClient {
  const tracer = trace.getTracer('naive');
  const limiter = new Bottleneck({ minTime: 1000 / ratePerSecond });
  const rpc = (): Promise<unknown> =>
    tracer.startActiveSpan('basis.Basis/Hello', { kind: SpanKind.CLIENT }, (span) => {
      const metadata = new Metadata();
      propagation.inject(context.active(), metadata, setter);
      return send(metadata).then((value) => {
        span.end();
        return value;
      }, (err: Error) => {
        span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
        span.end();
        throw err;
      });
    });
  const breaker = new CircuitBreaker(rpc, { timeout: 1000, errorThresholdPercentage: 50, volumeThreshold: 20, resetTimeout: 5000 });
  return {
    call: () => limiter.schedule(() => breaker.fire()),
    close: async () => {
      breaker.shutdown();
      // Queued jobs are dropped, so a saturated limiter does not keep sending into the next measurement.
      await limiter.stop({ dropWaitingJobs: true }).catch(() => undefined);
    },
  };
}

/** The hand-written stack over grpc-js clients, with round robin over the addresses. */
export function naiveStack(target: Target): BenchClient {
  const clients = rawClients(target.addresses);
  const stack = naiveAround((metadata) => rawHello(clients.next(), metadata));
  return {
    call: stack.call,
    close: async () => {
      await stack.close();
      clients.close();
    },
  };
}
