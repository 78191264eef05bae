import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate and its key, as file paths and as PEM text. */
export interface Issued {
  certFile: string;
  keyFile: string;
  cert: string;
  key: string;
}

/** A throwaway PKI for a test file, made with the openssl CLI; nothing of it is committed. */
export interface Pki {
  readonly dir: string;
  /** The CA that signs everything below except `stranger`. */
  readonly ca: Issued;
  /** Another CA: trusting it instead of `ca` is the "wrong CA" case. */
  readonly otherCa: Issued;
  /** A server certificate for `basis`, `localhost` and 127.0.0.1, signed by `ca`. */
  readonly server: Issued;
  /** The same names, signed by `ca`, expired yesterday. */
  readonly expiredServer: Issued;
  /** A client certificate (CN `keel-client`), signed by `ca`. */
  readonly client: Issued;
  /** A client certificate signed by `otherCa`. */
  readonly stranger: Issued;
  remove(): void;
}

const openssl = (args: string[], cwd: string): void => {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
  } catch (err) {
    throw new Error(`openssl ${args[0]} failed (the TLS tests need the openssl CLI): ${(err as { stderr?: Buffer }).stderr?.toString() || (err as Error).message}`);
  }
};

/** P-256 keys: fast to make, and every TLS stack here (Node, Go, Consul, etcd) takes them. */
const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** Makes two CAs and the certificates the TLS tests need (well under a second). */
export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'keel-pki-'));
  const issued = (name: string): Issued => {
    const certFile = join(dir, `${name}.crt`);
    const keyFile = join(dir, `${name}.key`);
    return { certFile, keyFile, cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  };
  const makeCa = (name: string): Issued => {
    openssl(['req', '-x509', ...KEY, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=keel test ${name}`], dir);
    return issued(name);
  };
  const sign = (name: string, ca: string, cn: string, ext: string, days: number): Issued => {
    writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
    openssl(['req', ...KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
    // A negative -days gives notAfter before now: an expired certificate without waiting or faking time.
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-set_serial', String(Date.now() % 1e9 + name.length),
      '-days', String(days), '-extfile', `${name}.ext`, '-out', `${name}.crt`], dir);
    return issued(name);
  };
  const serverExt = 'subjectAltName=DNS:basis,DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth';
  const clientExt = 'extendedKeyUsage=clientAuth';
  const ca = makeCa('ca');
  const otherCa = makeCa('other-ca');
  return {
    dir,
    ca,
    otherCa,
    server: sign('server', 'ca', 'basis', serverExt, 2),
    expiredServer: sign('expired-server', 'ca', 'basis', serverExt, -1),
    client: sign('client', 'ca', 'keel-client', clientExt, 2),
    stranger: sign('stranger', 'other-ca', 'keel-client', clientExt, 2),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
