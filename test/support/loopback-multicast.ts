import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';

/**
 * Multicast for tests, kept on the loopback interface: every registry a test makes joins and sends on
 * 127.0.0.1, on a fresh ephemeral port, never 5353 and never another interface.
 */
export const LOOPBACK = '127.0.0.1';
export const GROUP = '224.0.0.251';

const loFlags = (): string => /<([^>]*)>/.exec(execFileSync('ip', ['link', 'show', 'lo'], { encoding: 'utf8' }))?.[1] ?? '';
const hasMulticast = (): boolean => loFlags().split(',').includes('MULTICAST');

/** Turns multicast on for `lo` (needs root). Returns why it could not, or undefined when it is on. */
export function enableLoopbackMulticast(): string | undefined {
  try {
    if (hasMulticast()) return undefined;
    execFileSync('ip', ['link', 'set', 'lo', 'multicast', 'on'], { stdio: 'pipe' });
    return hasMulticast() ? undefined : `"ip link set lo multicast on" ran, but lo has only <${loFlags()}>`;
  } catch (err) {
    const e = err as Error & { stderr?: Buffer };
    return `could not turn on multicast on lo (root is needed): ${e.stderr?.toString().trim() || e.message}`;
  }
}

/**
 * Decides, once per test file, whether the multicast tests run: `skip` for node:test's `{ skip }`, and
 * `problem` for a `before` hook to throw so that the suite fails loudly (unless KEEL_SKIP_MDNS=1).
 */
export function loopbackMulticastGate(): { skip: string | false; problem: string | undefined } {
  const why = enableLoopbackMulticast();
  if (why === undefined) return { skip: false, problem: undefined };
  const banner = `\n${'!'.repeat(78)}\n!! mDNS registry tests need multicast on the loopback interface: ${why}\n`;
  if (process.env.KEEL_SKIP_MDNS === '1') {
    process.stderr.write(`${banner}!! KEEL_SKIP_MDNS=1: SKIPPING every mdnsRegistry test that sends packets\n${'!'.repeat(78)}\n`);
    return { skip: `KEEL_SKIP_MDNS=1 and no loopback multicast: ${why}`, problem: undefined };
  }
  return {
    skip: false,
    problem: `${banner}!! Run the tests as root, or set KEEL_SKIP_MDNS=1 to skip them knowingly.\n${'!'.repeat(78)}`,
  };
}

/** A UDP port nobody on this host is using right now (the OS picks it). */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, LOOPBACK, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Sends raw datagrams to the group on `port` out of the loopback interface, or to 127.0.0.1 itself. */
export function sendRaw(port: number, packets: Buffer[], to: 'group' | 'unicast' = 'group'): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, LOOPBACK, async () => {
      try {
        s.setMulticastInterface(LOOPBACK);
        s.setMulticastTTL(1);
        for (const p of packets) {
          await new Promise<void>((ok, ko) => s.send(p, port, to === 'group' ? GROUP : LOOPBACK, (e) => (e ? ko(e) : ok())));
        }
        s.close(() => resolve());
      } catch (err) {
        s.close();
        reject(err);
      }
    });
  });
}
