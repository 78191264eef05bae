// consignment-service: `node dist/examples/shippy/consignment-service.js`. Accepts a consignment once the
// vessel service (found through the registry, called through the recommended stack) has a vessel for it,
// with the caller's deadline and trace; keeps consignments in memory and streams new ones to watchers.
// Configured like a go-micro service: MICRO_REGISTRY, MICRO_REGISTRY_ADDRESS, MICRO_SERVER_ADDRESS,
// MICRO_CLIENT_REQUEST_TIMEOUT (the vessel call's deadline when the caller sends none), OTEL_*.
import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { createClient, createServer, isKeelError, tracing, wrapHandler, type KeelClient, type KeelServer, type RetryEvent } from '../../src/index';
import { setupTracing } from '../basis/tracing-setup';
import { requestTimeoutMs } from './config';
import { Feed } from './feed';
import { launch, runService } from './lifecycle';
import { CONSIGNMENT_SERVICE, ShippingService, VESSEL_SERVICE, VesselService, type Consignment, type NewConsignment } from './proto';
import { recommendedStack } from './stack';

/** Why a consignment is refused before asking for a vessel, or undefined if it may be shipped. */
export function invalid(c: NewConsignment): string | undefined {
  if (!c.description) return 'a consignment needs a description';
  if (!Number.isInteger(c.weight) || (c.weight as number) <= 0) return `weight must be a positive number of kg; got ${c.weight}`;
  if (!c.containers?.length) return 'a consignment needs at least one container';
  return undefined;
}

/**
 * The vessel call's failure as this service's status: the same code (UNAVAILABLE stays UNAVAILABLE, so
 * the caller can tell "try later" from "no vessel fits"), details that say it was the vessel service, and
 * no keel reason of ours: a `no_nodes` passed on would tell the caller the *consignment* service has none.
 */
function vesselFailure(err: unknown): Error {
  const code = (err as { code?: unknown }).code;
  const details = `vessel service${isKeelError(err) ? ` (${err.reason})` : ''}: ${describeError(err)}`;
  return Object.assign(new Error(details), { code: typeof code === 'number' ? code : status.UNKNOWN, details });
}

/**
 * An error's details (or message), first line, without grpc-js's framing: `No connection established. Last
 * error: Error: connect ECONNREFUSED …. Resolution note: ` becomes `connect ECONNREFUSED …`. The framing must
 * not reach our own caller either: keel's retry() reads "No connection established" in an UNAVAILABLE as "this
 * request never left the client" and would retry CreateConsignment, which is not safe to repeat.
 */
function describeError(err: unknown): string {
  const e = err as { details?: unknown; message?: unknown };
  const text = String(e.details || e.message || err).split('\n')[0] as string;
  return text.replace(/No connection established\. Last error: (Error: )?/g, '').replace(/\.?\s*Resolution note:\s*$/, '');
}

export interface ConsignmentServer {
  server: KeelServer;
  vessels: KeelClient<typeof VesselService>;
  feed: Feed<Consignment>;
}

export function consignmentServer(): ConsignmentServer {
  const server = createServer({ name: CONSIGNMENT_SERVICE, wrap: wrapHandler(tracing()) });
  // A failover is worth a line: the consignment was saved by it, and the line names the node that failed.
  const onRetry = (e: RetryEvent): void =>
    console.log(`consignment-service: ${server.id} FindAvailable attempt ${e.attempt - 1} on ${e.node?.id ?? '?'} failed ` +
      `(${describeError(e.error)}); retrying`);
  const vessels = createClient(VesselService, VESSEL_SERVICE, { timeoutMs: requestTimeoutMs(), wrap: recommendedStack(onRetry) });
  const consignments: Consignment[] = [];
  const feed = new Feed<Consignment>();
  server.addService(ShippingService, {
    CreateConsignment: async (request, ctx) => {
      const why = invalid(request);
      if (why) throw Object.assign(new Error(why), { code: status.INVALID_ARGUMENT, details: why });
      const spec = { capacity: request.containers?.length ?? 0, max_weight: request.weight ?? 0 };
      // The caller's deadline and cancellation go on to the vessel call (the trace goes by itself: the
      // handler's span is the active context, and the client's tracing() makes its span a child of it).
      const { vessel } = await vessels.findAvailable(spec, { deadline: ctx.deadline, signal: ctx.signal }).catch((err: unknown) => {
        const failure = vesselFailure(err);
        console.log(`consignment-service: ${server.id} CreateConsignment failed: ${failure.message}`);
        throw failure;
      });
      const consignment: Consignment = {
        id: randomUUID(),
        description: request.description ?? '',
        weight: request.weight ?? 0,
        containers: (request.containers ?? []).map((c, i) => ({ customer_id: '', origin: '', user_id: '', ...c, id: c.id || `${i + 1}` })),
        vessel_id: vessel?.id ?? '',
      };
      consignments.push(consignment);
      feed.publish(consignment);
      console.log(`consignment-service: ${server.id} created ${consignment.id} on ${consignment.vessel_id}`);
      return { created: true, consignment, consignments: [] };
    },
    GetConsignments: () => ({ created: false, consignment: null, consignments }),
    WatchConsignments: (_request, ctx) => feed.watch(ctx.signal),
  });
  return { server, vessels, feed };
}

if (require.main === module) {
  launch('consignment-service', async () => {
    const traces = setupTracing('consignment-service'); // first: the server's spans need the provider
    const { server, vessels, feed } = consignmentServer();
    await runService('consignment-service', server, traces, { beforeStop: () => feed.close(), afterStop: () => vessels.close() });
  });
}
