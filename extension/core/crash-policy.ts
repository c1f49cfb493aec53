// How many daemon connection losses we tolerate before giving up, and when to forget old ones.
export class CrashPolicy {
  private readonly times: number[] = [];

  constructor(
    readonly maxCrashes = 5,
    readonly windowMs = 3 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a crash; true when we should restart, false when it is time to give up. */
  recordCrash(): boolean {
    const t = this.now();
    this.times.push(t);
    while (this.times.length > 0 && t - this.times[0]! > this.windowMs) this.times.shift();
    return this.times.length < this.maxCrashes;
  }

  get recentCrashes(): number {
    const t = this.now();
    return this.times.filter((x) => t - x <= this.windowMs).length;
  }

  reset(): void {
    this.times.length = 0;
  }
}
