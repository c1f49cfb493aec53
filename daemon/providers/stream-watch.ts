// Owns the AbortSignal handed to an SDK call: links the caller's signal and enforces the
// first-byte and idle deadlines. SDK streams swallow aborts mid-stream (the iteration just
// ends), so providers ask the watch afterwards why the stream stopped.
import { ProviderError } from './errors';

export type StopCause = 'aborted' | 'first-byte-timeout' | 'idle-timeout';

export interface StreamWatchOptions {
  providerId: string;
  signal?: AbortSignal;
  /** Deadline for the first event; defaults to idleTimeoutMs. */
  firstByteTimeoutMs?: number;
  /** Deadline between events once the stream has started. */
  idleTimeoutMs?: number;
}

export class StreamWatch {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopCause: StopCause | undefined;
  private stopAfterMs = 0;

  constructor(private readonly opts: StreamWatchOptions) {
    if (opts.signal?.aborted) this.stop('aborted', 0);
    else opts.signal?.addEventListener('abort', this.onCallerAbort, { once: true });
    this.arm(opts.firstByteTimeoutMs ?? opts.idleTimeoutMs, 'first-byte-timeout');
  }

  /** Pass to the SDK: aborts on caller cancel or on a deadline. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get cause(): StopCause | undefined {
    return this.stopCause;
  }

  /** An event arrived: restart the idle deadline. */
  tick(): void {
    if (this.stopCause) return;
    this.arm(this.opts.idleTimeoutMs, 'idle-timeout');
  }

  /** Stops the request because our own code (e.g. onDelta) failed. */
  cancel(): void {
    this.stop('aborted', 0);
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.opts.signal?.removeEventListener('abort', this.onCallerAbort);
  }

  /** The error explaining why we stopped the request, or undefined when we did not. */
  stoppedError(partialText: string): ProviderError | undefined {
    const providerId = this.opts.providerId;
    const partial = partialText ? { partialText } : {};
    switch (this.stopCause) {
      case undefined:
        return undefined;
      case 'aborted':
        return new ProviderError({
          providerId,
          kind: 'aborted',
          message: `${providerId}: request cancelled`,
          ...partial,
        });
      case 'first-byte-timeout':
        return new ProviderError({
          providerId,
          kind: 'timeout',
          message: `${providerId}: no response within ${this.stopAfterMs} ms`,
          ...partial,
        });
      case 'idle-timeout':
        return new ProviderError({
          providerId,
          kind: 'timeout',
          message: `${providerId}: no data for ${this.stopAfterMs} ms`,
          ...partial,
        });
    }
  }

  private readonly onCallerAbort = (): void => this.stop('aborted', 0);

  private arm(ms: number | undefined, cause: StopCause): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (ms === undefined || ms <= 0 || !Number.isFinite(ms)) return;
    this.timer = setTimeout(() => this.stop(cause, ms), ms);
  }

  private stop(cause: StopCause, afterMs: number): void {
    if (this.stopCause) return;
    this.stopCause = cause;
    this.stopAfterMs = afterMs;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.controller.abort();
  }
}
