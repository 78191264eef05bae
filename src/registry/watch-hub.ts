import type { ServiceNode } from './registry';

type Listener = (nodes: ServiceNode[]) => void;

interface Topic {
  listeners: Set<Listener>;
  /** The last list published, in id order, and its fingerprint; undefined until the first publish. */
  nodes: ServiceNode[] | undefined;
  key: string | undefined;
}

/**
 * The watcher bookkeeping every registry shares: listeners per service name, and change detection so
 * that listeners hear about a list only when it differs from the last one.
 */
export class WatchHub {
  private readonly topics = new Map<string, Topic>();

  /**
   * Adds a listener. `onFirst` runs when a name gains its first listener (start watching the store),
   * the returned function removes the listener and runs `onLast` when none remain (stop watching).
   * A new listener receives the last known list at once (asynchronously) if there is one.
   */
  subscribe(name: string, listener: Listener, onFirst?: () => void, onLast?: () => void): () => void {
    let topic = this.topics.get(name);
    if (topic === undefined) {
      topic = { listeners: new Set(), nodes: undefined, key: undefined };
      this.topics.set(name, topic);
    }
    const first = topic.listeners.size === 0;
    topic.listeners.add(listener);
    if (first) onFirst?.();
    const known = topic.nodes;
    if (known !== undefined) queueMicrotask(() => topic.listeners.has(listener) && listener(known.slice()));
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      topic.listeners.delete(listener);
      if (topic.listeners.size === 0) {
        this.topics.delete(name);
        onLast?.();
      }
    };
  }

  /** Publishes the current list for `name`; listeners are called only if it changed. */
  publish(name: string, nodes: ServiceNode[]): void {
    const topic = this.topics.get(name);
    if (topic === undefined) return;
    const sorted = sortNodes(nodes);
    const key = JSON.stringify(sorted);
    if (key === topic.key) return;
    topic.key = key;
    topic.nodes = sorted;
    for (const listener of [...topic.listeners]) listener(sorted.slice());
  }

  clear(): void {
    this.topics.clear();
  }
}

/** Nodes in a stable order (by id), so that equal sets compare equal. */
export function sortNodes(nodes: ServiceNode[]): ServiceNode[] {
  return nodes.slice().sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
