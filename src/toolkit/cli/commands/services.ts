import type { Command } from '../command';
import { paint, table, writeJson } from '../output';
import { registryFromFlags } from '../registry-flags';

/** `keel services`: the registered services (go-micro's `micro services`), with node counts and versions. */
export const services: Command = {
  name: 'services',
  summary: 'list the registered services, their nodes and versions',
  usage: '',
  flags: [],
  async run({ flags }, io) {
    const registry = registryFromFlags(flags, io);
    try {
      const names = await registry.listServices();
      const rows = await Promise.all(names.map(async (name) => {
        const nodes = await registry.getService(name);
        return { name, nodes: nodes.length, versions: [...new Set(nodes.map((n) => n.version))].sort() };
      }));
      if (flags.json) writeJson(io, rows);
      else {
        const p = paint(io);
        io.stdout.write(rows.length === 0
          ? `no services registered (${registry.kind} registry)\n`
          : table(['SERVICE', 'NODES', 'VERSIONS'], rows.map((r) => [p.cyan(r.name), String(r.nodes), r.versions.join(', ')]), p));
      }
      return 0;
    } finally {
      await registry.close();
    }
  },
};
