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
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    timer.unref();
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
