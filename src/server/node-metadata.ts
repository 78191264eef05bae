/**
 * The node metadata go-micro's gRPC server registers (server/grpc/grpc.go Register), so go-micro clients
 * that select on it (`selector.FilterLabel('protocol', 'grpc')`) find keel nodes: `protocol`, `server` and
 * `transport` are `grpc`; `registry` is the registry's kind (`consul`, `etcd`, `mdns`, … as go-micro names
 * them). `broker` is `none`: keel runs no broker, and go-micro only displays the key (its brokers register
 * themselves as services of their own). The user's metadata wins on conflict (go-micro's own keys win in
 * go-micro; keel lets the application say otherwise).
 */
export function nodeMetadata(registryKind: string, user: Readonly<Record<string, string>>): Record<string, string> {
  return { broker: 'none', protocol: 'grpc', registry: registryKind, server: 'grpc', transport: 'grpc', ...user };
}
