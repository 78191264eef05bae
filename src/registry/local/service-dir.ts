import type { Stats } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { kindOf } from './node-file';

/**
 * What a service directory must be before keel reads, writes or sweeps in it: a real directory, never a
 * symbolic link (a link named like a service pointed the sweeps at the directory it names: one `POST
 * /victim/X/Y` to the gateway deleted `.bashrc` and `.env` there), owned by this user or root unless the
 * registry is shared on purpose. Resolves to false when it does not exist; rejects with an error naming it.
 */
export async function checkServiceDir(dir: string, allowShared: boolean): Promise<boolean> {
  let st: Stats;
  try {
    st = await lstat(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  refuseForeign(dir, st, allowShared, 'service directory');
  return true;
}

/** Throws, naming `dir`, when `st` (an lstat of it) is not a directory of this user's (or root's). */
export function refuseForeign(dir: string, st: Stats, allowShared: boolean, what: string): void {
  if (st.isSymbolicLink()) {
    throw new Error(`localRegistry: refusing the ${what} ${dir}: it is a symbolic link, and keel reads, writes and ` +
      'removes files only in directories it can vouch for (a link could point it at any directory)');
  }
  if (!st.isDirectory()) throw new Error(`localRegistry: refusing the ${what} ${dir}: it is ${kindOf(st)}, not a directory`);
  const uid = process.getuid?.();
  if (allowShared || uid === undefined || st.uid === uid || st.uid === 0) return;
  throw new Error(`localRegistry: refusing the ${what} ${dir}: it is owned by uid ${st.uid}, not by this user (uid ${uid}) or root`);
}

/**
 * The temp files `write` makes, `.<encoded node id>.<pid>.<seq>.tmp`: the only dot-files a sweep may remove
 * (one left by a writer that crashed between write and rename). Anything else is not keel's and stays.
 */
export const TEMP_FILE = /^\.[A-Za-z0-9%_.!~*'()-]+\.\d{1,10}\.\d{1,16}\.tmp$/;

/** Whether `file` is the name keel gives the node file of `id` (`encode` is the registry's file-name encoding). */
export function isNodeFileOf(file: string, id: string, encode: (s: string) => string): boolean {
  return file === `${encode(id)}.json`;
}
