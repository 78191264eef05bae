import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions } from 'node:https';
import type { Duplex } from 'node:stream';

type CreateConnection = (options: object, callback?: (err: Error | null, socket: Duplex) => void) => Duplex;

/**
 * An HTTP agent for background requests (Consul blocking queries) whose sockets do not keep the
 * process alive: a client that is done exits even while its watch is parked in Consul for 30 s.
 * No keep-alive, because Node re-refs a pooled socket when it reuses it. `tls`: CA, client certificate
 * and server name for HTTPS.
 */
export function backgroundAgent(secure: boolean, tls: AgentOptions = {}): HttpAgent {
  const agent = secure ? new HttpsAgent({ ...tls, keepAlive: false }) : new HttpAgent({ keepAlive: false });
  const create = (agent as unknown as { createConnection: CreateConnection }).createConnection.bind(agent);
  (agent as unknown as { createConnection: CreateConnection }).createConnection = (options, callback) => {
    const socket = create(options, callback);
    (socket as unknown as { unref?: () => void }).unref?.();
    return socket;
  };
  return agent;
}
