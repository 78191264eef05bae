import { Client, credentials } from '@grpc/grpc-js';

/**
 * A fresh plaintext channel to the app for one probe, on its own subchannel pool. A long-lived channel
 * would carry its reconnect backoff (up to two minutes in grpc-js) across an app restart and keep failing
 * checks after the app is back; a connection every few seconds costs nothing next to that. The sidecar
 * runs next to its app, so plaintext on loopback is the expected case (TLS to the app is not supported).
 */
export function appClient(address: string): Client {
  return new Client(address, credentials.createInsecure(), {
    'grpc.use_local_subchannel_pool': 1,
    'grpc.enable_retries': 0,
  });
}
