import { backoffDelay } from '../backoff';
import { func, knownKeys, positiveMs, withMethod } from '../options';
import type { Registry, ServiceNode } from '../registry/registry';

/** What `new Registration(...)` takes. */
export interface RegistrationOptions {
  /** Where to register. */
  registry: Registry;
  /** The node to keep registered (its `id` unique per process). */
  node: ServiceNode;
  /** The node disappears unless registered again within this time. Default 30_000, as a keel server's. */
  ttlMs?: number;
  /** Registered again this often; below `ttlMs`. Default 10_000, as a keel server's. */
  intervalMs?: number;
  /** A refresh that failed (it is retried with backoff). Default: its message on `console.error`. */
  onError?: (err: Error) => void;
}

const KNOWN = ['registry', 'node', 'ttlMs', 'intervalMs', 'onError'] as const;

/** First retry after a failed refresh: the agent may be back already (a restart takes about a second). */
const RETRY_MIN_MS = 100;
/**
 * Retries while the registry is down are at most this far apart (further capped by the refresh interval),
 * so a node is listed again within about a second of the registry's return — not at the next refresh,
 * which left clients of a Consul agent restarted empty with no nodes for up to 10 s.
 */
const RETRY_MAX_MS = 1000;

/**
 * Keeps one node registered: registers it, then registers it again every `intervalMs` with TTL `ttlMs`
 * (go-micro's RegisterInterval / RegisterTTL), so that a crashed process disappears within the TTL. A
 * failed refresh is retried with backoff (100 ms doubling to 1 s, jittered) until the registry answers,
 * then the interval resumes. `stop()` is final: no refresh started before it can leave the node registered.
 * Every keel server keeps its node registered with one; use it to register a process that is not a keel
 * server (keel's sidecar does), with `advertiseHost`, `nodeMetadata` and `endpointsOf` to build the node.
 * @example
 * const node = { id: `app-${randomUUID()}`, name: 'app', version: '1.0.0', address: '10.0.0.5:8080',
 *   metadata: nodeMetadata(registry.kind, {}), endpoints: [] };
 * const registration = new Registration({ registry, node, ttlMs: 90_000, intervalMs: 30_000 });
 * await registration.start(); // … await registration.stop() on shutdown
 */
export class Registration {
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private stopped = false;
  private failures = 0;
  private lastReportAt = -Infinity;
  private readonly registry: Registry;
  readonly node: ServiceNode;
  private readonly ttlMs: number;
  private readonly intervalMs: number;
  private readonly onError: (err: Error) => void;

  /** Checks its options here: a `TypeError` or `RangeError` names the one at fault. Registers nothing until `start()`. */
  constructor(options: RegistrationOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('Registration: options must be an object ({ registry, node, ttlMs?, intervalMs?, onError? })');
    knownKeys(options, KNOWN, 'Registration');
    this.registry = withMethod(withMethod(options.registry, 'Registration: registry', 'register'), 'Registration: registry', 'deregister');
    if (typeof options.node !== 'object' || options.node === null || typeof options.node.id !== 'string' || options.node.id === '') {
      throw new TypeError('Registration: node must be a ServiceNode with a non-empty id');
    }
    this.node = options.node;
    this.ttlMs = positiveMs(options.ttlMs ?? 30_000, 'Registration: ttlMs');
    this.intervalMs = positiveMs(options.intervalMs ?? 10_000, 'Registration: intervalMs');
    if (this.intervalMs >= this.ttlMs) {
      throw new RangeError(`Registration: intervalMs (${this.intervalMs}) must be below ttlMs (${this.ttlMs}), or the node expires between refreshes`);
    }
    this.onError = func(options.onError ?? ((err: Error) => console.error(err.message)), 'Registration: onError');
  }

  /** Registers once (rejecting if that fails), then refreshes in the background. */
  async start(): Promise<void> {
    await this.registry.register(this.node, { ttlMs: this.ttlMs });
    this.schedule(this.intervalMs);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refreshing = this.refresh().finally(() => (this.refreshing = undefined));
    }, delayMs);
    this.timer.unref();
  }

  private async refresh(): Promise<void> {
    try {
      await this.registry.register(this.node, { ttlMs: this.ttlMs });
      this.failures = 0;
      this.schedule(this.intervalMs);
    } catch (err) {
      if (this.stopped) return;
      this.failures++;
      // Retries are frequent while the registry is down: report as often as the refreshes used to fail.
      if (this.failures === 1 || Date.now() - this.lastReportAt >= this.intervalMs) {
        this.lastReportAt = Date.now();
        this.onError(new Error(`keel: refreshing ${this.node.id} in the ${this.registry.kind} registry failed: ` +
          `${(err as Error).message} (${this.failures} in a row; retrying with backoff)`));
      }
      this.schedule(backoffDelay(this.failures, RETRY_MIN_MS, Math.min(RETRY_MAX_MS, this.intervalMs)));
    }
  }

  /**
   * Stops refreshing and deregisters; a failure is reported, not thrown, so shutdown goes on. A refresh
   * in flight may land after the first deregistration (a file renamed into place, a Consul register
   * arriving late) and re-create the node until its TTL: it is awaited and the node deregistered again.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const inFlight = this.refreshing;
    await this.deregister();
    if (inFlight !== undefined) {
      await inFlight;
      await this.deregister();
    }
  }

  private deregister(): Promise<void> {
    return this.registry.deregister(this.node).catch((err: Error) =>
      this.onError(new Error(`keel: deregistering ${this.node.id} from the ${this.registry.kind} registry failed: ${err.message}`)));
  }
}
