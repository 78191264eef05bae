import { connectivityState, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import type { CallContext } from '../call/contract';
import { cancelled } from '../errors';
import type { Channel } from './channels';

/** What a call gets when its node did not answer the connection in time: a transport failure, as grpc-js's own. */
function connectTimedOut(address: string, ms: number): ServiceError {
  const details = `could not connect to ${address} within connectTimeoutMs (${ms} ms)`;
  return Object.assign(new Error(`${status.UNAVAILABLE} UNAVAILABLE: ${details}`), { code: status.UNAVAILABLE, details, metadata: new Metadata() });
}

/**
 * grpc-js has no connect timeout: a call to a node that accepts no connection (a black-holed host, a hung
 * process) waits in CONNECTING until its deadline, and a stream without one waits until TCP gives up, or
 * forever. This bounds that wait: undefined when the call may go at once (connected, or failing fast, or its
 * deadline comes first anyway), else a promise that resolves once the channel leaves CONNECTING and rejects
 * with UNAVAILABLE after `timeoutMs`, so the breaker counts it and a retry can try another node.
 */
export function whenConnected(channel: Channel, ctx: CallContext, timeoutMs: number): Promise<void> | undefined {
  const grpcChannel = channel.client.getChannel();
  // READY, the usual case, is read without side effects: asking with tryToConnect also walks grpc-js's load
  // balancers (exitIdle), reads the clock and re-arms the idle timer, ~90 ns a call in a profile, none of which
  // a READY channel needs (its calls keep it from going idle). Any other state asks again, to connect.
  if (grpcChannel.getConnectivityState(false) === connectivityState.READY) return undefined;
  const state = grpcChannel.getConnectivityState(true);
  if (state !== connectivityState.CONNECTING && state !== connectivityState.IDLE) return undefined;
  if (!Number.isFinite(timeoutMs)) return undefined;
  const limit = Date.now() + timeoutMs;
  if (ctx.deadline !== undefined && ctx.deadline <= limit) return undefined;
  const { signal } = ctx;
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(cancelled());
    signal?.addEventListener('abort', onAbort, { once: true });
    const settle = (err?: unknown): void => {
      signal?.removeEventListener('abort', onAbort);
      if (err === undefined) resolve();
      else reject(err);
    };
    const watch = (current: connectivityState): void =>
      grpcChannel.watchConnectivityState(current, limit, (err) => {
        if (signal?.aborted) return;
        if (err) return settle(connectTimedOut(channel.address, timeoutMs));
        const next = grpcChannel.getConnectivityState(false);
        if (next === connectivityState.CONNECTING || next === connectivityState.IDLE) watch(next);
        else settle();
      });
    watch(state);
  });
}
