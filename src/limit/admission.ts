import type { HandlerContext } from '../call/contract';
import { gone, notStarted } from '../server/gone';
import type { Clock } from '../time/clock';
import { VegasLimit, type VegasPolicy } from './vegas';

/** One call waiting for a slot: started, or refused, exactly once. */
interface Waiter {
  readonly ctx: HandlerContext;
  readonly start: () => void;
  readonly refuse: (error: unknown) => void;
  timer: NodeJS.Timeout | undefined;
  onAbort: (() => void) | undefined;
  done: boolean;
}

/**
 * A server's admission control for one service: calls in flight under a Vegas limit, and a short FIFO of
 * calls waiting for a slot. A waiting call leaves the queue, never started, when its caller cancels, when
 * its deadline would pass, or after `queueMs`; a call whose remaining deadline could not cover the wait and
 * the service's latency is not queued at all. The server never works for a caller that has gone.
 */
export class Admission {
  readonly limiter: VegasLimit;
  inFlight = 0;
  /** A smoothed latency of recent calls: a call may wait in the queue only with this much deadline left after the wait. */
  recentMs = 0;
  private readonly waiting: Waiter[] = [];

  constructor(policy: VegasPolicy, private readonly queueMs: number, private readonly clock: Clock) {
    this.limiter = new VegasLimit(policy);
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Whether a call may start now. */
  free(): boolean {
    return this.inFlight < this.limiter.limit && this.waiting.length === 0;
  }

  /**
   * Queues a call that found no free slot; false when it may not wait (no queue, the queue is full, or its
   * deadline is too near), and the caller must be refused now.
   */
  wait(ctx: HandlerContext, start: () => void, refuse: (error: unknown) => void, tooLong: () => unknown): boolean {
    if (this.queueMs <= 0 || this.waiting.length >= Math.max(1, this.limiter.limit)) return false;
    if (ctx.deadline !== undefined && ctx.deadline - Date.now() < this.queueMs + Math.max(this.recentMs, this.limiter.baselineMs === Infinity ? 0 : this.limiter.baselineMs)) {
      return false;
    }
    const waiter: Waiter = { ctx, start, refuse, timer: undefined, onAbort: undefined, done: false };
    waiter.timer = setTimeout(() => this.leave(waiter, tooLong()), this.queueMs);
    waiter.onAbort = () => this.leave(waiter, notStarted(ctx));
    ctx.signal.addEventListener('abort', waiter.onAbort, { once: true });
    this.waiting.push(waiter);
    return true;
  }

  /**
   * A call that held a slot ended: its latency (undefined: none worth learning from) feeds the limit, and the
   * oldest waiting call may start.
   */
  ended(rttMs: number | undefined, inFlightAtStart: number, dropped: boolean, startedAt: number): void {
    this.inFlight--;
    if (rttMs !== undefined) {
      this.limiter.sample(rttMs, inFlightAtStart, dropped, startedAt, this.clock.now());
      if (!dropped) this.recentMs = this.recentMs === 0 ? rttMs : this.recentMs * 0.9 + rttMs * 0.1;
    }
    this.admit();
  }

  private admit(): void {
    while (this.waiting.length > 0 && this.inFlight < this.limiter.limit) {
      const waiter = this.waiting.shift() as Waiter;
      this.settle(waiter);
      if (gone(waiter.ctx)) waiter.refuse(notStarted(waiter.ctx));
      else waiter.start();
    }
  }

  private leave(waiter: Waiter, error: unknown): void {
    if (waiter.done) return;
    const at = this.waiting.indexOf(waiter);
    if (at >= 0) this.waiting.splice(at, 1);
    this.settle(waiter);
    waiter.refuse(error);
  }

  private settle(waiter: Waiter): void {
    waiter.done = true;
    clearTimeout(waiter.timer);
    if (waiter.onAbort !== undefined) waiter.ctx.signal.removeEventListener('abort', waiter.onAbort);
  }
}
