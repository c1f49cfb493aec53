// Streamed text, at most one message per frame (~16 ms, a display refresh): a piece that comes when
// the last message is a frame old or more goes out at once; pieces that come faster are joined and
// sent when the frame ends. A model decoding a token every few milliseconds then costs one IPC
// message (or one WebSocket frame) per frame instead of one per token; a slow one loses nothing.
// O(1) per piece: a string append (V8 joins lazily) and a timer armed at most once per frame.

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** One frame of a 60 Hz display: nobody reads streamed text faster. */
export const FRAME_MS = 16;

export class FrameThrottle {
  private pending = '';
  private timer: unknown;
  private lastSent = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly send: (text: string) => void,
    private readonly frameMs = FRAME_MS,
    private readonly clock: Clock = realClock,
  ) {}

  push(text: string): void {
    if (!text) return;
    this.pending += text;
    if (this.timer !== undefined) return;
    const wait = this.lastSent + this.frameMs - this.clock.now();
    if (wait <= 0) this.flush();
    else this.timer = this.clock.setTimeout(() => this.flush(), wait);
  }

  /** Sends what is pending now (before the request's result, which must follow its text). */
  flush(): void {
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (!this.pending) return;
    const text = this.pending;
    this.pending = '';
    this.lastSent = this.clock.now();
    this.send(text);
  }
}
