import { consulRegistry } from './consul';
import { etcdRegistry } from './etcd';
import { localRegistry } from './local';
import { mdnsRegistry } from './mdns';
import { memoryRegistry } from './memory';
import type { Registry } from './registry';

export const REGISTRY_KINDS = ['local', 'mdns', 'memory', 'consul', 'etcd'] as const;

const shared = new Map<string, Registry>();

/**
 * The registry named by go-micro's variables, so mixed Go and TypeScript fleets share configuration:
 * `MICRO_REGISTRY` = `local` (default) | `mdns` | `memory` | `consul` | `etcd`, and
 * `MICRO_REGISTRY_ADDRESS` (local: the directory; consul: `host:port`, else `CONSUL_HTTP_ADDR`; etcd: endpoints).
 * One instance per configuration per process, shared by every client and server that uses the default,
 * so that `memory` connects the servers and clients of one process.
 * @example MICRO_REGISTRY=mdns node server.js
 */
export function registryFromEnv(env: NodeJS.ProcessEnv = process.env): Registry {
  const kind = (env.MICRO_REGISTRY ?? '').trim() || 'local';
  const address = (env.MICRO_REGISTRY_ADDRESS ?? '').trim() || undefined;
  const key = `${kind}\n${address ?? ''}`;
  let registry = shared.get(key);
  if (registry === undefined) {
    registry = create(kind, address);
    shared.set(key, registry);
  }
  return registry;
}

function create(kind: string, address: string | undefined): Registry {
  switch (kind) {
    case 'local':
      return localRegistry(address === undefined ? {} : { dir: address });
    case 'memory':
      return memoryRegistry();
    case 'mdns':
      return mdnsRegistry();
    case 'consul':
      return consulRegistry(address === undefined ? {} : { address });
    case 'etcd':
      return etcdRegistry({ endpoints: address ?? '127.0.0.1:2379' });
    default:
      throw new RangeError(`MICRO_REGISTRY must be one of ${REGISTRY_KINDS.join(', ')}; got ${JSON.stringify(kind)}`);
  }
}
