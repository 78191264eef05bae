import { lstat, mkdir, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { ServiceNode } from '../registry';
import { copyNode } from '../validate-node';
import { decode, encode } from './names';
import { NodeFiles } from './node-files';
import type { LocalSettings } from './options';
import { judgeable, ownerIsGone, thisProcess } from './owner';
import { ensurePrivateDir } from './private-dir';
import { checkServiceDir, isNodeFileOf, TEMP_FILE } from './service-dir';

/** What one look at a service's directory found. */
export interface Scan {
  nodes: ServiceNode[];
  /** The earliest expiry among the live nodes (Infinity: none). */
  nextExpiry: number;
  /** A live node's process runs on this host: watchers look again soon, to see it die. */
  local?: boolean;
}

/**
 * The local registry's directory: `<root>/<service>/<node id>.json`, one file per node holding its expiry,
 * written atomically (temp file + rename) so readers never see half a node. It reads only regular files,
 * each only when it changed, never follows a link to a directory, and removes only what it writes itself:
 * expired node files named for their node, and its own `.…tmp` files.
 */
export class NodeStore {
  private readonly files: NodeFiles;
  /** Service directories: private like the root unless sharing was asked for (then the umask decides). */
  private readonly dirMode: number;
  private seq = 0;

  constructor(private readonly s: LocalSettings, report: (err: Error) => void) {
    ensurePrivateDir(s.root, s.allowShared);
    this.dirMode = s.allowShared ? 0o777 : 0o700;
    this.files = new NodeFiles(s.maxFileBytes, report);
  }

  serviceDir(name: string): string {
    return join(this.s.root, encode(name));
  }

  /** The service's directory, checked (a real directory of ours), created when `create`; undefined when missing. */
  async checkedDir(name: string, create: boolean): Promise<string | undefined> {
    const dir = this.serviceDir(name);
    if (await checkServiceDir(dir, this.s.allowShared)) return dir;
    if (!create) return undefined;
    await mkdir(dir, { recursive: true, mode: this.dirMode });
    await checkServiceDir(dir, this.s.allowShared); // what is there now, whoever made it
    return dir;
  }

  /** Reads the live nodes of a service, sweeping long-expired files. */
  async scan(name: string): Promise<Scan> {
    const dir = await this.checkedDir(name, false);
    if (dir === undefined) return { nodes: [], nextExpiry: Infinity };
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { nodes: [], nextExpiry: Infinity };
      throw err;
    }
    const now = this.s.clock.now();
    const nodes: ServiceNode[] = [];
    let nextExpiry = Infinity;
    const [records] = await Promise.all([
      this.files.read(dir, names),
      ...names.filter((file) => TEMP_FILE.test(file)).map((file) => this.sweepTemp(join(dir, file), now)),
    ]);
    const sweeps: Promise<void>[] = [];
    let local = false;
    for (const { node, expiresAt, path, owner } of records) {
      // A node whose process is gone (killed: no deregistration) leaves at the next scan, not at its TTL.
      if (expiresAt > now && (owner === undefined || !ownerIsGone(owner))) {
        nodes.push(node);
        local ||= owner !== undefined && judgeable(owner);
        nextExpiry = Math.min(nextExpiry, expiresAt);
      } else if (now - expiresAt > this.s.sweepAfterMs && node.name === name && isNodeFileOf(basename(path), node.id, encode)) {
        // Only a file keel itself would have written for this node: never one that merely looks like a node.
        sweeps.push(unlink(path).catch(() => undefined));
      }
    }
    await Promise.all(sweeps);
    return { nodes, nextExpiry, local };
  }

  /** Writes `node`'s file, expiring at `expiresAt`. */
  async write(node: ServiceNode, expiresAt: number): Promise<void> {
    let dir = (await this.checkedDir(node.name, true))!;
    const temp = (): string => join(dir, `.${encode(node.id)}.${process.pid}.${this.seq++}.tmp`);
    // copyNode: the fields keel reads back (endpoints are for go-micro readers, which have no local registry).
    const body = JSON.stringify({ node: copyNode(node), expiresAt, owner: thisProcess() });
    // `wx`: never through a link or over a file someone planted under the temp name.
    let path = temp();
    try {
      await writeFile(path, body, { flag: 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      dir = (await this.checkedDir(node.name, true))!; // removed meanwhile (a sweep of the whole registry): made again
      await writeFile((path = temp()), body, { flag: 'wx' });
    }
    await rename(path, join(dir, `${encode(node.id)}.json`));
  }

  /** Removes `node`'s file, if there is one. */
  async remove(node: ServiceNode): Promise<void> {
    const dir = await this.checkedDir(node.name, false);
    if (dir === undefined) return;
    await unlink(join(dir, `${encode(node.id)}.json`)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }

  /** The service names that have a directory (live nodes or not). */
  async serviceNames(): Promise<string[]> {
    let dirs: string[];
    try {
      dirs = await readdir(this.s.root);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return dirs.filter((d) => !d.startsWith('.')).map(decode).filter((n): n is string => n !== undefined);
  }

  /** Drops what is kept of a service's files (its watcher stopped). */
  forget(name: string): void {
    this.files.forget(this.serviceDir(name));
  }

  // A writer that crashed between write and rename leaves a temp file behind (a regular file: lstat, no link followed).
  private async sweepTemp(path: string, now: number): Promise<void> {
    try {
      const st = await lstat(path);
      if (st.isFile() && now - st.mtimeMs > this.s.sweepAfterMs) await unlink(path);
    } catch {
      /* already gone */
    }
  }
}
