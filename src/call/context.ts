import { Metadata } from '@grpc/grpc-js';
import type { Call, CallContext, CallKind, EndListener, MethodInfo, NodeFilter, Selector } from '../call';
import type { ServiceNode } from '../registry/registry';
import { randomSelector } from '../select/random';
import { observeEnd } from './end';
import type { StreamHooks } from './response-stream';

const NONE: readonly ServiceNode[] = Object.freeze([]);

/**
 * What every attempt of one call shares. A class with its fields written out, not `{ ...method, … }`: on
 * Node 20 a spread followed by more properties made each call's state take microseconds (measured with
 * `--cpu-prof`: 27 % of the wrapper pipeline, and garbage).
 */
export class CallState implements MethodInfo {
  readonly service: string;
  readonly method: string;
  readonly kind: CallKind;
  readonly definition: MethodInfo['definition'];
  /** Made on the first node choice: most calls never ask. */
  tried: ServiceNode[] | undefined = undefined;
  attempts = 1;
  /** What `firstInCall` was asked about (a retry budget shared by retry() and hedge()): the first, then the rest. */
  seenFirst: object | undefined = undefined;
  seen: object[] | undefined = undefined;
  /** The outermost layer that may start a second attempt (see `mayTryAgain`); unset for most calls. */
  fanOut: ClientContext | undefined = undefined;
  constructor(
    info: MethodInfo,
    readonly signal: AbortSignal | undefined,
    /** The caller's `onHeader` / `onTrailer`. */
    readonly hooks: StreamHooks,
    /** The per-call `maxAttempts` option. */
    readonly maxAttempts?: number | undefined,
  ) {
    this.service = info.service;
    this.method = info.method;
    this.kind = info.kind;
    this.definition = info.definition;
  }
}

/** One attempt: shared by every layer's context between the layer that started it and the network. */
export class Attempt {
  node: ServiceNode | undefined = undefined;
  constructor(readonly number: number, readonly metadata: Metadata) {}
}

/**
 * A layer's view of a call (see `CallContext`). `enter` makes one per `next()`: its fields start as the
 * caller's, so what this layer changes stays below it; a second `next()` from the same layer gets a new
 * `Attempt`.
 */
export class ClientContext implements CallContext {
  /** This layer passed its call on once already: the next `next()` is a new attempt. */
  private passedOn = false;
  private listeners: EndListener[] | undefined = undefined;
  /** The newest attempt started at or below this layer, when a layer at or below it called `next` again. */
  private latest: Attempt | undefined = undefined;
  /** This layer as the call's scope, made when a layer below first asks (only if this layer is the fan-out). */
  private scopeView: CallScope | undefined = undefined;
  /** The call's signal, unless a wrapper above replaced it for its attempt (see `CallContext.signal`). */
  signal: AbortSignal | undefined;

  constructor(
    private readonly call: CallState,
    readonly current: Attempt,
    public deadline: number | undefined,
    public selector: Selector,
    readonly filters: readonly NodeFilter[] | undefined,
    private readonly parent: ClientContext | undefined,
  ) {
    this.signal = call.signal;
  }

  get service(): string { return this.call.service; }
  get method(): string { return this.call.method; }
  get kind(): CallKind { return this.call.kind; }
  get definition(): MethodInfo['definition'] { return this.call.definition; }
  get tried(): readonly ServiceNode[] { return this.call.tried ?? NONE; }
  get maxAttempts(): number | undefined { return this.call.maxAttempts; }
  get attempt(): number { return this.current.number; }
  get attemptKey(): object { return this.current; }
  get metadata(): Metadata { return this.current.metadata; }
  get hooks(): StreamHooks { return this.call.hooks; }

  /** This layer's attempt's node; above a layer that retried, the newest attempt's. */
  get node(): ServiceNode | undefined {
    return (this.latest ?? this.current).node;
  }

  /** Records the node this attempt goes to (node selection, in the terminal call). */
  setNode(node: ServiceNode): void {
    this.current.node = node;
    (this.call.tried ??= []).push(node);
  }

  onEnd(listener: EndListener): void {
    (this.listeners ??= []).push(listener);
  }

  /** See `firstInCall`. */
  firstInCall(key: object): boolean {
    const call = this.call;
    if (call.seenFirst === undefined) call.seenFirst = key; // no allocation for the usual one key a call
    else if (call.seenFirst === key || call.seen?.includes(key)) return false;
    else (call.seen ??= []).push(key);
    return true;
  }

  /** How many attempts this layer's call has started so far. */
  get attemptsStarted(): number { return this.call.attempts; }

