/**
 * The keel side of the mDNS interop tests, run inside the test's network namespace (keel's mDNS registry
 * must share the namespace's multicast with the go-micro peers):
 *   node mdns-agent.js <interface IPv4> [queryIntervalMs]
 * reads one JSON command a line on stdin, `{ "id": 1, "op": "serve", … }`, and answers each with one JSON
 * line on stdout, `{ "id": 1, "ok": true, "value": … }` or `{ "id": 1, "ok": false, "error": "…" }`.
 * Every server and client uses one `mdnsRegistry({ interface })` with go-micro's defaults (port 5353,
 * domain `micro`). Ops: serve {name} → {id, address}; stop {name: the server's id};
 * call {name, count}; stream {name, count}; collect {name, names}; chat {name, names}; get {name};
 * list; watch {name}; watched {name} → the ids of the watcher's last list.
 * stdin closing stops every server (goodbyes) and exits.
 */
import { createInterface } from 'node:readline';
import { createClient, createServer, mdnsRegistry, roundRobin, wrapClient, type KeelServer, type ServiceNode } from '../../src/index';
import { chatInTurns, PeerBasis, type StreamRequest } from '../support/go-micro-peers';
import type { HelloRequest } from '../support/basis';

const ip = process.argv[2] as string;
const registry = mdnsRegistry({ interface: ip, queryIntervalMs: Number(process.argv[3] ?? 500) });
const servers = new Map<string, KeelServer>();
const clients = new Map<string, ReturnType<typeof createClient<typeof PeerBasis>>>();
const watched = new Map<string, ServiceNode[]>();

const client = (name: string) => {
  let c = clients.get(name);
  if (c === undefined) clients.set(name, (c = createClient(PeerBasis, name, { registry, wrap: wrapClient(roundRobin()) })));
  return c;
};

async function serve(name: string): Promise<{ id: string; address: string }> {
  const server = createServer({ name, registry, address: `${ip}:0`, drainDelayMs: 0, registerTtlMs: 30_000, registerIntervalMs: 10_000 });
  const from = (): string => `from ${server.id}`;
  server.addService(PeerBasis, {
    Hello: ({ name: who }: HelloRequest) => ({ msg: `Hello ${who} ${from()}` }),
    Stream: async function* ({ name: who, count }: StreamRequest) {
      for (let i = 1; i <= count; i++) yield { msg: `${who} ${i}/${count} ${from()}` };
    },
    Collect: async (requests: AsyncIterable<HelloRequest>) => {
      const names: string[] = [];
      for await (const r of requests) names.push(r.name);
      return { msg: `Collected ${names.length}: ${names.join(',')} ${from()}` };
    },
    Chat: async function* (requests: AsyncIterable<HelloRequest>) {
      for await (const r of requests) yield { msg: `Echo ${r.name} ${from()}` };
    },
  });
  const started = await server.start();
  servers.set(server.id, server);
  return started;
}

type Command = { id: number; op: string; name: string; count: number; names: string[] };
const ops: Record<string, (c: Command) => unknown> = {
  serve: (c) => serve(c.name),
  stop: async (c) => {
    await servers.get(c.name)?.stop();
    servers.delete(c.name);
  },
  call: async (c) => {
    const out: string[] = [];
    for (let i = 0; i < c.count; i++) out.push((await client(c.name).hello({ name: 'keel' })).msg);
    return out;
  },
  stream: async (c) => {
    const out: string[] = [];
    for await (const { msg } of client(c.name).stream({ name: 'keel', count: c.count })) out.push(msg);
    return out;
  },
  collect: async (c) => (await client(c.name).collect(c.names.map((n) => ({ name: n })))).msg,
  chat: (c) => chatInTurns((requests) => client(c.name).chat(requests), c.names),
  get: (c) => registry.getService(c.name),
  list: () => registry.listServices(),
  watch: (c) => {
    registry.watch(c.name, (nodes) => watched.set(c.name, nodes));
  },
  watched: (c) => watched.get(c.name)?.map((n) => n.id).sort() ?? null,
};

const reply = (line: object): boolean => process.stdout.write(`${JSON.stringify(line)}\n`);
createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line) as Command;
  Promise.resolve()
    .then(() => (ops[command.op] ?? (() => { throw new Error(`unknown op ${command.op}`); }))(command))
    .then((value) => reply({ id: command.id, ok: true, value: value ?? null }),
      (err: Error & { code?: number }) => reply({ id: command.id, ok: false, error: `${err.code ?? ''} ${err.message}`.trim() }));
}).on('close', () => {
  void Promise.all([...servers.values()].map((s) => s.stop()))
    .then(() => Promise.all([...clients.values()].map((c) => c.close())))
    .then(() => registry.close())
    .then(() => process.exit(0));
});
