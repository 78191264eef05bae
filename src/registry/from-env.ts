import { consulRegistry } from './consul';
import { etcdRegistry } from './etcd';
import { kubernetesRegistry } from './kubernetes';
import { localRegistry } from './local';
import { mdnsRegistry } from './mdns';
import { memoryRegistry } from './memory';
import type { Registry } from './registry';

export const REGISTRY_KINDS = ['local', 'mdns', 'memory', 'consul', 'etcd', 'kubernetes'] as const;

/** A registry chosen by name, as go-micro's `MICRO_REGISTRY`/`--registry` and `MICRO_REGISTRY_ADDRESS`/`--registry_address` do. */
export interface RegistryChoice {
  /** One of `REGISTRY_KINDS`; empty or undefined means `local`. */
  kind?: string | undefined;
  /** local: the directory; consul: `host:port` (else `CONSUL_HTTP_ADDR`); etcd: endpoints; kubernetes: a kubeconfig path. Empty means the default. */
  address?: string | undefined;
  /** Names the setting in errors: `MICRO_REGISTRY` for the environment, `--registry` for the CLI. */
  kindName?: string;
}

const shared = new Map<string, Registry>();

/**
 * The registry named by go-micro's variables, so mixed Go and TypeScript fleets share configuration:
 * `MICRO_REGISTRY` = `local` (default) | `mdns` | `memory` | `consul` | `etcd` | `kubernetes`, and
 * `MICRO_REGISTRY_ADDRESS` (local: the directory; consul: `host:port`, else `CONSUL_HTTP_ADDR`; etcd: endpoints;
 * kubernetes: a kubeconfig path, else in-cluster, then `KUBECONFIG`).
 * One instance per configuration per process, shared by every client and server that uses the default,
 * so that `memory` connects the servers and clients of one process.
 * @example MICRO_REGISTRY=mdns node server.js
 */
export function registryFromEnv(env: NodeJS.ProcessEnv = process.env): Registry {
  return sharedRegistry({ kind: env.MICRO_REGISTRY, address: env.MICRO_REGISTRY_ADDRESS, kindName: 'MICRO_REGISTRY' });
}

/** `choice`'s registry, one shared instance per configuration (see `registryFromEnv`). */
export function sharedRegistry(choice: RegistryChoice): Registry {
  const { kind, address } = normalize(choice);
  const key = `${kind}\n${address ?? ''}`;
  let registry = shared.get(key);
  if (registry === undefined) {
    registry = createRegistry(choice);
    shared.set(key, registry);
  }
  return registry;
}

/**
 * A new registry for `choice`, chosen by name as go-micro's `--registry`/`--registry_address` flags do; the
 * caller owns it and closes it when done (unlike `registryFromEnv`, nothing is shared). An unknown kind
 * throws a RangeError naming `choice.kindName` (default `MICRO_REGISTRY`).
 * @example const registry = createRegistry({ kind: flags.registry, address: flags.registry_address, kindName: '--registry' });
 */
export function createRegistry(choice: RegistryChoice): Registry {
  const { kind, address } = normalize(choice);
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
    case 'kubernetes':
      return kubernetesRegistry(address === undefined ? {} : { kubeconfig: address });
    default:
      throw new RangeError(`${choice.kindName ?? 'MICRO_REGISTRY'} must be one of ${REGISTRY_KINDS.join(', ')}; got ${JSON.stringify(kind)}`);
  }
}

function normalize(choice: RegistryChoice): { kind: string; address: string | undefined } {
  return { kind: (choice.kind ?? '').trim() || 'local', address: (choice.address ?? '').trim() || undefined };
}
