// The basis Hello method and call contexts as a client makes them, for driving selectors, wrappers and
// filters outside a client: shared by the scale, memory, pipeline and accuracy measurements.
import { breaker, callContext, kindOf, runCall, wrapClient, type CallContext, type MethodInfo, type NodeFilter } from '../../src/index';
import { Basis } from '../../examples/basis/proto';

/** The basis Hello method as a client of `service` sees it. */
export function helloInfo(service: string): MethodInfo {
  const definition = Basis.service.Hello as unknown as MethodInfo['definition'];
  return { service, method: definition.path, kind: kindOf(definition), definition };
}

/** A call context as the client makes one, for driving selectors outside a client. */
export function fakeContext(service: string): CallContext {
  return callContext(helloInfo(service));
}

/** The node filter `breaker({ scope: 'node' })` adds to each call, taken from a call through its client face. */
export function nodeBreakerFilter(): NodeFilter {
  const ctx = fakeContext('probe');
  let filter: NodeFilter | undefined;
  void runCall(wrapClient(breaker({ scope: 'node' }))((_req, c) => {
    filter = c.filters?.[0];
    return Promise.resolve();
  }, helloInfo('probe')), null, ctx);
  if (filter === undefined) throw new Error('breaker({ scope: node }) added no filter');
  return filter;
}
