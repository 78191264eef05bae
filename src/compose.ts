import type { ClientWrapper, HandlerWrapper, Wrapper } from './call';

type Side = 'client' | 'handler';

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

function compose<T>(faces: Array<(next: T) => T>): (next: T) => T {
  // The first wrapper is outermost: it runs first and sees the call before all others (go-micro, go-kit).
  return (next: T): T => {
    let wrapped = next;
    for (let i = faces.length - 1; i >= 0; i--) wrapped = (faces[i] as (next: T) => T)(wrapped);
    return wrapped;
  };
}

/**
 * Composes client wrappers into the `wrap` option of `createClient`. The first argument is outermost:
 * `wrapClient(a, b)` runs `a`, which calls `b`, which calls the network.
 * Accepts wrapper values (`roundRobin()`) and bare `(next) => call` functions.
 * @example createClient(Basis, 'basis', { wrap: wrapClient(roundRobin(), breaker()) })
 */
export function wrapClient(...wrappers: Array<Wrapper | ClientWrapper>): ClientWrapper {
  return compose(wrappers.map((w, i) => faceOf<ClientWrapper>(w, 'client', i)));
}

/**
 * Composes handler wrappers into the `wrap` option of `createServer`. The first argument is outermost.
 * @example createServer({ name: 'basis', wrap: wrapHandler(rateLimit(1000), tracing()) })
 */
export function wrapHandler(...wrappers: Array<Wrapper | HandlerWrapper>): HandlerWrapper {
  return compose(wrappers.map((w, i) => faceOf<HandlerWrapper>(w, 'handler', i)));
}
