import { Client, status, type ServiceError } from '@grpc/grpc-js';
import { clientChannel, type ClientTlsOptions, HEALTH_SERVICE, type ServiceNode } from '../library';
import { healthCheck } from '../health-check';

/**
 * A node's grpc.health.v1 answer for the whole server (`service: ""`), or why there is none:
 * `SERVING` / `NOT_SERVING` / `UNKNOWN` as the node says, `NO_HEALTH` when it serves no health service
 * (UNIMPLEMENTED: go-micro nodes, plain servers), `UNREACHABLE` when the check failed otherwise
 * (connection refused, deadline), with the gRPC detail.
 */
export interface NodeHealth {
  readonly status: 'SERVING' | 'NOT_SERVING' | 'UNKNOWN' | 'SERVICE_UNKNOWN' | 'NO_HEALTH' | 'UNREACHABLE';
  readonly detail?: string;
}

/**
 * Asks one node, with its own connection and a deadline (a dead node must not hold the others up); over
 * TLS when `tls` is given, verified against its `serverName` or else the service name, as keel clients do.
 */
export function nodeHealth(node: ServiceNode, timeoutMs: number, signal?: AbortSignal, tls?: ClientTlsOptions): Promise<NodeHealth> {
  const { credentials, channelOptions } = clientChannel(tls, undefined, undefined, node.name);
  const client = new Client(node.address, credentials, channelOptions);
  return healthCheck(client, '', timeoutMs, signal).then(
    (answer): NodeHealth => ({ status: answer as NodeHealth['status'] }),
    (err: ServiceError): NodeHealth => err.code === status.UNIMPLEMENTED
      ? { status: 'NO_HEALTH', detail: `no ${HEALTH_SERVICE} service` }
      : { status: 'UNREACHABLE', detail: `${status[err.code]}: ${err.details}` },
  ).finally(() => client.close());
}
