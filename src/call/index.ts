/**
 * The call model: what a call and an attempt are, how wrappers compose around them, and how a call ends.
 *
 * A *call* is one invocation of a client method; its identity (service, method, kind, the caller's signal and
 * `maxAttempts`) is fixed for its whole life (`CallState`). An *attempt* is one try at it on one node: its
 * number, outgoing metadata and the node chosen (`Attempt`). A call has one attempt unless a wrapper calls
 * `next` again (`retry()`, `hedge()`); every further `next()` from the same layer starts a fresh attempt with
 * a new node choice, fresh filters and a copy of the metadata.
 *
 * Each layer sees the call through a `CallContext` of its own (`ClientContext`), made at the boundary when
 * the layer above calls `next` (`boundary.ts`): what a layer changes is seen by the layers below it, never by
 * the layers above or by a later `next()`. A wrapper may change an attempt only in these ways:
 * - assign the writable fields `deadline` (shorten it), `selector` and `signal` before calling `next`;
 * - add to `metadata`;
 * - `addFilter(ctx, filter)`: a veto the selector consults, for the layers below only;
 * - `withSignal(ctx, signal, fn)`: run one `next()` with a signal of its own (hedging cancels its losers so);
 * - `mayTryAgain(ctx)` before a second attempt, which makes its layer the call's scope (`callScope`), and
 *   `firstInCall(ctx, key)` for what must happen once per call, not per attempt;
 * - `onEnd(listener)`: be told once when what it passed on ends (`end-event.ts`, every call kind alike).
 * Node selection (`node-choice.ts`) records the node with `recordNode`; a later attempt avoids the nodes
 * earlier ones used while another is acceptable. Nothing else writes a context: its other fields are
 * `readonly` and no code casts that away.
 *
 * Files: `contract.ts` the public types; `compose.ts` `wrapClient`/`wrapHandler`; `context.ts` the call, the
 * attempt and a layer's context; `boundary.ts` how one layer enters the next; `changes.ts` the named changes
 * above; `scope.ts` how a layer below reaches the call across its attempts; `node-choice.ts` filters and the untried preference;
 * `end-event.ts` how the end of a call, unary or stream, is observed. A whole call is run from
 * `client/run-call.ts` (`callContext`/`runCall` there let wrapper authors run one without a client).
 */
export { kindOf } from './contract';
export type {
  Call, CallContext, CallKind, ClientWrapper, EndListener, Handler, HandlerContext, HandlerWrapper, MethodInfo, NodeFilter,
  Selector, Wrapper,
} from './contract';
export { wrapClient, wrapHandler } from './compose';
export { addFilter, firstInCall, mayTryAgain, recordNode, withSignal } from './changes';
export { callScope } from './scope';
export type { CallScope } from './context';
export { acceptable } from './node-choice';
