import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';

/** A service definition as grpc-js gives it: the object itself, or a generated client class carrying it. */
export type ServiceDef = ServiceDefinition | { service: ServiceDefinition };

export interface MethodEntry {
  /** The key in the definition (`Hello` from proto-loader, `hello` from grpc-tools). */
  readonly key: string;
  readonly definition: MethodDefinition<any, any>;
  /** Every name the method answers to, primary first: `Hello`, `hello`. */
  readonly names: readonly string[];
}

const lowerFirst = (s: string): string => s.charAt(0).toLowerCase() + s.slice(1);
const upperFirst = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** Reads the methods of a grpc-js service definition, throwing a TypeError naming `where` when it is not one. */
export function methodsOf(def: ServiceDef, where: string): MethodEntry[] {
  const service = serviceOf(def, where);
  const entries: MethodEntry[] = [];
  const taken = new Set(Object.keys(service));
  for (const [key, definition] of Object.entries(service)) {
    const original = typeof definition.originalName === 'string' ? definition.originalName : key;
    const aliases = [original, lowerFirst(key), upperFirst(key)].filter((n) => n !== key && !taken.has(n));
    aliases.forEach((n) => taken.add(n));
    entries.push({
      key,
      definition,
      names: [key, ...new Set(aliases)],
    });
  }
  if (entries.length === 0) throw new TypeError(`${where}: the service definition has no methods`);
  return entries;
}

/** The `ServiceDefinition` inside `def`, throwing a TypeError naming `where` when there is none. */
export function serviceOf(def: ServiceDef, where: string): ServiceDefinition {
  const service = resolve(def);
  if (service === undefined) {
    throw new TypeError(`${where}: expected a grpc-js ServiceDefinition (e.g. loadPackageDefinition(...).pkg.Service or its .service)`);
  }
  return service;
}

function resolve(def: ServiceDef): ServiceDefinition | undefined {
  const candidate = (def as { service?: unknown })?.service ?? def;
  if (typeof candidate !== 'object' || candidate === null) return undefined;
  const values = Object.values(candidate as Record<string, unknown>);
  const isMethod = (m: unknown): boolean =>
    typeof m === 'object' && m !== null && typeof (m as MethodDefinition<unknown, unknown>).path === 'string' &&
    typeof (m as MethodDefinition<unknown, unknown>).requestSerialize === 'function';
  return values.length > 0 && values.every(isMethod) ? (candidate as ServiceDefinition) : undefined;
}
