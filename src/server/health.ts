import { status as grpcStatus, type sendUnaryData, type ServerUnaryCall, type ServerWritableStream, type UntypedServiceImplementation } from '@grpc/grpc-js';

/** What `server.setStatus` accepts. */
export type ServingStatus = 'SERVING' | 'NOT_SERVING';
type WireStatus = ServingStatus | 'SERVICE_UNKNOWN';
type Watcher = (status: WireStatus) => void;

/**
 * The statuses grpc.health.v1 reports: `""` (the whole server) and one per service, with the Watch
 * streams that follow them. Written for keel rather than taken from npm `grpc-health-check` because the
 * server's lifecycle drives it (NOT_SERVING the moment stop begins, Watch streams ended before the
 * graceful shutdown waits for in-flight calls, which an open Watch would otherwise hold up for `graceMs`)
 * and because it serves `List`, which that package does not.
 */
export class HealthBoard {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Map<string, Set<Watcher>>();
  private readonly streams = new Set<ServerWritableStream<unknown, unknown>>();
  /** Services the application set itself: `start()` does not overrule them. */
  private readonly explicit = new Set<string>();
  private stopping = false;

  /** Known but not yet serving (before `start()` has registered). */
  add(service: string): void {
    if (!this.statuses.has(service)) this.update(service, 'NOT_SERVING');
  }

  /** `start()` has registered: every service the application did not set itself is SERVING. */
  serving(): void {
    for (const service of this.statuses.keys()) if (!this.explicit.has(service)) this.update(service, 'SERVING');
  }

  /** The application's own readiness. Ignored once stopping: a stopping server never claims to serve again. */
  set(service: string, status: ServingStatus): void {
    this.explicit.add(service);
    this.update(service, status);
  }

  /** `stop()` began: everything NOT_SERVING, for good. */
  stop(): void {
    for (const service of this.statuses.keys()) this.update(service, 'NOT_SERVING');
    this.stopping = true;
  }

  /** Ends the open Watch streams (OK), so a graceful shutdown does not wait on them. */
  endWatches(): void {
    for (const call of this.streams) call.end();
    this.streams.clear();
    this.watchers.clear();
  }

  private update(service: string, status: ServingStatus): void {
    if (this.stopping || this.statuses.get(service) === status) return;
    this.statuses.set(service, status);
    for (const watcher of this.watchers.get(service) ?? []) watcher(status);
  }

  /** The grpc-js handlers of grpc.health.v1.Health. They bypass the handler wrappers: a probe is not traffic. */
  handlers(): UntypedServiceImplementation {
    return {
      Check: (call: ServerUnaryCall<{ service: string }, unknown>, callback: sendUnaryData<unknown>) => {
        const status = this.statuses.get(call.request.service);
        if (status === undefined) callback({ code: grpcStatus.NOT_FOUND, details: `unknown service "${call.request.service}"` });
        else callback(null, { status });
      },
      List: (_call: unknown, callback: sendUnaryData<unknown>) => {
        const statuses: Record<string, { status: ServingStatus }> = {};
        for (const [service, status] of this.statuses) statuses[service] = { status };
        callback(null, { statuses });
      },
      Watch: (call: ServerWritableStream<{ service: string }, unknown>) => {
        const service = call.request.service;
        // As the spec says: the current status at once (SERVICE_UNKNOWN for a name not known yet), then each change.
        call.write({ status: this.statuses.get(service) ?? 'SERVICE_UNKNOWN' });
        if (this.stopping) {
          call.end();
          return;
        }
        const watcher: Watcher = (status) => call.write({ status });
        let set = this.watchers.get(service);
        if (set === undefined) this.watchers.set(service, (set = new Set()));
        set.add(watcher);
        this.streams.add(call as ServerWritableStream<unknown, unknown>);
        call.once('cancelled', () => {
          set.delete(watcher);
          this.streams.delete(call as ServerWritableStream<unknown, unknown>);
        });
      },
    };
  }
}
