import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';

/** Where a datagram goes. */
export interface UdpTarget {
  port: number;
  address: string;
}

/**
 * The two UDP sockets of one `mdnsRegistry`, opened together on first use and reopened after a failure:
 * - `group`: the shared mDNS port on `0.0.0.0` with `reuseAddr` (go-micro's processes bind it too), joined
 *   to the group; it hears queries and announcements and sends announcements, goodbyes and answers.
 * - `query`: an ephemeral port that sends this registry's queries, so that answers sent by unicast to the
 *   asker's port (go-micro's way) come back here, not to any one of the processes on the host bound to the
 *   shared port.
 * Both: multicast TTL 1, loopback on, sending on `iface` when given, unref'd.
 */
export class MdnsSockets {
  private open: Promise<{ group: Socket; query: Socket }> | undefined;
  private closed = false;

  constructor(
    private readonly port: number,
    private readonly group: string,
    private readonly iface: string | undefined,
    private readonly onMessage: (buf: Buffer, from: RemoteInfo) => void,
  ) {}

  /** Sends unsolicited responses (announcements, goodbyes) to the group. */
  async announce(packets: Buffer[]): Promise<void> {
    await send((await this.get()).group, packets, { port: this.port, address: this.group });
  }

  /** Sends a query to the group from the query socket. */
  async query(packet: Buffer): Promise<void> {
    await send((await this.get()).query, [packet], { port: this.port, address: this.group });
  }

  /** Sends answers from the group socket to `to` (an asker, or the group). */
  async reply(packets: Buffer[], to: UdpTarget): Promise<void> {
    await send((await this.get()).group, packets, to);
  }

  /** Opens the sockets unless open (registering opens them, so the process hears queries). */
  async ready(): Promise<void> {
    await this.get();
  }

  get opened(): boolean {
    return this.open !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.drop();
  }

  private get(): Promise<{ group: Socket; query: Socket }> {
    if (this.closed) return Promise.reject(new Error('mdnsRegistry: closed'));
    this.open ??= (async () => {
      const group = await this.bind(this.port, true).catch((err: Error) => {
        throw new Error(`mdnsRegistry: cannot open UDP 0.0.0.0:${this.port} for ${this.group}: ${err.message}`, { cause: err });
      });
      const query = await this.bind(0, false).catch((err: Error) => {
        closeQuietly(group);
        throw new Error(`mdnsRegistry: cannot open a UDP socket to query ${this.group}:${this.port} from: ${err.message}`, { cause: err });
      });
      return { group, query };
    })().catch((err: Error) => {
      this.open = undefined;
      throw err;
    });
    return this.open;
  }

  private bind(port: number, join: boolean): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const s = createSocket({ type: 'udp4', reuseAddr: join });
      const fail = (err: Error): void => {
        reject(err);
        closeQuietly(s);
      };
      s.once('error', fail);
      s.on('message', this.onMessage);
      s.bind({ port, address: '0.0.0.0' }, () => {
        try {
          s.setMulticastTTL(1);
          s.setMulticastLoopback(true);
          if (this.iface !== undefined) s.setMulticastInterface(this.iface);
          if (join) s.addMembership(this.group, this.iface);
        } catch (err) {
          return fail(err as Error);
        }
        s.off('error', fail);
        s.on('error', () => void this.drop()); // not expected after bind: the next use opens new sockets
        s.unref();
        resolve(s);
      });
    });
  }

  private async drop(): Promise<void> {
    const open = this.open;
    this.open = undefined;
    const s = await open?.catch(() => undefined);
    if (s !== undefined) {
      closeQuietly(s.group);
      closeQuietly(s.query);
    }
  }
}

const send = (s: Socket, packets: Buffer[], to: UdpTarget): Promise<void> =>
  packets.reduce<Promise<void>>((prev, p) => prev.then(() => new Promise<void>((ok, ko) =>
    s.send(p, to.port, to.address, (err) => (err ? ko(err) : ok())))), Promise.resolve());

function closeQuietly(socket: Socket): void {
  try {
    socket.close();
  } catch {
    // already closed
  }
}
