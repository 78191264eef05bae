import { closeClient, createClient, type ClientWrapper, type Registry } from '../../../src/index';
import type { DynamicMethod } from '../../../src/toolkit/dynamic/types';
import type { JsonCaller } from '../../../src/toolkit/web/gateway';
import { Basis } from '../../support/basis';

/**
 * A JSON caller for the basis service only, on a real keel client with the given wrappers: what the
 * dashboard's tests use until the DynamicCaller (src/toolkit/dynamic/) is on this branch. Same contract:
 * `methods()` fails with no nodes, `call()` takes `Basis.Hello` and a JSON request.
 */
export function basisCaller(registry: Registry, wrap: ClientWrapper): JsonCaller & { close(): void } {
  const client = createClient(Basis, 'basis', { registry, wrap, timeoutMs: 2000 });
  const hello: DynamicMethod = {
    service: 'basis', endpoint: 'Basis.Hello', path: '/basis.Basis/Hello', kind: 'unary', source: 'proto',
    request: { name: 'basis.Request', fields: [{ name: 'name', type: 'string', repeated: false }] },
    response: { name: 'basis.Response', fields: [{ name: 'msg', type: 'string', repeated: false }] },
  };
  return {
    async methods(service) {
      if (service !== 'basis' || (await registry.getService(service)).length === 0) throw new Error(`no nodes of ${service}`);
      return [hello];
    },
    async call(service, endpoint, request, options = {}) {
      if (service !== 'basis' || endpoint !== 'Basis.Hello') throw Object.assign(new Error(`unknown method ${endpoint}`), { code: 12 });
      const metadata = Object.fromEntries(Object.entries(options.metadata ?? {}).map(([k, v]) => [k, String(v)]));
      return client.hello(request as { name: string }, { metadata, ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}) });
    },
    close: () => closeClient(client),
  };
}
