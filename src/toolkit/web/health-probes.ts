import { Client, status, type ServiceError } from '@grpc/grpc-js';
import { clientChannel, type ClientTlsOptions } from '../library';
import { healthCheck } from '../health-check';

/** A node's grpc.health.v1 status as the dashboard shows it; `UNREACHABLE`: the check itself failed. */
export type NodeHealth = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN' | 'UNKNOWN' | 'UNIMPLEMENTED' | 'UNREACHABLE';

/**
 * grpc.health.v1 `Check("")` against nodes by address, one channel per node kept while the node is listed
 * (a check every couple of seconds would otherwise pay a TCP and HTTP/2 handshake each time).
 */
export class HealthProbes {
  private readonly clients = new Map<string, Client>();

  constructor(private readonly tls?: ClientTlsOptions, private readonly timeoutMs = 1000) {}

  check(service: string, address: string): Promise<NodeHealth> {
    let client = this.clients.get(address);
    if (client === undefined) {
      const { credentials, channelOptions } = clientChannel(this.tls, undefined, undefined, service);
      client = new Client(address, credentials, channelOptions);
      this.clients.set(address, client);
    }
    return healthCheck(client, '', this.timeoutMs).then(
      (answer) => answer as NodeHealth,
      (err: ServiceError) => (err.code === status.UNIMPLEMENTED ? 'UNIMPLEMENTED' : 'UNREACHABLE'),
    );
  }

  /** Closes the channels of addresses no longer listed. */
  keep(addresses: ReadonlySet<string>): void {
    for (const [address, client] of this.clients) {
      if (!addresses.has(address)) {
        client.close();
        this.clients.delete(address);
      }
    }
  }

  close(): void {
    this.keep(new Set());
  }
}
