import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './external';

const run = promisify(execFile);

export interface InfraServer<T> {
  readonly info: T & { pid: number };
  stop(): Promise<void>;
}

/** Starts a real server with `scripts/infra start <tool>` (free loopback ports, throwaway data dir). */
export async function startInfra<T extends object>(tool: 'consul' | 'etcd' | 'redis' | 'jaeger' | 'kubernetes'): Promise<InfraServer<T>> {
  const script = join(repoRoot, 'scripts', 'infra');
  let stdout: string;
  try {
    ({ stdout } = await run(script, ['start', tool], { timeout: tool === 'kubernetes' ? 240_000 : 90_000 }));
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`scripts/infra start ${tool} failed: ${e.stderr?.trim() || e.message}`);
  }
  const info = JSON.parse(stdout.trim().split('\n').at(-1) as string) as T & { pid: number };
  return {
    info,
    stop: async () => {
      await run(script, ['stop', String(info.pid)], { timeout: 30_000 }).catch(() => undefined);
    },
  };
}
