import { Client, type ChannelCredentials, type ChannelOptions } from '@grpc/grpc-js';

/** One grpc-js client (a channel) per node address, with a count of the calls it carries. */
export interface Channel {
  readonly address: string;
  readonly client: Client;
  inFlight: number;
  retired: boolean;
}

/**
 * Channels kept per node address and reused across calls. A channel whose node has left is closed as
 * soon as its last in-flight call settles, so leaving nodes never cut calls short.
 */
export class ChannelPool {
  private readonly channels = new Map<string, Channel>();

  constructor(
    private readonly credentials: ChannelCredentials,
    private readonly options: ChannelOptions,
    /** How long a call waits for its node's connection (see `whenConnected`). */
    readonly connectTimeoutMs = Infinity,
  ) {}

  acquire(address: string): Channel {
    let channel = this.channels.get(address);
    if (channel === undefined) {
      channel = { address, client: new Client(address, this.credentials, this.options), inFlight: 0, retired: false };
      this.channels.set(address, channel);
    }
    channel.inFlight++;
    return channel;
  }

  release(channel: Channel): void {
    channel.inFlight--;
    if (channel.retired && channel.inFlight === 0) channel.client.close();
  }

  /** Retires the channels of addresses no longer in `addresses`. */
  retainOnly(addresses: ReadonlySet<string>): void {
    for (const [address, channel] of this.channels) {
      if (addresses.has(address)) continue;
      this.channels.delete(address);
      channel.retired = true;
      if (channel.inFlight === 0) channel.client.close();
    }
  }

  close(): void {
    this.retainOnly(new Set());
  }
}
