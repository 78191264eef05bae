import { performance } from 'node:perf_hooks';

/**
 * A progress bar on stderr, weighted by planned seconds, with the current step and an estimate of the
 * time left. On a terminal it redraws one line; otherwise it prints a line per step.
 */
export class Progress {
  private done = 0;
  private readonly t0 = performance.now();
  private readonly tty = process.stderr.isTTY === true;
  private lastLine = '';

  constructor(private readonly total: number) {}

  /** Marks the start of a step that is planned to take `weight` seconds. */
  step(label: string, weight: number): void {
    this.draw(label);
    this.done += weight;
  }

  /** Notes something that must be seen (a skip, a failure) above the bar. */
  note(message: string): void {
    if (this.tty) process.stderr.write(`\r\x1b[K${message}\n`);
    else process.stderr.write(`${message}\n`);
    if (this.tty && this.lastLine) process.stderr.write(this.lastLine);
  }

  finish(): void {
    this.done = this.total;
    this.draw('done');
    if (this.tty) process.stderr.write('\n');
  }

  private draw(label: string): void {
    const fraction = Math.min(1, this.total > 0 ? this.done / this.total : 1);
    const width = 30;
    const filled = Math.round(fraction * width);
    const elapsed = (performance.now() - this.t0) / 1000;
    const left = fraction > 0.02 ? (elapsed / fraction) * (1 - fraction) : NaN;
    const eta = Number.isFinite(left) ? `~${Math.ceil(left)}s left` : '';
    const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.round(fraction * 100)).padStart(3)}% ${elapsed.toFixed(0)}s ${eta} ${label}`;
    if (this.tty) {
      const cols = process.stderr.columns ?? 120;
      this.lastLine = `\r\x1b[K${line.slice(0, cols - 1)}`;
      process.stderr.write(this.lastLine);
    } else {
      process.stderr.write(`${line}\n`);
    }
  }
}
