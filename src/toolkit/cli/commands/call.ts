import { DynamicCaller } from '../../dynamic/caller';
import { UsageError, type Command } from '../command';
import { metadataFlag, msFlag } from '../flag-values';
import { protoOptions, PROTO_FLAGS } from '../proto-flags';
import type { Flags, FlagSpec } from '../flags';
import { registryFromFlags } from '../registry-flags';
import { requestJson } from '../request-json';
import { tlsFromFlags, TLS_FLAGS } from '../tls-flags';

/**
 * `keel call <service> <Service.Method> [json]`: one call through a keel client (node from the registry,
 * retries, breaker, tracing), request and response as JSON, described by server reflection or `--proto`.
 * A server-streaming method prints one JSON line per message.
 */
export const call: Command = {
  name: 'call',
  summary: 'call a method with a JSON request (server reflection, or --proto)',
  usage: '<service> <Service.Method> [json | -]',
  details: `json is the request: a JSON object for unary and server-streaming methods, a JSON array of request
objects for client-streaming and bidi methods (each element one message, sent in order). - reads it from
stdin, as does leaving it out when stdin is a pipe; left out on a terminal it is {}. A server-streaming or
bidi method prints one JSON line per response message.`,
  flags: [
    { name: 'timeout', help: 'deadline of the call in ms (streams: none unless given)', default: '5000' },
    { name: 'metadata', help: 'request metadata key=value (repeatable)', repeated: true },
    ...PROTO_FLAGS,
    ...TLS_FLAGS,
  ],
  async run({ positional, flags }, io) {
    const [service, endpoint, json, ...extra] = positional;
    if (service === undefined || endpoint === undefined) throw new UsageError('call needs a service and a method, e.g. keel call basis Basis.Hello \'{"name":"John"}\'');
    if (extra.length > 0) throw new UsageError(`call takes one JSON request; got also ${JSON.stringify(extra.join(' '))} (quote the JSON)`);
    const timeoutMs = msFlag(flags, 'timeout');
    const metadata = metadataFlag(flags);
    const proto = protoOptions(flags);
    const tls = tlsFromFlags(flags);
    const request = await requestJson(json, io);
    const registry = registryFromFlags(flags, io);
    const caller = new DynamicCaller({ registry, ...proto, ...(tls === undefined ? {} : { tls }) });
    try {
      const options = { metadata, signal: io.signal, ...(timeoutMs === undefined ? {} : { timeoutMs }) };
      const method = await caller.method(service, endpoint, io.signal);
      if (method.kind === 'server_stream' || method.kind === 'bidi') {
        for await (const message of caller.stream(service, endpoint, request, options)) io.stdout.write(`${JSON.stringify(message)}\n`);
      } else {
        const response = await caller.call(service, endpoint, request, options);
        const pretty = io.stdout.isTTY === true && !flags.json;
        io.stdout.write(`${JSON.stringify(response, null, pretty ? 2 : undefined)}\n`);
      }
      return 0;
    } finally {
      await caller.close();
      await registry.close();
    }
  },
};
