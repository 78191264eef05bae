import { bearerToken } from '../../gateway/guard';
import { createMcpGateway } from '../../mcp/gateway';
import { MissingPeerError } from '../../library';
import { listFlag, msFlag, positiveFlag } from '../flag-values';
import { protoOptions, PROTO_FLAGS } from '../proto-flags';
import { registryFromFlags, stringFlag } from '../registry-flags';
import { UsageError, type Command } from '../command';
import { asUsageError, listenOn, rateOption, untilAborted } from '../serve-gateway';

/**
 * `keel mcp`: the registry's services as MCP tools for AI agents, over stdio (an agent starts `keel mcp`
 * itself) or, with `--address`, over Streamable HTTP at `http://host:port/mcp` — then `--token` (or
 * `KEEL_MCP_TOKEN`, out of the process list), when set, is the bearer token every request must carry. Runs
 * until the input ends or Ctrl-C.
 */
export const mcp: Command = {
  name: 'mcp',
  summary: 'serve the registry\'s services as MCP tools for AI agents: stdio, or Streamable HTTP with --address',
  usage: '',
  flags: [
    { name: 'address', help: 'serve Streamable HTTP at http://host:port/mcp instead of stdio (see --token)' },
    { name: 'token', help: 'HTTP: require Authorization: Bearer <token> on every request (or set KEEL_MCP_TOKEN); at least 16 characters' },
    { name: 'service', help: 'only this service\'s methods (repeatable; a trailing * matches a prefix)', repeated: true },
    { name: 'timeout', help: 'deadline of each tool call, in ms', default: '10000' },
    { name: 'max_stream', help: 'messages collected from a server stream, at most', default: '100' },
    { name: 'rate', help: 'tool calls per second across the gateway (over it: a rate_limited tool error); default unlimited' },
    ...PROTO_FLAGS,
  ],
  async run({ positional, flags }, io) {
    if (positional.length > 0) throw new UsageError(`mcp takes no arguments, got ${JSON.stringify(positional[0])}`);
    const address = stringFlag(flags, 'address');
    const services = listFlag(flags, 'service');
    const maxStream = positiveFlag(flags, 'max_stream');
    if (maxStream !== undefined && !Number.isInteger(maxStream)) throw new UsageError(`--max_stream must be a whole number, got ${maxStream}`);
    const token = stringFlag(flags, 'token') ?? (io.env.KEEL_MCP_TOKEN || undefined);
    if (token !== undefined && address === undefined) throw new UsageError('--token is for the HTTP transport: give --address too (stdio needs none: only the agent that started keel mcp can talk to it)');
    const registry = registryFromFlags(flags, io);
    let gateway;
    try {
      gateway = createMcpGateway({
        registry,
        timeoutMs: msFlag(flags, 'timeout') ?? 10_000,
        ...(maxStream === undefined ? {} : { maxStreamMessages: maxStream }),
        ...(services.length > 0 ? { services } : {}),
        ...rateOption(flags),
        ...(token !== undefined ? { authorize: bearerToken(token) } : {}),
        ...protoOptions(flags),
      });
    } catch (err) {
      await registry.close();
      if (err instanceof MissingPeerError) throw new UsageError(err.message);
      throw asUsageError(err, 'createMcpGateway');
    }
    try {
      const stopped = untilAborted(io.signal);
      if (address === undefined) {
        // stdout carries the protocol: anything for people goes to stderr.
        io.stderr.write(`keel mcp: serving the ${registry.kind} registry's services over stdio\n`);
        await Promise.race([gateway.serveStdio({ stdin: io.stdin, stdout: io.stdout }), stopped]);
        return 0;
      }
      const bound = await listenOn(gateway, address);
      const url = `http://${bound}/mcp`;
      io.stdout.write(flags.json === true ? `${JSON.stringify({ url, address: bound, registry: registry.kind })}\n`
        : `keel mcp: ${url} (registry ${registry.kind}${token ? ', bearer token required' : ''}); Ctrl-C stops\n`);
      await stopped;
      return 0;
    } finally {
      await gateway.close();
      await registry.close();
    }
  },
};
