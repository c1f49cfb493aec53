// Rate-limits one kind of log line that anyone can trigger (refused connections): the first in each
// interval is written, the others are counted, and their number is logged when the interval ends
// (or with the next line, or at close), so a flood costs a few lines and still shows its size.
export class LogThrottle {
  private windowStart = Number.NEGATIVE_INFINITY;
  private suppressed = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly intervalMs: number,
    /** Logs how many lines were left out. */
    private readonly reportSuppressed: (count: number) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Calls `write` if this interval has had no line yet; otherwise counts the line as left out. */
  hit(write: () => void): void {
    const t = this.now();
    if (t - this.windowStart >= this.intervalMs) {
      this.flush();
      this.windowStart = t;
      write();
      return;
    }
    this.suppressed++;
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.windowStart + this.intervalMs - t);
      this.timer.unref();
    }
  }

  /** Reports the lines left out so far, if any. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.suppressed === 0) return;
    const n = this.suppressed;
    this.suppressed = 0;
    this.reportSuppressed(n);
  }
}
