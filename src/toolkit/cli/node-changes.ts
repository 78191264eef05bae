import { type ServiceNode } from '../library';

export type NodeEvent = 'present' | 'joined' | 'left' | 'changed';

export interface NodeChange {
  readonly event: NodeEvent;
  readonly node: ServiceNode;
}

/**
 * What changed between two lists of a service's nodes, by node id: `joined`, `left`, or `changed` (same id,
 * another address, version, metadata or endpoints). With no previous list (the watch's first), every node
 * is `present`. Pure, so the table of cases is tested without a registry.
 */
export function nodeChanges(before: readonly ServiceNode[] | undefined, after: readonly ServiceNode[]): NodeChange[] {
  if (before === undefined) return after.map((node) => ({ event: 'present', node }));
  const old = new Map(before.map((n) => [n.id, n]));
  const now = new Map(after.map((n) => [n.id, n]));
  const out: NodeChange[] = [];
  for (const n of after) {
    const was = old.get(n.id);
    if (was === undefined) out.push({ event: 'joined', node: n });
    else if (JSON.stringify(was) !== JSON.stringify(n)) out.push({ event: 'changed', node: n });
  }
  for (const n of before) if (!now.has(n.id)) out.push({ event: 'left', node: n });
  return out;
}
