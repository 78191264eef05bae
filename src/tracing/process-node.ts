import { randomUUID } from 'node:crypto';
import { trace } from '@opentelemetry/api';

/** The identity a tracing setup's spans carry in their resource (`service.instance.id`, `service.version`). */
export interface ProcessIdentity {
  instanceId: string;
  version: string | undefined;
}

/**
 * The identity of one `initTracing` setup, settled once: by the first keel server that starts while that
 * setup's provider is registered, or by the first span that ends before that. Each setup has its own (a
 * second `initTracing` after a `shutdown()` starts unsettled): nothing here is shared through a module.
 */
export interface NodeIdentity {
  /** A keel server started: it becomes the identity, unless one was settled already (the first server wins). */
  serverStarted(node: { id: string; version: string }): void;
  /** A span ended: a setup with no server yet is a client (or traced before serving), identified by a random UUID, no version. */
  spanEnded(): void;
  /** The identity, once settled. Spans are exported only after it settles (the SDK waits for pending resource attributes). */
  settled: Promise<ProcessIdentity>;
}

export function nodeIdentity(): NodeIdentity {
  let settle!: (identity: ProcessIdentity) => void;
  let done = false;
  const settled = new Promise<ProcessIdentity>((resolve) => (settle = resolve));
  const once = (identity: ProcessIdentity): void => {
    if (done) return;
    done = true;
    settle(identity);
  };
  return {
    serverStarted: (node) => once({ instanceId: node.id, version: node.version }),
    spanEnded: () => {
      if (!done) once({ instanceId: randomUUID(), version: undefined });
    },
    settled,
  };
}

/**
 * Where a provider made by `initTracing` carries its setup's identity. `Symbol.for`: the CommonJS and ESM
 * builds of keel in one process must find each other's.
 */
const IDENTITY = Symbol.for('keel.tracing.identity');

/** Gives the provider `initTracing` registers its setup's identity, for the servers that start under it. */
export function attachIdentity(provider: object, identity: NodeIdentity): void {
  Object.defineProperty(provider, IDENTITY, { value: identity });
}

/**
 * A keel server started (one line in `createServer`): it tells the tracer provider the application
 * registered, when `initTracing` made it — the same global registration `tracing()` takes its tracer from,
 * so the server is handed the setup rather than writing a keel singleton. Another provider: nothing to do.
 */
export function reportServerStarted(node: { id: string; version: string }): void {
  const registered = trace.getTracerProvider() as { getDelegate?: () => object };
  const provider = (typeof registered.getDelegate === 'function' ? registered.getDelegate() : registered) as { [IDENTITY]?: NodeIdentity };
  provider[IDENTITY]?.serverStarted(node);
}
