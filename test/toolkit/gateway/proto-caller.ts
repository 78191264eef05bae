import { Metadata, status, type ServiceDefinition } from '@grpc/grpc-js';
import { createClient, keelError, kindOf, type KeelClient } from '../../../src/index';
import type { DynamicCallerOptions, DynamicCallOptions, DynamicMethod } from '../../../src/toolkit/dynamic/types';
import type { GatewayCaller } from '../../../src/toolkit/gateway/options';

/**
 * A caller for known definitions only, on keel clients with the gateway's wrapper stack: what the gateway
 * tests call through until the DynamicCaller (reflection) is available.
 */
export function protoCaller(defs: Record<string, ServiceDefinition>) {
  return (options: DynamicCallerOptions): GatewayCaller => {
    const clients = new Map<string, KeelClient>();
    const clientOf = (service: string): KeelClient => {
      let client = clients.get(service);
      if (client === undefined) {
        client = createClient(defs[service]!, service, { registry: options.registry, ...(options.wrap ? { wrap: options.wrap } : {}), timeoutMs: options.timeoutMs ?? 5000 });
        clients.set(service, client);
      }
      return client;
    };
    const find = (service: string, endpoint: string): { method: DynamicMethod; name: string } => {
      const def = defs[service];
      if (def === undefined) throw keelError('no_nodes', `no nodes registered for ${service}`);
      const name = endpoint.split(/[./]/).pop() ?? '';
      const m = def[name];
      if (m === undefined) throw Object.assign(new Error(`${service} has no method ${endpoint}`), { code: status.UNIMPLEMENTED, details: `${service} has no method ${endpoint}`, reason: 'unknown_method' });
      const shape = { name: '', fields: [] };
      return { name, method: { service, endpoint, path: m.path, kind: kindOf(m), request: shape, response: shape, source: 'proto' } };
    };
    const callOptions = (o: DynamicCallOptions) => {
      const metadata = new Metadata();
      for (const [k, v] of Object.entries(o.metadata ?? {})) for (const one of typeof v === 'string' ? [v] : v) metadata.add(k, one);
      return { ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}), ...(o.signal ? { signal: o.signal } : {}), metadata };
    };
    return {
      method: async (service, endpoint) => find(service, endpoint).method,
      call: async (service, endpoint, request, o = {}) => {
        const { name } = find(service, endpoint);
        return clientOf(service)[name]!(request, callOptions(o));
      },
      stream: (service, endpoint, request, o = {}) => {
        const { name } = find(service, endpoint);
        return clientOf(service)[name]!(request, callOptions(o)) as AsyncIterable<unknown>;
      },
      close: async () => {
        for (const client of clients.values()) client.close();
      },
    };
  };
}
