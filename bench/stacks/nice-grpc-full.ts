import { createChannel, createClientFactory } from 'nice-grpc';
import { openTelemetryClientMiddleware } from 'nice-grpc-opentelemetry';
import { retryMiddleware } from 'nice-grpc-client-middleware-retry';
import { deadlineMiddleware } from 'nice-grpc-client-middleware-deadline';
import { Basis } from '../../examples/basis/proto';
import type { Target } from '../shared/protocol';
import type { BenchClient } from './configs';
import { REQUEST } from './rates';

/**
 * The peer with keel's features (issue 21): a nice-grpc client with its own OpenTelemetry, retry and deadline
 * middlewares, in the order their READMEs give (OpenTelemetry first, then retry, then deadline), a 5 s deadline
 * (keel's default `timeoutMs`) and up to 2 retries of the idempotent-safe codes on every call (keel's `retry()`
 * makes 3 attempts). Same SDK (`initTracing`: ALS context manager, W3C propagator, BatchSpanProcessor) and same
 * sampling as the keel configurations beside it.
 */
export function niceGrpcFull(target: Target): BenchClient {
  const channel = createChannel(target.addresses[0] as string);
  const client = createClientFactory()
    .use(openTelemetryClientMiddleware())
    .use(retryMiddleware)
    .use(deadlineMiddleware)
    .create(Basis.service as never, channel, { '*': { deadline: 5000, retry: true, retryMaxAttempts: 2 } }) as unknown as {
      Hello(req: unknown): Promise<unknown>;
    };
  return { call: () => client.Hello(REQUEST), close: async () => channel.close() };
}
