import { credentials, makeGenericClientConstructor, type Client, type ServiceError } from '@grpc/grpc-js';
import { healthService } from '../../server/health-proto';
import { clientChannel } from '../../tls';
import type { ClientTlsOptions } from '../../tls';

/** A node's grpc.health.v1 status as the dashboard shows it; `UNREACHABLE`: the check itself failed. */
export type NodeHealth = 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN' | 'UNKNOWN' | 'UNIMPLEMENTED' | 'UNREACHABLE';

const HealthClient = makeGenericClientConstructor(healthService, 'Health');
type HealthStub = Client & {
  Check(request: { service: string }, options: { deadline: number }, done: (err: ServiceError | null, res?: { status: string }) => void): void;
};

/**
 * grpc.health.v1 `Check("")` against nodes by address, one channel per node kept while the node is listed
 * (a check every couple of seconds would otherwise pay a TCP and HTTP/2 handshake each time).
 */
export class HealthProbes {
  private readonly clients = new Map<string, HealthStub>();

  constructor(private readonly tls?: ClientTlsOptions, private readonly timeoutMs = 1000) {}

  check(service: string, address: string): Promise<NodeHealth> {
    let client = this.clients.get(address);
    if (client === undefined) {
      const { credentials: creds, channelOptions } = this.tls === undefined
        ? { credentials: credentials.createInsecure(), channelOptions: {} }
        : clientChannel(this.tls, undefined, undefined, service);
      client = new HealthClient(address, creds, channelOptions) as unknown as HealthStub;
      this.clients.set(address, client);
    }
    const stub = client;
    return new Promise((resolve) => {
      stub.Check({ service: '' }, { deadline: Date.now() + this.timeoutMs }, (err, res) => {
        if (err) resolve(err.code === 12 ? 'UNIMPLEMENTED' : 'UNREACHABLE');
        else resolve((res?.status ?? 'UNKNOWN') as NodeHealth);
      });
    });
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
