import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ClientProcess } from './clients';
import { ROOT } from '../shared/root';
import type { ServerSpec } from '../shared/protocol';
import { startServers, type ServerHandle } from './servers';

/** Everything a run started, so that it all stops however the run ends. */
export class Fleet {
  readonly servers: ServerHandle[] = [];
  readonly clients = new Map<string, ClientProcess>();
  /** Set once the run is stopping (Ctrl-C): nothing new may start. */
  private closed = false;

  constructor(readonly registryDir: string, private readonly profile: string | undefined) {}

  /** The client processes for `names`, started (in parallel) where not running yet. */
  async clientsFor(names: string[]): Promise<ClientProcess[]> {
    this.mustBeOpen();
    const profileDir = join(ROOT, 'bench', 'results', 'profiles');
    if (this.profile !== undefined) mkdirSync(profileDir, { recursive: true });
    await Promise.all(names.filter((n) => !this.clients.has(n)).map(async (name) => {
      const execArgv = name === this.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : name === 'scale' ? ['--expose-gc'] : [];
      const started = await ClientProcess.start(name, execArgv);
      if (this.closed) await started.stop();
      else this.clients.set(name, started);
    }));
    this.mustBeOpen();
    return names.map((n) => this.clients.get(n) as ClientProcess);
  }

  async stopClients(): Promise<void> {
    const all = [...this.clients.values()];
    this.clients.clear();
    await Promise.allSettled(all.map((p) => p.stop()));
  }

  /** Starts servers that stop with the fleet. */
  async addServers(specs: ServerSpec[]): Promise<ServerHandle[]> {
    this.mustBeOpen();
    const started = await startServers(specs);
    if (this.closed) await Promise.allSettled(started.map((s) => s.stop()));
    this.mustBeOpen();
    this.servers.push(...started);
    return started;
  }

  /** Stops servers started with addServers before the end of the run. */
  async removeServers(servers: ServerHandle[]): Promise<void> {
    for (const server of servers) this.servers.splice(this.servers.indexOf(server), 1);
    await Promise.allSettled(servers.map((s) => s.stop()));
  }

  private mustBeOpen(): void {
    if (this.closed) throw new Error('the run was interrupted');
  }

  async stopAll(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([this.stopClients(), ...this.servers.splice(0).map((s) => s.stop())]);
    rmSync(this.registryDir, { recursive: true, force: true });
  }
}
