/** A method path split the way OpenTelemetry's RPC conventions name it. */
export interface RpcNames {
  /** `basis.Basis/Hello`: the span name. */
  span: string;
  /** `basis.Basis` */
  service: string;
  /** `Hello` */
  method: string;
}

/** Names for `/basis.Basis/Hello`. Wrappers call it once per method, when they wrap it (nothing is cached here). */
export function rpcNames(path: string): RpcNames {
  const span = path.startsWith('/') ? path.slice(1) : path;
  const slash = span.lastIndexOf('/');
  return { span, service: slash < 0 ? '' : span.slice(0, slash), method: slash < 0 ? span : span.slice(slash + 1) };
}
