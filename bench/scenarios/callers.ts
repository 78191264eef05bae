// One caller per stack kind: a keel client through the stack's wrappers, or the plain grpc-js anchor. Both say
// which node every attempt went to (keel: the innermost layer's `ctx.node`; grpc-js: the call's peer).
import { Client, credentials, Metadata } from '@grpc/grpc-js';
import { performance } from 'node:perf_hooks';
import { createClient, localRegistry, wrapClient, type ClientWrapper } from '../../src/index';
import { Basis } from '../../examples/basis/proto';
import type { Target } from './servers';
import { stackNamed, type StackOptions } from './stacks';

/** Attempts by node: every one seen, and those started in the measured run and in its focus window. */
export class Attribution {
  readonly seen = new Set<string>();
  readonly measured = new Map<string, number>();
  readonly focus = new Map<string, number>();
  private from = Infinity;
  private focusFrom = Infinity;
  private focusTo = -Infinity;

  /** From `startPerf` on (performance.now()), attempts count; those started in the focus window count apart too. */
  measureFrom(startPerf: number, focus?: { fromMs: number; toMs: number }): void {
    this.from = startPerf;
    if (focus !== undefined) {
      this.focusFrom = startPerf + focus.fromMs;
      this.focusTo = startPerf + focus.toMs;
    }
  }

  add(address: string, startedPerf: number): void {
    if (this.seen.size < 100) this.seen.add(address);
    if (startedPerf < this.from) return;
    this.measured.set(address, (this.measured.get(address) ?? 0) + 1);
    if (startedPerf >= this.focusFrom && startedPerf < this.focusTo) this.focus.set(address, (this.focus.get(address) ?? 0) + 1);
  }
}

export interface Caller {
  call(): Promise<unknown>;
  readonly attribution: Attribution;
  close(): Promise<void>;
}

/** `host:port` at the end of a grpc-js peer string (`127.0.0.1:1234`, `ipv4:127.0.0.1:1234`). */
const hostPort = (peer: string): string => /(\d+\.\d+\.\d+\.\d+:\d+)$/.exec(peer)?.[1] ?? 'unknown';

/** A caller for `stackName`, or undefined when the stack has no form for these options (grpc-js has no hedging). */
export function makeCaller(stackName: string, options: StackOptions, target: Target, deadlineMs: number): Caller | undefined {
  const stack = stackNamed(stackName);
  const attribution = new Attribution();
  if (stack.kind === 'grpc-js') {
    if (options.hedgeDelayMs !== undefined) return undefined;
    const hello = Basis.service.Hello;
    const client = new Client(`ipv4:${target.addresses.join(',')}`, credentials.createInsecure(), { 'grpc.service_config': JSON.stringify(stack.serviceConfig) });
    return {
      attribution,
      call: () => new Promise((resolve, reject) => {
        const t = performance.now();
        const call = client.makeUnaryRequest(hello.path, hello.requestSerialize, hello.responseDeserialize, { name: 'x' }, new Metadata(),
          { deadline: Date.now() + deadlineMs }, (err, value) => {
            attribution.add(hostPort(call.getPeer()), t);
            if (err) reject(err);
            else resolve(value);
          });
      }),
      close: async () => client.close(),
    };
  }
  const wrappers = stack.client(options);
  if (wrappers === undefined) return undefined;
  const log: ClientWrapper = (next) => (request, ctx) => {
    const t = performance.now();
    ctx.onEnd(() => attribution.add(ctx.node?.address ?? 'unknown', t));
    return next(request, ctx);
  };
  const registry = localRegistry({ dir: target.registryDir });
  const client = createClient(Basis, target.service, { registry, timeoutMs: deadlineMs, wrap: wrapClient(...wrappers, log) });
  return {
    attribution,
    call: () => client.hello({ name: 'x' }),
    close: async () => {
      client.close();
      await registry.close();
    },
  };
}
