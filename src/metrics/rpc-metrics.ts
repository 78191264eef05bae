import { status } from '@grpc/grpc-js';
import type { Attributes, Histogram, Meter } from '@opentelemetry/api';
import { parseHostPort } from '../address';
import type { RpcNames } from '../tracing/rpc-names';
import { semconvMode, statusName, isErrorStatus } from '../tracing/semconv';

/**
 * The RPC duration metrics of the OpenTelemetry semantic conventions, per side:
 * - current (always): `rpc.client.call.duration` / `rpc.server.call.duration`, histograms in seconds, with
 *   `rpc.system.name` (`grpc`), `rpc.method` (`basis.Basis/Hello`), `rpc.response.status_code` (`OK`,
 *   `UNAVAILABLE`, …), `error.type` (the status name) when the call failed, and on the client
 *   `server.address` / `server.port` of the node called;
 * - older (only with `OTEL_SEMCONV_STABILITY_OPT_IN=rpc/dup`, as the conventions' migration prescribes):
 *   `rpc.client.duration` / `rpc.server.duration` in milliseconds with `rpc.system`, `rpc.service`,
 *   `rpc.method` (short) and `rpc.grpc.status_code` (a number).
 * Unlike tracing (whose default stays the older set that existing dashboards read), metrics are new in keel
 * and have no such readers: the current names are the default.
 * Both carry `keel.reason` when keel itself refused or ended the call (`circuit_open`, `rate_limited`,
 * `deadline`, `no_nodes`, `cancelled`, …).
 */
export interface RpcInstruments {
  current: Histogram;
  old: Histogram | undefined;
}

/** The conventions' advised bucket boundaries for RPC durations (seconds; ms for the older metric). */
const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const MILLISECONDS = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

export function rpcInstruments(meter: Meter, side: 'client' | 'server'): RpcInstruments {
  const dup = semconvMode() === 'dup';
  return {
    current: meter.createHistogram(`rpc.${side}.call.duration`, {
      unit: 's',
      description: `Duration of RPCs ${side === 'client' ? 'made' : 'served'}, until the final status (streams included)`,
      advice: { explicitBucketBoundaries: SECONDS },
    }),
    old: dup ? meter.createHistogram(`rpc.${side}.duration`, {
      unit: 'ms',
      description: `Duration of RPCs ${side === 'client' ? 'made' : 'served'} (older semantic conventions)`,
      advice: { explicitBucketBoundaries: MILLISECONDS },
    }) : undefined,
  };
}

/**
 * The attribute sets of one method, built once per (outcome, node) and reused: recording a call then
 * costs map lookups, no object built per call. Bounded, since node addresses and status codes churn.
 */
export class MethodAttributes {
  private readonly ok = new Map<string, Attributes>();
  private readonly failed = new Map<string, Attributes>();
  private readonly oldOk = new Map<string, Attributes>();
  private readonly oldFailed = new Map<string, Attributes>();

  constructor(private readonly names: RpcNames, private readonly side: 'client' | 'server') {}

  /** Attributes for a call that ended with `error` (undefined: OK) on the node at `address`. */
  current(error: unknown, address: string | undefined): Attributes {
    return this.lookup(error, address, false);
  }

  old(error: unknown, address: string | undefined): Attributes {
    return this.lookup(error, address, true);
  }

  private lookup(error: unknown, address: string | undefined, old: boolean): Attributes {
    const node = address ?? '';
    if (error === undefined) {
      const cache = old ? this.oldOk : this.ok;
      let attributes = cache.get(node);
      if (attributes === undefined) {
        attributes = this.build(status.OK, undefined, address, old);
        bounded(cache).set(node, attributes);
      }
      return attributes;
    }
    const { code, reason } = outcome(error);
    const key = `${code}|${reason ?? ''}|${node}`;
    const cache = old ? this.oldFailed : this.failed;
    let attributes = cache.get(key);
    if (attributes === undefined) {
      attributes = this.build(code, reason, address, old);
      bounded(cache).set(key, attributes);
    }
    return attributes;
  }

  private build(code: number, reason: string | undefined, address: string | undefined, old: boolean): Attributes {
    const a: Attributes = old
      ? { 'rpc.system': 'grpc', 'rpc.service': this.names.service, 'rpc.method': this.names.method, 'rpc.grpc.status_code': code }
      : { 'rpc.system.name': 'grpc', 'rpc.method': this.names.span, 'rpc.response.status_code': statusName(code) };
    if (!old && isErrorStatus(this.side, code, 'stable')) a['error.type'] = statusName(code);
    if (address !== undefined && this.side === 'client') Object.assign(a, serverOf(address));
    if (reason !== undefined) a['keel.reason'] = reason;
    return Object.freeze(a);
  }
}

/** The status code of an ending, and keel's reason when keel refused or ended the call (here, or a keel server). */
function outcome(error: unknown): { code: number; reason: string | undefined } {
  const e = error as { code?: unknown; reason?: unknown } | null;
  const code = typeof e?.code === 'number' ? e.code : status.UNKNOWN;
  const reason = typeof e?.reason === 'string' ? e.reason : undefined;
  return { code, reason };
}

function serverOf(address: string): Attributes {
  try {
    const { host, port } = parseHostPort(address, 'node address');
    return { 'server.address': host, 'server.port': port };
  } catch {
    return { 'server.address': address };
  }
}

function bounded<K, V>(map: Map<K, V>): Map<K, V> {
  if (map.size > 1000) map.clear();
  return map;
}
