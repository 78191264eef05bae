import { Method, Root, Service, Type, type ReflectionObject } from 'protobufjs';
import { kindOf } from '../library';
import { shapeOf } from './shapes';
import type { DynamicMethod } from './types';
import { toolkitError } from '../errors';

/** A method with its protobufjs types, for calling. */
export interface ResolvedMethod extends DynamicMethod {
  /** The full proto service name: `keel.basis.Basis`. */
  readonly protoService: string;
  /** The method's name in the proto: `Hello`. */
  readonly name: string;
  readonly requestType: Type;
  readonly responseType: Type;
  /** The proto's `idempotency_level`, when set. */
  readonly idempotency?: string;
  /** The method's comment in the .proto, when the descriptor carries it. */
  readonly comment?: string;
}

/** Services that every keel server has and nobody calls through the toolkit by accident. */
const INFRASTRUCTURE = /^grpc\.(reflection|health)\./;

/** Every method of the services in `root` (only `only` when given), as one registered service offers them. */
export function methodsIn(root: Root, service: string, source: DynamicMethod['source'], only?: ReadonlySet<string>): ResolvedMethod[] {
  const methods: ResolvedMethod[] = [];
  const visit = (obj: ReflectionObject): void => {
    if (obj instanceof Service) {
      const protoService = obj.fullName.replace(/^\./, '');
      if (INFRASTRUCTURE.test(protoService) || (only !== undefined && !only.has(protoService))) return;
      for (const m of obj.methodsArray) methods.push(resolved(service, protoService, obj.name, m.resolve() as Method, source));
    }
    for (const child of (obj as { nestedArray?: ReflectionObject[] }).nestedArray ?? []) visit(child);
  };
  visit(root);
  return methods;
}

function resolved(service: string, protoService: string, shortName: string, m: Method, source: DynamicMethod['source']): ResolvedMethod {
  const requestType = m.resolvedRequestType!;
  const responseType = m.resolvedResponseType!;
  return {
    service,
    endpoint: `${shortName}.${m.name}`,
    path: `/${protoService}/${m.name}`,
    kind: kindOf({ requestStream: m.requestStream === true, responseStream: m.responseStream === true }),
    request: shapeOf(requestType),
    response: shapeOf(responseType),
    source,
    protoService,
    name: m.name,
    requestType,
    responseType,
    ...idempotency(m),
    ...(typeof m.comment === 'string' && m.comment.trim() !== '' ? { comment: m.comment.trim() } : {}),
  };
}

/**
 * Finds `endpoint` among `methods`: go-micro's `Basis.Hello`, a full `keel.basis.Basis.Hello`, or the gRPC
 * path form `keel.basis.Basis/Hello` (a leading `/` allowed); the method's first letter in either case.
 */
export function findMethod(methods: readonly ResolvedMethod[], service: string, endpoint: string): ResolvedMethod {
  if (typeof endpoint !== 'string' || endpoint.trim() === '') throw toolkitError('bad_request', 'endpoint: expected "Service.Method", e.g. "Basis.Hello"');
  const text = endpoint.trim().replace(/^\//, '');
  const cut = text.includes('/') ? text.lastIndexOf('/') : text.lastIndexOf('.');
  if (cut <= 0 || cut === text.length - 1) throw toolkitError('bad_request', `endpoint ${JSON.stringify(endpoint)}: expected "Service.Method", e.g. "Basis.Hello"`);
  const svc = text.slice(0, cut);
  const name = text.slice(cut + 1);
  const sameMethod = (m: ResolvedMethod): boolean => m.name === name || m.name.toLowerCase() === name.toLowerCase();
  const byFull = methods.filter((m) => m.protoService === svc && sameMethod(m));
  const candidates = byFull.length > 0 ? byFull : methods.filter((m) => m.endpoint.split('.')[0] === svc && sameMethod(m));
  const exact = candidates.filter((m) => m.name === name);
  const found = exact.length > 0 ? exact : candidates;
  if (found.length === 1) return found[0]!;
  if (found.length > 1) {
    throw toolkitError('bad_request', `endpoint ${endpoint} is ambiguous in ${service}: ${found.map((m) => m.path.slice(1)).join(', ')}; give the full name`);
  }
  const known = methods.map((m) => m.endpoint).join(', ') || 'none';
  throw toolkitError('unknown_method', `${service} has no method ${endpoint} (methods: ${known})`);
}

function idempotency(m: Method): { idempotency?: string } {
  const level = m.options?.['idempotency_level'] ?? m.parsedOptions?.find((o: Record<string, unknown>) => 'idempotency_level' in o)?.['idempotency_level'];
  return level === undefined ? {} : { idempotency: String(level) };
}
