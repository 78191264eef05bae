import { randomUUID } from 'node:crypto';

/** The identity a process's spans carry in their resource (`service.instance.id`, `service.version`). */
export interface ProcessIdentity {
  instanceId: string;
  version: string | undefined;
}

let settled: ProcessIdentity | undefined;
let waiting: Array<(identity: ProcessIdentity) => void> = [];

function settle(identity: ProcessIdentity): void {
  if (settled !== undefined) return;
  settled = identity;
  const resolve = waiting;
  waiting = [];
  for (const r of resolve) r(identity);
}

/**
 * A keel server of this process started (one line in `createServer`): the process's identity becomes its
 * node, unless it was settled already. The first server wins: one process has one tracing resource.
 */
export function serverStarted(node: { id: string; version: string }): void {
  settle({ instanceId: node.id, version: node.version });
}

/**
 * A span ended and no server had started: the process is a client (or traced before serving), so it is
 * identified by a random UUID, as the SDK's `serviceInstanceIdDetector` would, with no version.
 */
export function spanEndedWithoutServer(): void {
  if (settled === undefined) settle({ instanceId: randomUUID(), version: undefined });
}

/**
 * The process's identity, once settled: by the first keel server to start, or by the first span to end
 * before that. Spans are exported only after it settles (the SDK waits for a resource's pending
 * attributes), which is never later than the end of the first span.
 */
export function processIdentity(): Promise<ProcessIdentity> {
  return settled !== undefined ? Promise.resolve(settled) : new Promise((resolve) => waiting.push(resolve));
}
