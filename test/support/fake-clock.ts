import type { Clock } from '../../src/index';

/** A clock that moves only when told to. */
export class FakeClock implements Clock {
  constructor(private current = 1_000_000) {}
  now(): number {
    return this.current;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}
