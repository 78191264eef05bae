import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Which process wrote a node file, precisely enough to tell later whether that process still exists: its
 * pid, the pid's start time (so a reused pid is not taken for the writer), and the host and pid namespace
 * (a pid means something only to processes that see the same pids: containers sharing the directory do not).
 */
export interface Owner {
  readonly host: string;
  /** `/proc/self/ns/pid`'s link, e.g. `pid:[4026531836]`. */
  readonly pidNs: string;
  readonly pid: number;
  /** Field 22 of `/proc/<pid>/stat`: clock ticks after boot at which the process started. */
  readonly start: string;
}

/**
 * Field 22 of `/proc/<pid>/stat` (the start time), or undefined when the pid is gone — or is a zombie: a
 * killed process stays in the table until its parent reaps it (1–2 s for a child of a busy test runner, for
 * ever under a parent that never waits), and it serves nothing meanwhile.
 */
function procStart(pid: number | 'self'): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Field 3, the state: Z (zombie) and X (dead) are processes that exited.
    if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

function pidNamespace(): string | undefined {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return undefined;
  }
}

let self: Owner | undefined | null = null;

/** This process as a node file's owner, or undefined where /proc cannot say (not Linux): then no file is judged by its owner. */
export function thisProcess(): Owner | undefined {
  if (self === null) {
    const start = procStart('self');
    const pidNs = pidNamespace();
    self = start === undefined || pidNs === undefined ? undefined : { host: hostname(), pidNs, pid: process.pid, start };
  }
  return self;
}

/** Reads an owner from a node file's JSON, if it has a well-formed one. */
export function ownerOf(value: unknown): Owner | undefined {
  const o = value as Partial<Owner> | null | undefined;
  if (typeof o !== 'object' || o === null) return undefined;
  if (typeof o.host !== 'string' || typeof o.pidNs !== 'string' || typeof o.start !== 'string') return undefined;
  if (typeof o.pid !== 'number' || !Number.isInteger(o.pid) || o.pid <= 0) return undefined;
  return { host: o.host, pidNs: o.pidNs, pid: o.pid, start: o.start };
}

/** Whether this process can judge `owner` at all (same host and pid namespace, /proc readable). */
export function judgeable(owner: Owner): boolean {
  const me = thisProcess();
  return me !== undefined && owner.host === me.host && owner.pidNs === me.pidNs;
}

/**
 * True only when `owner` certainly no longer runs: same host and pid namespace as this process, and its pid
 * is gone, a zombie (exited, not yet reaped) or now belongs to a process that started at another time (pid reuse). Anything unknown — another
 * host or namespace, no /proc — is not judged: the TTL decides, as before.
 */
export function ownerIsGone(owner: Owner): boolean {
  if (!judgeable(owner)) return false;
  const me = thisProcess() as Owner;
  if (owner.pid === me.pid) return owner.start !== me.start;
  const start = procStart(owner.pid);
  return start === undefined || start !== owner.start;
}
