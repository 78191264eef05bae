import { constants, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';

/** Why an entry in a service directory is not a node, or its text. */
export type FileRead = { text: string } | { bad: string };

/** What a directory entry is, in words for the error report. */
export function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * Reads a node file that `lstat` found to be a regular file of at most `maxBytes`. The checks are repeated
 * on the open descriptor, because the entry may have been replaced in between: `O_NOFOLLOW` refuses a
 * symbolic link, `O_NONBLOCK` makes opening a FIFO return at once instead of blocking a libuv thread until
 * a writer comes (which froze every later scan and kept the process from exiting), and `fstat` sees what
 * was really opened (a writer's rename may have put a newer node there: that one is read). At most `maxBytes + 1` bytes are read whatever the file grows to.
 */
export async function readNodeFile(path: string, maxBytes: number): Promise<FileRead> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | (constants.O_NOFOLLOW ?? 0));
  try {
    const st = await handle.stat();
    if (!st.isFile()) return { bad: `it is ${kindOf(st)}, not a regular file` };
    if (st.size > maxBytes) return { bad: tooBig(st.size, maxBytes) };
    const buffer = Buffer.alloc(Math.min(st.size, maxBytes) + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes) return { bad: tooBig(length, maxBytes) };
    return { text: buffer.subarray(0, length).toString('utf8') };
  } finally {
    await handle.close();
  }
}

export const tooBig = (size: number, maxBytes: number): string =>
  `it is ${size} bytes, over maxFileBytes (${maxBytes}): not read`;
