import type { ServiceNode } from './registry';
import type { WatchHub } from './watch-hub';

/**
 * The watch loops of a registry that keeps one per watched name (Consul's blocking query, Kubernetes'
 * list + watch): started with the name's first watcher, stopped with its last, all stopped by `close()`.
 */
export class WatchLoops {
  private readonly loops = new Map<string, { stop(): void }>();

  constructor(private readonly hub: WatchHub) {}

  /** Subscribes `onChange` to `name`; `start` runs the name's loop when it is the first watcher. */
  subscribe(name: string, onChange: (nodes: ServiceNode[]) => void, start: () => { stop(): void }): () => void {
    return this.hub.subscribe(name, onChange, () => this.loops.set(name, start()), () => {
      this.loops.get(name)?.stop();
      this.loops.delete(name);
    });
  }

  /** Stops every loop and drops every watcher. */
  close(): void {
    for (const loop of this.loops.values()) loop.stop();
    this.loops.clear();
    this.hub.clear();
  }
}
