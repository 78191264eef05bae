/** A method path split the way OpenTelemetry's RPC conventions name it. */
export interface RpcNames {
  /** `basis.Basis/Hello`: the span name. */
  span: string;
  /** `basis.Basis` */
  service: string;
  /** `Hello` */
  method: string;
}

const cache = new Map<string, RpcNames>();

/** Names for `/basis.Basis/Hello`, computed once per path. */
export function rpcNames(path: string): RpcNames {
  let names = cache.get(path);
  if (names === undefined) {
    const span = path.startsWith('/') ? path.slice(1) : path;
    const slash = span.lastIndexOf('/');
    names = { span, service: slash < 0 ? '' : span.slice(0, slash), method: slash < 0 ? span : span.slice(slash + 1) };
    cache.set(path, names);
  }
  return names;
}
