import { connect } from 'node:net';
import { parseHostPort } from '../address';

/**
 * Whether something accepts TCP connections at `address` (`host:port`) within `timeoutMs`: the cheapest
 * sign that a server is still there (a stopped keel server closes its listener; a dead host does not
 * answer). The socket is closed at once and never keeps the process alive.
 */
export function tcpProbe(address: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let host: string;
    let port: number;
    try {
      ({ host, port } = parseHostPort(address, 'probe address'));
    } catch {
      resolve(false);
      return;
    }
    const socket = connect({ host, port });
    socket.unref();
    let settled = false;
    const done = (ok: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    // After a long event-loop stall, timers run before I/O is polled: look at the socket's events once
    // more (setImmediate runs after the poll) before calling a connected server dead.
    const timer = setTimeout(() => setImmediate(() => done(false)), timeoutMs);
    timer.unref();
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
