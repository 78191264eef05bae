import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/**
 * A network namespace this test process creates and removes: a veth pair whose far end, inside the
 * namespace, holds private addresses (10.244.N.2 …) that exist nowhere else. The API server refuses
 * loopback addresses in EndpointSlices, so the Kubernetes tests run their keel servers in here and
 * reach them over the veth; nothing outside this host's own namespace is ever a target.
 */
export interface NetNs {
  readonly name: string;
  /** The addresses inside the namespace, one per server to run. */
  readonly addresses: readonly string[];
  /** Runs `node script args…` inside the namespace; resolves with the first line it prints on stdout that starts with `{`. */
  spawnNode(script: string, args: string[]): Promise<{ child: ChildProcess; line: string }>;
  remove(): void;
}

const ip = (args: string[]): string => execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 10_000 });

/** Why a namespace cannot be made here (not root, no `ip`), or undefined when it can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'creating a network namespace needs root';
  try {
    ip(['-V']);
  } catch {
    return 'the ip command (iproute2) is not installed';
  }
  return undefined;
}

export function createNetNs(count: number): NetNs {
  const tag = `${process.pid % 100_000}`;
  const name = `keel-k8s-${tag}`;
  const host = `vk${tag}`;
  // A /24 no route of this host uses yet (so neither another test nor a real network is shadowed).
  const routes = ip(['-4', 'route', 'show']);
  let subnet: string | undefined;
  for (let i = 0; i < 250 && subnet === undefined; i++) {
    const candidate = `10.244.${(process.pid + i) % 250 + 1}`;
    if (!routes.includes(`${candidate}.`)) subnet = candidate;
  }
  if (subnet === undefined) throw new Error('no free 10.244.x.0/24 subnet');
  const children = new Set<ChildProcess>();
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    for (const c of children) c.kill('SIGKILL');
    try {
      ip(['netns', 'del', name]); // removes the veth pair with it
    } catch {
      /* already gone */
    }
  };
  process.once('exit', remove);
  try {
    ip(['netns', 'add', name]);
    ip(['link', 'add', host, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', name]);
    ip(['addr', 'add', `${subnet}.1/24`, 'dev', host]);
    ip(['link', 'set', host, 'up']);
    const addresses = Array.from({ length: count }, (_, i) => `${subnet}.${i + 2}`);
    for (const a of addresses) ip(['-n', name, 'addr', 'add', `${a}/24`, 'dev', 'eth0']);
    ip(['-n', name, 'link', 'set', 'eth0', 'up']);
    ip(['-n', name, 'link', 'set', 'lo', 'up']);
    return {
      name,
      addresses,
      spawnNode: (script, args) => new Promise((resolve, reject) => {
        const child = spawn('ip', ['netns', 'exec', name, process.execPath, script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
        children.add(child);
        child.once('exit', () => children.delete(child));
        const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
        const timer = setTimeout(() => reject(new Error(`${script} ${args.join(' ')} did not start within 30 s`)), 30_000);
        child.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`${script} exited (${code}) before it was ready`));
        });
        lines.on('line', (line) => {
          if (!line.startsWith('{')) return;
          clearTimeout(timer);
          resolve({ child, line });
        });
      }),
      remove,
    };
  } catch (err) {
    remove();
    throw err;
  }
}
