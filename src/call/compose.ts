import type { Call, ClientWrapper, Handler, HandlerWrapper, MethodInfo, Wrapper } from './contract';
import { boundary } from './boundary';

type Side = 'client' | 'handler';

/** Marks what `wrapClient` built, so `createClient` does not wrap it again. */
const COMPOSED = Symbol('keel.composed');

function faceOf<W>(item: Wrapper | W, side: Side, index: number): W {
  if (typeof item === 'function') return item as W; // a bare `(next) => call` is already this side's face
  if (typeof item !== 'object' || item === null) {
    throw new TypeError(`wrap${side === 'client' ? 'Client' : 'Handler'}: argument ${index} is not a wrapper`);
  }
  const face = (item as Wrapper)[side];
  if (typeof face !== 'function') {
    const other: Side = side === 'client' ? 'handler' : 'client';
    const name = (item as Wrapper).name ?? `argument ${index}`;
    throw new TypeError(`${name}() wraps ${other}s only`);
  }
  return face as W;
}

function checked<T>(made: T, index: number, side: Side): T {
  if (typeof made !== 'function') throw new TypeError(`wrap${side === 'client' ? 'Client' : 'Handler'}: wrapper ${index} did not return a function`);
  return made;
}

/**
 * Composes client wrappers into the `wrap` option of `createClient`. The first argument is outermost:
 * `wrapClient(a, b)` runs `a`, which calls `b`, which calls the network (go-micro, go-kit).
 * Accepts wrapper values (`roundRobin()`) and bare `(next) => call` functions. Each wrapper's `next` starts
 * a fresh context for the layers below it, and a fresh attempt when called again.
 * @example createClient(Basis, 'basis', { wrap: wrapClient(roundRobin(), breaker()) })
 */
export function wrapClient(...wrappers: Array<Wrapper | ClientWrapper>): ClientWrapper {
  const faces = wrappers.map((w, i) => faceOf<ClientWrapper>(w, 'client', i));
  const composed: ClientWrapper = (next: Call, method: MethodInfo): Call => {
    let wrapped = next;
    for (let i = faces.length - 1; i >= 0; i--) wrapped = checked((faces[i] as ClientWrapper)(boundary(wrapped), method), i, 'client');
    return wrapped;
  };
  return Object.assign(composed, { [COMPOSED]: true });
}

/** What `createClient` applies: the user's `wrap`, given attempt boundaries if `wrapClient` did not build it. */
export function asComposed(wrap: ClientWrapper): ClientWrapper {
  return (wrap as { [COMPOSED]?: boolean })[COMPOSED] === true ? wrap : wrapClient(wrap);
}

/**
 * Composes handler wrappers into the `wrap` option of `createServer`. The first argument is outermost.
 * @example createServer({ name: 'basis', wrap: wrapHandler(rateLimit(1000), tracing()) })
 */
export function wrapHandler(...wrappers: Array<Wrapper | HandlerWrapper>): HandlerWrapper {
  const faces = wrappers.map((w, i) => faceOf<HandlerWrapper>(w, 'handler', i));
  return (next: Handler, method: MethodInfo): Handler => {
    let wrapped = next;
    for (let i = faces.length - 1; i >= 0; i--) wrapped = checked((faces[i] as HandlerWrapper)(wrapped, method), i, 'handler');
    return wrapped;
  };
}
