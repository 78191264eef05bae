import { spawn, type ChildProcess } from 'node:child_process';

/** The address of the namespace's one interface, a bridge with no ports: multicast loops back, nothing leaves. */
export const NETNS_IP = '10.53.53.1';

export interface Netns {
  /** A command prefix that runs a command inside the namespace (`nsenter …`). */
  via: string[];
  /** Ends the namespace: its holder exits, and the kernel frees the namespace with its last process. */
  close(): Promise<void>;
}

// lo up for gRPC on 127.0.0.1 too; the bridge carries the mDNS group (224.0.0.0/4 routed to it). go-micro
// joins the group on every interface and sends IPv6 mDNS as well: inside this namespace every interface is
// one of these two, so no packet can reach a real network.
const SETUP = [
  'set -e',
  'ip link set lo up',
  'ip link add keel0 type bridge',
  'ip link set keel0 multicast on',
  `ip addr add ${NETNS_IP}/24 dev keel0`,
  'ip link set keel0 up',
  'ip route add 224.0.0.0/4 dev keel0',
  'echo READY',
  'exec cat', // holds the namespace until the test closes stdin (or dies: then stdin closes too)
].join('\n');

/**
 * Creates a network namespace for multicast tests: `unshare --net` as root, else inside a new user
 * namespace (`--user --map-root-user`), where the kernel allows it. Resolves to why not when it cannot.
 */
export async function createNetns(): Promise<Netns | string> {
  const root = process.getuid?.() === 0;
  const holder = spawn('unshare', [...(root ? [] : ['--user', '--map-root-user']), '--net', '--', 'sh', '-c', SETUP], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let err = '';
  holder.stderr?.on('data', (d: Buffer) => (err += d));
  const ready = await new Promise<boolean>((resolve) => {
    holder.stdout?.on('data', (d: Buffer) => d.toString().includes('READY') && resolve(true));
    holder.once('error', (e) => {
      err += e.message;
      resolve(false);
    });
    holder.once('exit', () => resolve(false));
  });
  if (!ready) {
    holder.kill('SIGKILL');
    return `could not create a network namespace with a multicast interface (unshare --net${root ? '' : ' in a user namespace'}): ${err.trim() || 'no reason given'}`;
  }
  const ns = `/proc/${holder.pid}/ns`;
  return {
    via: ['nsenter', ...(root ? [] : [`--user=${ns}/user`, '--preserve-credentials']), `--net=${ns}/net`, '--'],
    close: () => stop(holder),
  };
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.stdin?.end();
    setTimeout(() => child.kill('SIGKILL'), 2000).unref();
  });
}
