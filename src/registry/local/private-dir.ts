import { lstatSync, mkdirSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * The default directory, private to this user: `$XDG_RUNTIME_DIR/keel-registry` (a per-user directory
 * the login manager creates `0700`), else `<os tmpdir>/keel-registry-<uid>`. A directory shared by every
 * user of the host would let any of them register a node and receive another user's traffic.
 */
export function defaultRegistryDir(env: NodeJS.ProcessEnv = process.env): string {
  const runtime = env.XDG_RUNTIME_DIR?.trim();
  if (runtime) return join(runtime, 'keel-registry');
  return join(tmpdir(), `keel-registry-${process.getuid?.() ?? userInfo().username}`);
}

/**
 * Creates `dir` (`0700`) if it is missing, then refuses it — as ssh refuses its files — when another user
 * owns it or group/others may write in it: whoever can write there can register nodes and receive this
 * process's calls. `allowShared` skips both checks for a directory shared on purpose. A symbolic link is
 * refused whatever `allowShared` says: its target's owner and mode passed the checks (a link planted in a
 * shared tmp at this user's default path, pointing at the home directory, turned the sweeps on it).
 * Synchronous: it runs once, when the registry is created, so a bad directory fails there with its path.
 */
export function ensurePrivateDir(dir: string, allowShared: boolean): void {
  try {
    mkdirSync(dir, { recursive: true, mode: allowShared ? 0o777 : 0o700 });
  } catch (err) {
    throw new Error(`localRegistry: cannot create the registry directory ${dir}: ${(err as Error).message}`);
  }
  const st = lstatSync(dir);
  if (st.isSymbolicLink()) {
    throw new Error(`localRegistry: refusing the registry directory ${dir}: it is a symbolic link, and keel removes files ` +
      'in the registry, so a link could point it at any directory. Give the real path of the directory instead.');
  }
  if (!st.isDirectory()) throw new Error(`localRegistry: ${dir} is not a directory`);
  const uid = process.getuid?.();
  if (allowShared || uid === undefined) return; // no owners or modes to check (Windows)
  if (st.uid !== uid && st.uid !== 0) {
    throw new Error(`localRegistry: refusing the registry directory ${dir}: it is owned by uid ${st.uid}, not by this ` +
      `user (uid ${uid}) or root, so its owner could register nodes that receive this process's calls. ` +
      'Use a directory of your own, or pass allowSharedDirectory: true if sharing it is intended.');
  }
  if ((st.mode & 0o022) !== 0) {
    throw new Error(`localRegistry: refusing the registry directory ${dir}: it is writable by ` +
      `${st.mode & 0o020 ? 'its group' : ''}${(st.mode & 0o022) === 0o022 ? ' and ' : ''}${st.mode & 0o002 ? 'other users' : ''} ` +
      `(mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}), so they could register nodes that receive this process's calls. ` +
      `Run chmod go-w ${dir}, or pass allowSharedDirectory: true if sharing it is intended.`);
  }
}
