import { createRegistry, type Registry } from '../library';
import { UsageError, type Io } from './command';
import type { Flags } from './flags';

/**
 * The registry a command uses: `--registry` / `--registry_address` over `MICRO_REGISTRY` /
 * `MICRO_REGISTRY_ADDRESS` (go-micro's CLI names and variables), chosen exactly as `registryFromEnv`
 * chooses (one shared function); `CONSUL_HTTP_ADDR`, `CONSUL_HTTP_TOKEN`, `CONSUL_CACERT`, … still apply
 * to Consul. A registry that cannot be made (bad name, bad address, a directory others can write) is a
 * usage error naming the flag or variable it came from. The registry is the command's own: close it when done.
 */
export function registryFromFlags(flags: Flags, io: Pick<Io, 'env'>): Registry {
  const kindFlag = stringFlag(flags, 'registry');
  const addressFlag = stringFlag(flags, 'registry_address');
  const kindName = kindFlag === undefined ? 'MICRO_REGISTRY' : '--registry';
  const addressName = addressFlag === undefined ? 'MICRO_REGISTRY_ADDRESS' : '--registry_address';
  try {
    return createRegistry({ kind: kindFlag ?? io.env.MICRO_REGISTRY, address: addressFlag ?? io.env.MICRO_REGISTRY_ADDRESS, kindName });
  } catch (err) {
    // Every construction failure is the configuration's: a bad address, a shared or unusable directory.
    const message = (err as Error).message;
    throw new UsageError(message.startsWith(kindName) ? message : `${addressName}: ${message}`);
  }
}

/** A string flag's value: undefined when absent; a usage error when given empty. */
export function stringFlag(flags: Flags, name: string): string | undefined {
  const value = flags[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new UsageError(`--${name} takes one value`);
  if (value.trim() === '') throw new UsageError(`--${name} needs a non-empty value`);
  return value;
}
