import type { ServiceNode } from '../registry/registry';
import type { CallContext, EndListener } from './contract';
import { ClientContext } from './context';

/** Where a call's attempts fan out, as a layer below sees it: the whole call's end, its node, per-call values. */
export class CallScope {
  private values: Map<object, unknown> | undefined = undefined;
  constructor(private readonly layer: ClientContext) {}

  /** Told once when the whole call ends (every attempt), with the error the caller sees. */
  onEnd(listener: EndListener): void {
    this.layer.onEnd(listener);
  }

  /** How many attempts the call has started so far. */
  get attempts(): number {
    return this.layer.attemptsStarted;
  }

  /** The node of the newest attempt. */
  get node(): ServiceNode | undefined {
    return this.layer.node;
  }

  /** A value a wrapper keeps for this call (keyed by something of its own), shared by the call's attempts. */
  get<T>(key: object): T | undefined {
    return this.values?.get(key) as T | undefined;
  }

  set(key: object, value: unknown): void {
    (this.values ??= new Map()).set(key, value);
  }
}

/** Each fan-out layer's scope, made when a layer below first asks (most calls never do). */
const scopes = new WeakMap<ClientContext, CallScope>();

/** The scope of `ctx`'s call when a layer above may start another attempt of it (`mayTryAgain`), else undefined. */
export function callScope(ctx: CallContext): CallScope | undefined {
  if (!(ctx instanceof ClientContext)) return undefined;
  const fanOut = ctx.fanOut;
  if (fanOut === undefined) return undefined;
  let scope = scopes.get(fanOut);
  if (scope === undefined) scopes.set(fanOut, (scope = new CallScope(fanOut)));
  return scope;
}
