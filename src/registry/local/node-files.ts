import { lstat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ServiceNode } from '../registry';
import { copyNode, validateNode } from '../validate-node';
import { kindOf, readNodeFile, tooBig } from './node-file';
import { ownerOf, type Owner } from './owner';

/** A node file's content: the node and when it expires (epoch ms). */
export interface NodeRecord {
  readonly path: string;
  readonly node: ServiceNode;
  readonly expiresAt: number;
  /** The process that wrote it, when the file says (see owner.ts). */
  readonly owner: Owner | undefined;
}

type Outcome = { record: NodeRecord } | { bad: string } | { gone: true };

interface Entry {
  /** inode, size, mtime and ctime as seen by lstat: an entry whose signature did not change is not read again. */
  readonly signature: string;
  readonly outcome: Promise<Outcome>;
}

/**
 * The `*.json` entries of the service directories, read safely and only when they changed. Each scan
 * `lstat`s every entry (cheap) and reads only those whose inode, size or times changed since the last
 * scan: a 1 s rescan no longer re-reads and re-parses every file (a 50 MB junk file cost every watcher
 * 59–87 ms stalls and up to 1 GB RSS). An entry that is not a node — not a regular file, too big, not
 * JSON, not a node — is reported once through `onError` with its path and why, then skipped until it
 * changes.
 */
export class NodeFiles {
  private readonly dirs = new Map<string, Map<string, Entry>>();

  constructor(
    private readonly maxBytes: number,
    private readonly onError: (err: Error) => void,
  ) {}

  /** The records of the `*.json` names among `files` (a listing of `dir`). */
  async read(dir: string, files: readonly string[]): Promise<NodeRecord[]> {
    let known = this.dirs.get(dir);
    if (known === undefined) this.dirs.set(dir, (known = new Map()));
    const names = files.filter((f) => f.endsWith('.json') && !f.startsWith('.'));
    const listed = new Set(names);
    for (const name of known.keys()) if (!listed.has(name)) known.delete(name); // forget removed files
    const outcomes = await Promise.all(names.map((name) => this.entry(known, dir, name)));
    const records: NodeRecord[] = [];
    for (const outcome of outcomes) if ('record' in outcome) records.push(outcome.record);
    return records;
  }

  /** Forgets a directory (its watcher stopped): nothing is kept for services no longer watched. */
  forget(dir: string): void {
    this.dirs.delete(dir);
  }

  private async entry(known: Map<string, Entry>, dir: string, name: string): Promise<Outcome> {
    const path = join(dir, name);
    let st;
    try {
      st = await lstat(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { gone: true }; // removed since the listing
      return this.report(known, name, `lstat:${(err as NodeJS.ErrnoException).code}`, path, (err as Error).message);
    }
    const signature = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    const cached = known.get(name);
    if (cached?.signature === signature) return cached.outcome;
    if (!st.isFile()) return this.report(known, name, signature, path, `it is ${kindOf(st)}, not a regular file`);
    if (st.size > this.maxBytes) return this.report(known, name, signature, path, tooBig(st.size, this.maxBytes));
    const outcome = readNodeFile(path, this.maxBytes).then(
      (read): Outcome => ('bad' in read ? this.bad(path, read.bad) : parse(path, read.text, (why) => this.bad(path, why))),
      (err: NodeJS.ErrnoException): Outcome => (err.code === 'ENOENT' ? { gone: true } : this.bad(path, err.message)),
    );
    known.set(name, { signature, outcome });
    return outcome;
  }

  private report(known: Map<string, Entry>, name: string, signature: string, path: string, why: string): Promise<Outcome> {
    const outcome = Promise.resolve(this.bad(path, why));
    known.set(name, { signature, outcome });
    return outcome;
  }

  private bad(path: string, why: string): Outcome {
    try {
      this.onError(new Error(`localRegistry: skipping ${path}: ${why}`));
    } catch {
      /* a throwing error handler must not stop discovery */
    }
    return { bad: why };
  }
}

function parse(path: string, text: string, bad: (why: string) => Outcome): Outcome {
  let value: { node?: unknown; expiresAt?: unknown; owner?: unknown };
  try {
    value = JSON.parse(text) as typeof value;
  } catch (err) {
    return bad(`it is not JSON (${(err as Error).message})`);
  }
  if (typeof value !== 'object' || value === null) return bad('it is not a JSON object');
  if (typeof value.expiresAt !== 'number' || !Number.isFinite(value.expiresAt)) return bad('its expiresAt is not a number');
  try {
    validateNode(value.node as ServiceNode, 'its node');
  } catch (err) {
    return bad((err as Error).message);
  }
  return { record: { path, node: copyNode(value.node as ServiceNode), expiresAt: value.expiresAt, owner: ownerOf(value.owner) } };
}
