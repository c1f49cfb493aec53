// A Clock (daemon/frame-throttle.ts) that tests move by hand: timers fire when it passes their time.
import type { Clock } from '../../daemon/frame-throttle';

export class ManualClock implements Clock {
  t = 1000;
  private timers: { at: number; fn: () => void }[] = [];
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const timer = { at: this.t + ms, fn };
    this.timers.push(timer);
    return timer;
  }
  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t !== handle);
  }
  advance(ms: number): void {
    this.t += ms;
    for (const timer of this.timers.filter((x) => x.at <= this.t)) {
      this.clearTimeout(timer);
      timer.fn();
    }
  }
  get pending(): number {
    return this.timers.length;
  }
}
