import { type Endpoint, isKeelError, keelError, type ServiceNode } from '../../library';
import { DynamicCaller } from '../../dynamic/caller';
import type { DynamicMethod } from '../../dynamic/types';
import { UsageError, type Command } from '../command';
import { listFlag, msFlag } from '../flag-values';
import { nodeHealth, type NodeHealth } from '../node-health';
import { paint, statusText, table, writeJson } from '../output';
import { registryFromFlags } from '../registry-flags';
import { shapeText, valueText } from '../shape-text';
import { tlsFromFlags, TLS_FLAGS } from '../tls-flags';
import { protoOptions, PROTO_FLAGS } from '../proto-flags';
import { isToolkitError } from '../../errors';

/** An endpoint as `describe` prints it, wherever it came from. */
interface EndpointView {
  name: string;
  kind: string;
  request: string;
  response: string;
  source: 'registry' | DynamicMethod['source'];
}

/**
 * `keel describe <service>`: versions, nodes (id, address, metadata, grpc.health.v1 status) and endpoints
 * with their request/response shapes — from the registry when the nodes registered endpoints (go-micro
 * nodes; keel nodes on Consul and etcd), else from server reflection (or `--proto`).
 */
export const describe: Command = {
  name: 'describe',
  summary: 'versions, nodes with health, and endpoints of a service',
  usage: '<service>',
  flags: [
    { name: 'timeout', help: 'deadline of each node\'s health check, in ms', default: '2000' },
    ...PROTO_FLAGS,
    ...TLS_FLAGS,
  ],
  async run({ positional, flags }, io) {
    const [service, ...extra] = positional;
    if (service === undefined || extra.length > 0) throw new UsageError('describe takes one service name');
    const timeoutMs = msFlag(flags, 'timeout') ?? 2000;
    const proto = protoOptions(flags);
    const tls = tlsFromFlags(flags);
    const registry = registryFromFlags(flags, io);
    const caller = new DynamicCaller({ registry, ...proto, ...(tls === undefined ? {} : { tls }) });
    try {
      const nodes = await registry.getService(service);
      if (nodes.length === 0) throw keelError('no_nodes', `no nodes of ${service} are registered (${registry.kind} registry)`);
      const [health, endpoints] = await Promise.all([
        Promise.all(nodes.map((n) => nodeHealth(n, timeoutMs, io.signal, tls))),
        endpointsOf(service, nodes, caller, io.signal, proto.protoFiles !== undefined),
      ]);
      const versions = [...new Set(nodes.map((n) => n.version))].sort();
      if (flags.json) {
        writeJson(io, {
          service, versions,
          nodes: nodes.map((n, i) => ({ id: n.id, address: n.address, version: n.version, metadata: n.metadata, health: health[i] })),
          endpoints: endpoints.list, ...(endpoints.note === undefined ? {} : { endpointsNote: endpoints.note }),
        });
        return 0;
      }
      const p = paint(io);
      io.stdout.write(`${p.bold('SERVICE')}   ${p.cyan(service)}\n${p.bold('VERSIONS')}  ${versions.map((v) => v || '""').join(', ')}\n\n`);
      io.stdout.write(table(['NODE', 'ADDRESS', 'VERSION', 'HEALTH', 'METADATA'], nodes.map((n, i) => [
        n.id, n.address, n.version, statusText((health[i] as NodeHealth).status, p),
        Object.entries(n.metadata).sort().map(([k, v]) => `${k}=${v}`).join(' '),
      ]), p));
      io.stdout.write('\n');
      if (endpoints.list.length > 0) {
        io.stdout.write(table(['ENDPOINT', 'KIND', 'REQUEST', 'RESPONSE'], endpoints.list.map((e) => [e.name, e.kind, e.request, e.response]), p));
        io.stdout.write(p.dim(`(endpoints from ${endpoints.list[0]?.source})\n`));
      }
      if (endpoints.note !== undefined) io.stdout.write(`${p.yellow('endpoints unknown')}: ${endpoints.note}\n`);
      return 0;
    } finally {
      await caller.close();
      await registry.close();
    }
  },
};

/**
 * The registry's endpoints when the nodes registered any, else reflection / --proto; a failure there is a
 * note, not a failure. Given --proto, its shapes come first: go-micro registers a stream's Go parameter
 * types (`Context`, `Stream`), the proto says what to send.
 */
async function endpointsOf(service: string, nodes: ServiceNode[], caller: DynamicCaller, signal: AbortSignal, proto: boolean): Promise<{ list: EndpointView[]; note?: string }> {
  const registered = new Map<string, Endpoint>();
  for (const n of nodes) for (const e of n.endpoints ?? []) if (!registered.has(e.name)) registered.set(e.name, e);
  if (registered.size > 0 && !(proto && (await described(service, caller, signal)).list.length > 0)) {
    return {
      list: [...registered.values()].map((e) => ({
        name: e.name, kind: e.metadata.stream === 'true' ? 'stream' : 'unary', request: valueText(e.request), response: valueText(e.response), source: 'registry',
      })),
    };
  }
  return described(service, caller, signal);
}

/** The methods by reflection or --proto (the caller keeps them, so asking twice costs nothing). */
async function described(service: string, caller: DynamicCaller, signal: AbortSignal): Promise<{ list: EndpointView[]; note?: string }> {
  try {
    const methods = await caller.methods(service, signal);
    return { list: methods.map((m) => ({ name: m.endpoint, kind: m.kind, request: shapeText(m.request), response: shapeText(m.response), source: m.source })) };
  } catch (err) {
    if ((isKeelError(err) && err.reason !== 'cancelled') || isToolkitError(err)) return { list: [], note: err.details };
    throw err;
  }
}
