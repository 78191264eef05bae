import { keelError } from '../../library';
import { UsageError, type Command } from '../command';
import { EXIT } from '../exit-codes';
import { msFlag } from '../flag-values';
import { nodeHealth } from '../node-health';
import { paint, statusText, table, writeJson } from '../output';
import { registryFromFlags } from '../registry-flags';
import { tlsFromFlags, TLS_FLAGS } from '../tls-flags';

/**
 * `keel health <service>`: each node's grpc.health.v1 status (asked of every node at once, each with its
 * own deadline). Exit 0 when at least one node is SERVING, 3 when none is, 4 when the service has no nodes.
 */
export const health: Command = {
  name: 'health',
  summary: "each node's grpc.health.v1 status; exit 3 when none is SERVING",
  usage: '<service>',
  flags: [{ name: 'timeout', help: 'deadline of each node\'s check, in ms', default: '2000' }, ...TLS_FLAGS],
  async run({ positional, flags }, io) {
    const [service, ...extra] = positional;
    if (service === undefined || extra.length > 0) throw new UsageError('health takes one service name');
    const timeoutMs = msFlag(flags, 'timeout') ?? 2000;
    const tls = tlsFromFlags(flags);
    const registry = registryFromFlags(flags, io);
    try {
      const nodes = await registry.getService(service);
      if (nodes.length === 0) throw keelError('no_nodes', `no nodes of ${service} are registered (${registry.kind} registry)`);
      const results = await Promise.all(nodes.map((n) => nodeHealth(n, timeoutMs, io.signal, tls)));
      const serving = results.filter((r) => r.status === 'SERVING').length;
      if (flags.json) {
        writeJson(io, { service, serving, nodes: nodes.map((n, i) => ({ id: n.id, address: n.address, ...results[i] })) });
      } else {
        const p = paint(io);
        io.stdout.write(table(['NODE', 'ADDRESS', 'STATUS', 'DETAIL'],
          nodes.map((n, i) => [n.id, n.address, statusText(results[i]!.status, p), results[i]!.detail ?? '']), p));
        io.stdout.write(`${serving} of ${nodes.length} serving\n`);
      }
      return serving > 0 ? EXIT.ok : EXIT.notServing;
    } finally {
      await registry.close();
    }
  },
};
