// Retry policy around provider calls (the SDKs' own retries are off) and a per-provider
// circuit breaker the router consults to skip providers that keep failing.
import { ErrorCodes } from '../../shared/protocol';
import { asStreamCut, ProviderError } from './errors';

export interface RetryOptions {
  /** Total attempts including the first. Default 3. */
  maxAttempts?: number;
  /** First backoff ceiling. Default 500 ms. */
  baseDelayMs?: number;
  /** Backoff ceiling. Default 8 s. */
  maxDelayMs?: number;
  /** Longest Retry-After we wait out; longer ones are thrown so the caller can fall back. Default 30 s. */
  maxRetryAfterMs?: number;
  signal?: AbortSignal;
  /** Extra veto, asked only for failures the policy would retry. */
  shouldRetry?: (error: ProviderError, attempt: number) => boolean;
  /** Called before waiting; `attempt` is the one that failed (1-based). */
  onRetry?: (attempt: number, delayMs: number, error: ProviderError) => void;
  /** Injected for deterministic tests. Default Math.random. */
  random?: () => number;
}

/**
 * Runs `fn` until it succeeds, retrying only failures that are safe and worth retrying:
 * 429 (after Retry-After when given), 408, 5xx, network errors and timeouts. Never retries
 * once text was streamed: that would send the user the same words twice.
 */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const maxAttempts = Math.max(1, opts.maxAttempts ?? 3);
  const baseDelayMs = opts.baseDelayMs ?? 500;
  const maxDelayMs = opts.maxDelayMs ?? 8_000;
  const maxRetryAfterMs = opts.maxRetryAfterMs ?? 30_000;
  const random = opts.random ?? Math.random;

  for (let attempt = 1; ; attempt++) {
    if (opts.signal?.aborted) throw abortedError();
    try {
      return await fn(attempt);
    } catch (err) {
      // Errors that are not ProviderErrors come from our own code (or the caller's onDelta):
      // retrying them would hide bugs.
      if (!(err instanceof ProviderError)) throw err;
      if (err.kind === 'aborted') throw err;
      if (err.partialText) throw err.kind === 'stream-cut' ? err : asStreamCut(err, err.partialText);
      if (!err.retryable || attempt >= maxAttempts) throw err;
      if (opts.shouldRetry && !opts.shouldRetry(err, attempt)) throw err;

      let delayMs: number;
      if (err.retryAfterMs !== undefined) {
        // Waiting longer than the cap would stall the user; let the router try another model.
        if (err.retryAfterMs > maxRetryAfterMs) throw err;
        delayMs = err.retryAfterMs;
      } else {
        // Full jitter: spreads clients that failed together so they do not retry together.
        const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
        delayMs = Math.floor(random() * ceiling);
      }
      opts.onRetry?.(attempt, delayMs, err);
      await sleep(delayMs, opts.signal, err.providerId);
    }
  }
}

function abortedError(providerId = 'retry'): ProviderError {
  return new ProviderError({
    providerId,
    kind: 'aborted',
    message: `${providerId}: request cancelled while waiting to retry`,
  });
}

function sleep(ms: number, signal: AbortSignal | undefined, providerId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortedError(providerId));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortedError(providerId));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

// ---------- health ----------

export interface ProviderHealthOptions {
  /** Consecutive failures before a provider cools down. Default 3. */
  failureThreshold?: number;
  /** How long it stays skipped. Default 60 s. */
  cooldownMs?: number;
  /** Injected clock for tests. */
  now?: () => number;
}

interface HealthState {
  failures: number;
  coolUntil: number;
  lastError?: string;
}

/**
 * Consecutive-failure circuit breaker per provider. Once the cool-down ends the provider is
 * tried again; since the failure count is kept until a success, one more failure sends it
 * straight back to cooling (half-open).
 */
export class ProviderHealth {
  private readonly states = new Map<string, HealthState>();
  private readonly threshold: number;
  private readonly cooldownMs: number;
  private readonly now: () => number;

  constructor(opts: ProviderHealthOptions = {}) {
    this.threshold = Math.max(1, opts.failureThreshold ?? 3);
    this.cooldownMs = opts.cooldownMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  recordSuccess(providerId: string): void {
    this.states.delete(providerId);
  }

  /**
   * Counts a failure against the provider. Cancellations, bad requests and missing keys say
   * nothing about the provider's health and are ignored.
   */
  recordFailure(providerId: string, error?: unknown): void {
    if (error instanceof ProviderError && (error.kind === 'aborted' || error.kind === 'bad-request')) return;
    if (error instanceof ProviderError && error.code === ErrorCodes.MissingApiKey) return;
    const s = this.states.get(providerId) ?? { failures: 0, coolUntil: 0 };
    s.failures++;
    if (error instanceof Error) s.lastError = error.message;
    const now = this.now();
    if (s.failures >= this.threshold) s.coolUntil = Math.max(s.coolUntil, now + this.cooldownMs);
    // The server said when to come back: no point asking before then.
    if (error instanceof ProviderError && error.kind === 'rate-limit' && error.retryAfterMs !== undefined) {
      s.coolUntil = Math.max(s.coolUntil, now + error.retryAfterMs);
    }
    this.states.set(providerId, s);
  }

  isCoolingDown(providerId: string): boolean {
    return this.cooldownRemainingMs(providerId) > 0;
  }

  cooldownRemainingMs(providerId: string): number {
    const s = this.states.get(providerId);
    return s ? Math.max(0, s.coolUntil - this.now()) : 0;
  }

  /** For status output and the router's "cooling-down" rejection detail. */
  describe(providerId: string): { failures: number; cooldownRemainingMs: number; lastError?: string } {
    const s = this.states.get(providerId);
    return {
      failures: s?.failures ?? 0,
      cooldownRemainingMs: this.cooldownRemainingMs(providerId),
      ...(s?.lastError ? { lastError: s.lastError } : {}),
    };
  }
}
