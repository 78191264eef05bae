import type { Server, ServiceDefinition } from '@grpc/grpc-js';
import { failures, reportingSerializers, type Failures } from './failures';
import { HealthBoard, type ServingStatus } from './health';
import { HEALTH_SERVICE, healthService } from './health-proto';
import { toLog, type Log, type Logger } from './logger';
import { ReflectionCatalog, serviceNameOf } from './reflection';
import { boolean } from '../options';

/** The options of `createServer` that shape what the server tells operators. */
export interface SelfReportOptions {
  /** Serve grpc.health.v1.Health (Check, Watch, List). Default true. */
  health?: boolean;
  /** Serve server reflection, v1 and v1alpha, for what `addService` was given. Default true. */
  reflection?: boolean;
  /** Where the server logs failures and its lifecycle; `false` for silence. Default `console`. */
  logger?: Logger | false;
  /** Send the messages of plain (non-gRPC) errors to callers. Default false: they are logged, callers get an error id. */
  exposeErrors?: boolean;
  /**
   * Once started, `stop()` on SIGTERM/SIGINT and exit the process when stopped (see `stopOnSignals`, which
   * also takes several servers). Default false: signals are the application's business unless it asks.
   */
  stopOnSignals?: boolean;
}

export const SELF_REPORT_OPTIONS = ['health', 'reflection', 'logger', 'exposeErrors', 'stopOnSignals'];

const STATUSES: readonly string[] = ['SERVING', 'NOT_SERVING'];

/**
 * Everything a keel server says about itself beyond its own services: health, reflection, logs. Called
 * from createServer at each step of the lifecycle, so that file only says when, and this one what.
 */
export class SelfReport {
  readonly log: Log;
  readonly fail: Failures;
  private readonly board = new HealthBoard();
  private readonly catalog = new ReflectionCatalog();
  private readonly health: boolean;
  private readonly reflection: boolean;
  private readonly added = new Set<string>();

  constructor(options: SelfReportOptions, private readonly name: string) {
    for (const key of ['health', 'reflection', 'exposeErrors', 'stopOnSignals'] as const) {
      if (options[key] !== undefined) boolean(options[key], `createServer: ${key}`);
    }
    this.health = options.health ?? true;
    this.reflection = options.reflection ?? true;
    this.log = toLog(options.logger, 'createServer');
    this.fail = failures(this.log, options.exposeErrors ?? false);
    this.board.add('');
  }

  /** A service is being added: health tracks it, reflection describes it; returns what grpc-js is given. */
  addService(service: ServiceDefinition): ServiceDefinition {
    const name = serviceNameOf(service);
    this.added.add(name);
    this.board.add(name);
    if (this.reflection) {
      const warning = this.catalog.add(service);
      if (warning !== undefined) this.log('warn', `keel: ${warning}`, { service: name });
    }
    return reportingSerializers(service, this.log);
  }

  /** Before binding: the health and reflection services, unless the application added its own (grpc-js refuses a second). */
  install(server: Server): void {
    if (this.health && !this.added.has(HEALTH_SERVICE)) {
      server.addService(healthService, this.board.handlers());
      this.catalog.add(healthService);
    }
    const ownReflection = ['grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'].some((n) => this.added.has(n));
    if (this.reflection && !ownReflection) this.catalog.addTo(server);
  }

  setStatus(service: string, status: ServingStatus): void {
    if (typeof service !== 'string') throw new TypeError(`setStatus: service must be a string ("" for the whole server), got ${typeof service}`);
    if (!STATUSES.includes(status)) throw new TypeError(`setStatus: status must be 'SERVING' or 'NOT_SERVING', got ${String(status)}`);
    this.board.set(service, status);
  }

  listening(id: string, address: string): void {
    this.log('info', `keel: ${this.name} listening: ${id} serves ${[...this.added].join(', ') || 'no services'} on ${address}`,
      { id, address, services: [...this.added] });
  }

  /** Registered: SERVING (except what the application set itself). */
  registered(id: string, registry: string): void {
    this.board.serving();
    this.log('info', `keel: ${this.name} registered: ${id} in the ${registry} registry; SERVING`, { id, registry });
  }

  /** stop() began: NOT_SERVING before anything else, so probes and balancers stop sending first. */
  stopping(id: string): void {
    this.board.stop();
    this.log('info', `keel: ${this.name} stopping: ${id} is NOT_SERVING; deregistering`, { id });
  }

  /** Deregistered (and the drain delay passed): in-flight calls may finish; Watch streams end now. */
  draining(id: string, graceMs: number): void {
    this.board.endWatches();
    this.log('info', `keel: ${this.name} draining: ${id} deregistered; in-flight calls have ${graceMs} ms to finish`, { id, graceMs });
  }

  stopped(id: string, forced: boolean): void {
    this.log(forced ? 'warn' : 'info', `keel: ${this.name} stopped: ${id}${forced ? ' (calls still running after graceMs were cancelled)' : ''}`, { id, forced });
  }
}
