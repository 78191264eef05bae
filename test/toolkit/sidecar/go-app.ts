import { spawn } from 'node:child_process';

/** The Go plain-grpc server (no go-micro, no keel), driven over stdin: see test/interop/cmd/plain-grpc. */
export interface GoApp {
  readonly address: string;
  readonly port: number;
  /** Sets grpc.health.v1's status for "" and resolves once the app has applied it. */
  setStatus(status: 'SERVING' | 'NOT_SERVING'): Promise<void>;
  /** SIGKILL, resolving once it has exited: no goodbye to anyone. */
  kill(): Promise<void>;
}

export async function startGoApp(binary: string, options: { port?: number; noHealth?: boolean } = {}): Promise<GoApp> {
  const child = spawn(binary, ['--address', `127.0.0.1:${options.port ?? 0}`, ...(options.noHealth ? ['--no_health'] : [])],
    { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const waiters: { pattern: RegExp; resolve: (m: RegExpExecArray) => void }[] = [];
  child.stderr.on('data', (d: Buffer) => (err += d));
  child.stdout.on('data', (d: Buffer) => {
    out += d;
    for (const w of [...waiters]) {
      const m = w.pattern.exec(out);
      if (m) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const next = (pattern: RegExp): Promise<RegExpExecArray> => Promise.race([
    new Promise<RegExpExecArray>((resolve) => waiters.push({ pattern, resolve })),
    exited.then(() => Promise.reject(new Error(`plain-grpc exited: ${err}`))),
  ]);
  const address = (await next(/READY (\S+)\n/))[1] as string;
  let statuses = 0;
  return {
    address,
    port: Number(address.slice(address.lastIndexOf(':') + 1)),
    async setStatus(status) {
      statuses++;
      child.stdin.write(`${status}\n`);
      await next(new RegExp(`(?:STATUS \\S+\\n[^]*){${statuses}}`));
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
