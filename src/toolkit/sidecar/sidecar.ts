import { randomUUID } from 'node:crypto';
import { advertiseHost, formatHostPort, nodeMetadata, parseHostPort, Registration, type ServiceNode } from '../library';
import { checkApp, type CheckResult } from './check';
import { HealthGate } from './health-gate';
import { resolveOptions, type SidecarGateway, type SidecarOptions } from './options';
import { reflectEndpoints } from './reflect-endpoints';

export interface Sidecar {
  /** The app's node id in the registry, `<name>-<uuid>` (kept across deregistrations). */
  readonly id: string;
  readonly name: string;
  /** The node as last registered (endpoints re-read from the app's reflection at each registration). */
  readonly node: ServiceNode;
  /** Whether the app is in the registry now. */
  readonly registered: boolean;
  readonly lastCheck: CheckResult | undefined;
  /** Deregisters the app, stops checking, closes the gateway. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Registers a plain gRPC app (any language, no keel in it) under `name` and keeps the registry true to its
 * health, like Micro's sidecar: it checks the app with grpc.health.v1 every `intervalMs` (a TCP connect when
 * the app has no health service), deregisters it after `failAfter` failed checks in a row and registers it
 * again after `recoverAfter` passed ones. While registered, the node is refreshed with a TTL exactly as a
 * keel server's (a killed sidecar's node expires within `registerTtlMs`). Endpoints come from the app's
 * server reflection when it has it. Resolves after the first check (registered if it passed: a sidecar
 * started before its app waits for it).
 *
 * Bounds, with the defaults (5 s interval, 1 s check timeout, 2 and 2): an app that stops serving leaves the
 * registry within `failAfter × (intervalMs + checkTimeoutMs) + checkTimeoutMs` (13 s: the check in flight
 * when it failed, then `failAfter` more), and is back within `recoverAfter × (intervalMs + checkTimeoutMs)
 * + checkTimeoutMs` (13 s) of serving again — plus the registry call and the registry's own delay in telling
 * watchers.
 * @example
 * const sidecar = await startSidecar({ name: 'legacy', app: '127.0.0.1:9000', registry: registryFromEnv() });
 * // … later
 * await sidecar.stop();
 */
export async function startSidecar(options: SidecarOptions): Promise<Sidecar> {
  const o = resolveOptions(options);
  const app = parseHostPort(o.app, 'startSidecar: app');
  // The app bound to all interfaces: probe it on loopback, register this host's address.
  const probeAddress = advertiseHost(app.host) === app.host ? o.app : formatHostPort('127.0.0.1', app.port);
  const address = o.advertise ?? formatHostPort(advertiseHost(app.host), app.port);
  const id = `${o.name}-${randomUUID()}`;
  const gate = new HealthGate(o.failAfter, o.recoverAfter);
  let node: ServiceNode = { id, name: o.name, version: o.version, address, metadata: nodeMetadata(o.registry.kind, o.metadata), endpoints: [] };
  let registration: Registration | undefined;
  let lastCheck: CheckResult | undefined;
  let timer: NodeJS.Timeout | undefined;
  let ticking: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  let gateway: SidecarGateway | undefined;

  const register = async (via: CheckResult['via']): Promise<void> => {
    const endpoints = await reflectEndpoints(probeAddress, o.checkTimeoutMs).catch(() => undefined);
    node = { ...node, endpoints: endpoints ?? [] };
    const candidate = new Registration({ registry: o.registry, node, ttlMs: o.registerTtlMs, intervalMs: o.registerIntervalMs, onError: o.onError });
    try {
      await candidate.start();
    } catch (err) {
      // Tried again at the next passed check: the gate still says up.
      o.onError(new Error(`keel sidecar: registering ${id} in the ${o.registry.kind} registry failed: ${(err as Error).message}`));
      return;
    }
    registration = candidate;
    o.onEvent?.({ type: 'registered', id, address, endpoints: node.endpoints?.length ?? 0, via });
  };
  const deregister = async (why: string): Promise<void> => {
    const current = registration;
    registration = undefined;
    await current?.stop();
    if (current !== undefined) o.onEvent?.({ type: 'deregistered', id, why });
  };

  // One check, then the registry brought in line with the gate (a failed registration is retried here).
  const tick = async (): Promise<void> => {
    const result = await checkApp(probeAddress, o.healthService, o.checkTimeoutMs);
    if (stopping !== undefined) return;
    lastCheck = result;
    o.onEvent?.({ type: 'check', result });
    gate.record(result.passed);
    if (gate.healthy && registration === undefined) await register(result.via);
    else if (!gate.healthy && registration !== undefined) await deregister(result.detail);
  };
  // `ticking` is what stop() waits for, so that no check can register the app after it.
  const runTick = (): Promise<void> =>
    (ticking = tick().catch((err: Error) => o.onError(err)).finally(() => (ticking = undefined)));
  const schedule = (): void => {
    if (stopping !== undefined) return;
    // Not unref'd: a sidecar is a long-running process with nothing else to keep it alive.
    timer = setTimeout(() => void runTick().then(schedule), o.intervalMs);
  };

  const sidecar: Sidecar = {
    id,
    name: o.name,
    get node() {
      return node;
    },
    get registered() {
      return registration !== undefined;
    },
    get lastCheck() {
      return lastCheck;
    },
    stop() {
      return (stopping ??= (async () => {
        if (timer !== undefined) clearTimeout(timer);
        await ticking;
        await deregister('the sidecar stopped');
        await gateway?.close();
      })());
    },
  };
  o.signal?.addEventListener('abort', () => void sidecar.stop(), { once: true });

  await runTick();
  if (o.address !== undefined && o.gateway !== undefined) {
    try {
      gateway = o.gateway({ registry: o.registry, service: o.name });
      await gateway.listen(o.address);
    } catch (err) {
      await sidecar.stop();
      throw new Error(`startSidecar: serving the gateway on ${o.address} failed: ${(err as Error).message}`);
    }
  }
  if (o.signal?.aborted) await sidecar.stop();
  else schedule();
  return sidecar;
}