  /** See `mayTryAgain`. */
  markFanOut(): void {
    if (this.call.fanOut !== undefined) return; // an outer retry()/hedge() already speaks for the call
    this.call.fanOut = this;
    // settle() reads the listener list when this layer returns (before its attempts run): have one ready.
    this.listeners ??= [];
  }

  /** See `callScope`. */
  get scope(): CallScope | undefined {
    const fanOut = this.call.fanOut;
    return fanOut === undefined ? undefined : (fanOut.scopeView ??= new CallScope(fanOut));
  }
  /** The context the layer below gets for this `next()`. */
  passOn(): ClientContext {
    let attempt = this.current;
    if (this.passedOn) {
      attempt = new Attempt(++this.call.attempts, attempt.metadata.clone());
      // This layer and the ones above it now speak for the new attempt (rare: only on a retry or hedge).
      for (let ctx: ClientContext | undefined = this; ctx !== undefined; ctx = ctx.parent) ctx.latest = attempt;
    }
    this.passedOn = true;
    const child = new ClientContext(this.call, attempt, this.deadline, this.selector, this.filters, this);
    child.signal = this.signal;
    return child;
  }

  /** Hands this layer's result to its end listeners (streams: when they end); returns what the caller gets. */
  settle(result: Promise<unknown>): Promise<unknown> {
    const listeners = this.listeners;
    return listeners === undefined ? result : observeEnd(result, this.call.kind, listeners);
  }
}

/**
 * True the first time it is asked about `key` during one call, whatever layer or attempt asks: a retry
 * budget that `retry()` and `hedge()` share is deposited once per call, not once per wrapper or attempt.
 * A context not made by a keel client (there is no call to remember it in) always answers true.
 */
export function firstInCall(ctx: CallContext, key: object): boolean {
  if (!(ctx instanceof ClientContext)) return true;
  return ctx.firstInCall(key);
}

/**
 * Called by a wrapper that may run more than one attempt of this call (`retry()`, `hedge()`), before its
 * first: its layer becomes the call's scope, which per-attempt wrappers below see through `callScope`
 * (tracing hangs its attempt spans under one call span there, gRPC A72). The outermost such layer wins.
 * Calls without one (no retry in the stack, or `maxAttempts: 1`) pay nothing.
 */
export function mayTryAgain(ctx: CallContext): void {
  if (ctx instanceof ClientContext) ctx.markFanOut();
}

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

/** The scope of `ctx`'s call when a layer above may start another attempt of it (`mayTryAgain`), else undefined. */
export function callScope(ctx: CallContext): CallScope | undefined {
  return ctx instanceof ClientContext ? ctx.scope : undefined;
}

/** Runs `inner` as the layer below `ctx`: the boundary between two wrappers, and above the network. */
export function enter(inner: Call, request: unknown, ctx: CallContext): Promise<unknown> {
  if (!(ctx instanceof ClientContext)) {
    return Promise.reject(new TypeError('keel: pass next() the context your wrapper received (set its fields; do not copy it)'));
  }
  return settled(inner, request, ctx.passOn());
}

/** `call(request, ctx)`, a synchronous throw made a rejection, its result handed to ctx's end listeners. */
function settled(call: Call, request: unknown, ctx: ClientContext): Promise<unknown> {
  let result: Promise<unknown>;
  try {
    result = call(request, ctx);
  } catch (err) {
    result = Promise.reject(err);
  }
  return ctx.settle(result);
}

/** `inner` behind a boundary: what a wrapper receives as `next`. */
export function boundary(inner: Call): Call {
  return (request, ctx) => enter(inner, request, ctx) as Promise<any>;
}

const NO_HOOKS: StreamHooks = Object.freeze({});

/** What `callContext` accepts: the per-call values a client would take from the call's options. */
export interface CallContextInit {
  deadline?: number;
  signal?: AbortSignal;
  metadata?: Metadata;
  selector?: Selector;
  maxAttempts?: number;
}

/**
 * A fresh context for one call of `method`, as a client makes it: for testing wrappers and selectors
 * without a client. Run a call with it through `runCall`, so that its end listeners are told.
 */
export function callContext(method: MethodInfo, init: CallContextInit = {}): CallContext {
  return new ClientContext(new CallState(method, init.signal, NO_HOOKS, init.maxAttempts),
    new Attempt(1, init.metadata ?? new Metadata()), init.deadline, init.selector ?? randomSelector, undefined, undefined);
}

/** Runs `call` with a context from `callContext` as a client would: end listeners are told how it ended. */
export function runCall<Res>(call: Call<any, Res>, request: unknown, ctx: CallContext): Promise<Res> {
  if (!(ctx instanceof ClientContext)) return Promise.reject(new TypeError('runCall: ctx must come from callContext()'));
  return settled(call, request, ctx) as Promise<Res>;
}
