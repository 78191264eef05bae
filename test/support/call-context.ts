import { callContext, runCall, wrapClient, type Call, type CallContext, type ClientWrapper, type MethodInfo, type Wrapper } from '../../src/index';

/** A unary method, for wrapper tests that need no real service. */
export const INFO: MethodInfo = {
  service: 's', method: '/p.S/M', kind: 'unary',
  definition: { path: '/p.S/M', requestStream: false, responseStream: false } as never,
};

/** A fresh call context for `INFO` (or another service name). */
export const ctx = (deadline?: number, signal?: AbortSignal, service = 's'): CallContext =>
  callContext({ ...INFO, service }, { ...(deadline === undefined ? {} : { deadline }), ...(signal === undefined ? {} : { signal }) });

/** `wrappers` composed over `end` for `INFO`, run as a client runs a call (end listeners told). */
export function wrapped(wrappers: Array<Wrapper | ClientWrapper>, end: Call, info: MethodInfo = INFO): Call {
  const call = wrapClient(...wrappers)(end, info);
  return (request, c) => runCall(call, request, c);
}
