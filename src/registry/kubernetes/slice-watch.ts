import type { Backoff } from '../../backoff';
import { KubernetesApiError, parseStatus, type ApiClient } from './api';
import { listSlices } from './list-slices';
import { SERVICE_NAME_LABEL, type SliceNodes } from './slices';
import { Pause } from '../../time/pause';

/** What a watch did, for whoever wants to see it (tests, logs): each list, each resumed watch, each failure. */
export type KubernetesWatchEvent =
  | { type: 'list'; service: string; resourceVersion: string; slices: number }
  | { type: 'watch'; service: string; resourceVersion: string }
  | { type: 'expired'; service: string; resourceVersion: string }
  | { type: 'error'; service: string; error: Error };

export interface SliceWatchOptions {
  api: ApiClient;
  /** The Kubernetes Service whose slices are watched. */
  service: string;
  /** The EndpointSlice collection, e.g. `/apis/discovery.k8s.io/v1/namespaces/default/endpointslices`. */
  collection: string;
  parse(slice: unknown): SliceNodes | undefined;
  /** The current slices, after the list and after every change. */
  onSlices(slices: ReadonlyMap<string, SliceNodes>): void;
  onEvent(event: KubernetesWatchEvent): void;
  backoff: Backoff;
  /** Asked of the API server per watch request (it ends the watch then; the next resumes). */
  watchTimeoutS: number;
  /** No byte for this long: the connection is taken as dead (bookmarks arrive about once a minute). */
  idleMs: number;
  maxSlices: number;
}

/**
 * list + watch of one Service's EndpointSlices, as client-go's reflector does it: list (paged), then
 * watch from the list's `resourceVersion` with bookmarks; a watch that ends is resumed from the last
 * version seen; `410 Gone` (the version is older than the API server keeps, e.g. after a restart) means
 * list again; any other failure backs off and resumes. Slices stay as last seen while it fails.
 */
export class SliceWatch {
  private readonly controller = new AbortController();
  private stopped = false;
  private readonly pause = new Pause();

  constructor(private readonly o: SliceWatchOptions) {
    void this.loop();
  }

  private get selector(): string {
    return `labelSelector=${encodeURIComponent(`${SERVICE_NAME_LABEL}=${this.o.service}`)}`;
  }

  private async loop(): Promise<void> {
    let version: string | undefined;
    let slices = new Map<string, SliceNodes>();
    let failures = 0;
    let expiredInARow = 0;
    while (!this.stopped) {
      try {
        if (version === undefined) {
          ({ version, slices } = await this.list());
          if (this.stopped) return;
          this.o.onEvent({ type: 'list', service: this.o.service, resourceVersion: version, slices: slices.size });
          this.o.onSlices(slices);
        }
        const from: string = version;
        const started = Date.now();
        this.o.onEvent({ type: 'watch', service: this.o.service, resourceVersion: from });
        await this.o.api.watch(`${this.o.collection}?${this.selector}&watch=1&allowWatchBookmarks=true` +
          `&resourceVersion=${encodeURIComponent(from)}&timeoutSeconds=${this.o.watchTimeoutS}`, (event) => {
          version = this.apply(event, slices) ?? version;
          failures = 0;
          expiredInARow = 0;
        }, this.controller.signal, this.o.idleMs);
        // A watch the server ends at once, again and again, must not become a busy loop.
        if (Date.now() - started < 1000) await this.pause.for(this.o.backoff.delayMs(++failures));
      } catch (err) {
        if (this.stopped) return;
        const error = err instanceof Error ? err : new Error(String(err));
        if (error instanceof KubernetesApiError && error.status === 410 && version !== undefined) {
          this.o.onEvent({ type: 'expired', service: this.o.service, resourceVersion: version });
          version = undefined; // list again; at once the first time
          if (++expiredInARow > 1) await this.pause.for(this.o.backoff.delayMs(expiredInARow));
          continue;
        }
        this.o.onEvent({ type: 'error', service: this.o.service, error });
        failures++;
        const asked = error instanceof KubernetesApiError && error.retryAfterS !== undefined ? Math.min(error.retryAfterS, 30) * 1000 : 0;
        await this.pause.for(Math.max(asked, this.o.backoff.delayMs(failures)));
      }
    }
  }

  /** Applies one watch event to `slices`; returns the version it carries. Throws for ERROR events. */
  private apply(event: unknown, slices: Map<string, SliceNodes>): string | undefined {
    const e = event as { type?: unknown; object?: unknown } | null;
    const type = e?.type;
    if (type === 'ERROR') {
      const status = parseStatus(e?.object);
      throw new KubernetesApiError(`watch of ${this.o.service}'s EndpointSlices: ${status?.message ?? 'an ERROR event'}`, status?.code ?? 0, status?.reason);
    }
    const meta = (e?.object as { metadata?: { resourceVersion?: unknown; name?: unknown } } | undefined)?.metadata;
    const version = typeof meta?.resourceVersion === 'string' && /^[0-9]{1,20}$/.test(meta.resourceVersion) ? meta.resourceVersion : undefined;
    if (type === 'BOOKMARK') return version;
    if (type === 'DELETED') {
      if (typeof meta?.name === 'string' && slices.delete(meta.name)) this.o.onSlices(slices);
      return version;
    }
    if (type !== 'ADDED' && type !== 'MODIFIED') throw new KubernetesApiError(`watch of ${this.o.service}'s EndpointSlices: unknown event type`, 0);
    const parsed = this.o.parse(e?.object);
    if (parsed === undefined || parsed.service !== this.o.service) return version;
    if (!slices.has(parsed.name) && slices.size >= this.o.maxSlices) {
      throw new KubernetesApiError(`${this.o.service} has more than ${this.o.maxSlices} EndpointSlices (maxSlices)`, 0);
    }
    slices.set(parsed.name, parsed);
    this.o.onSlices(slices);
    return version;
  }

  /** All slices of the Service and the list's resourceVersion. */
  private async list(): Promise<{ version: string; slices: Map<string, SliceNodes> }> {
    const { version, slices } = await listSlices(this.o.api, this.o.collection, `${SERVICE_NAME_LABEL}=${this.o.service}`,
      (item) => {
        const parsed = this.o.parse(item);
        return parsed?.service === this.o.service ? parsed : undefined;
      }, this.o.maxSlices, { signal: this.controller.signal, background: true });
    return { version, slices: new Map(slices.map((s) => [s.name, s])) };
  }

  stop(): void {
    this.stopped = true;
    this.controller.abort();
    this.pause.stop();
  }
}
