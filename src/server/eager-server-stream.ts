import { status, type MethodDefinition, type ServerDuplexStream, type ServiceDefinition } from '@grpc/grpc-js';

/**
 * grpc-js calls a server-streaming handler only once the client half-closes, but gRPC servers in Go
 * (grpc-go, go-micro) start on the request message, and go-micro's generated clients never half-close a
 * server-streaming call: against grpc-js their streams would wait for the deadline. So keel registers its
 * server-streaming methods with grpc-js as bidi (same wire format) and starts the handler on the first
 * request message. Returns the definition to give grpc-js; the original is not changed.
 */
export function eagerServerStreams(service: ServiceDefinition): ServiceDefinition {
  const out: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const [key, method] of Object.entries(service)) {
    out[key] = method.responseStream && !method.requestStream ? { ...method, requestStream: true } : method;
  }
  return out as ServiceDefinition;
}

/**
 * Calls `start` with the first request of a server-streaming call registered as bidi; later requests are
 * read and dropped (as grpc-go does), so they never pile up. A call that half-closes without a request
 * ends with the status grpc-js gives it.
 */
export function onFirstRequest(call: ServerDuplexStream<unknown, unknown>, path: string, start: (request: unknown) => void): void {
  let started = false;
  call.on('data', (request: unknown) => {
    if (started) return;
    started = true;
    start(request);
  });
  call.once('end', () => {
    if (started || call.cancelled) return;
    const details = `Received no request message for server streaming method ${path}`;
    call.emit('error', { code: status.UNIMPLEMENTED, details });
  });
}
