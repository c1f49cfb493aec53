// What index.ts hands each provider implementation.
import type { Logger } from '../log';

export interface ProviderRuntime {
  /** Looked up on every request: keys can be set or removed while the daemon runs. Throws MissingApiKey. */
  resolveKey(): string;
  logger: Logger;
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
}

/**
 * The SDK's own deadline for response headers, kept just behind ours: StreamWatch enforces the
 * connect timeout and can say which deadline fired; the SDK's is only a backstop.
 */
export function sdkTimeout(connectTimeoutMs: number | undefined): number {
  return connectTimeoutMs !== undefined ? connectTimeoutMs + 1_000 : 10 * 60_000;
}

/** The per-request fields every provider passes to streamChat (exactOptionalPropertyTypes-safe). */
export function streamBase(rt: ProviderRuntime, providerId: string, apiKey: string) {
  return {
    providerId,
    apiKey,
    logger: rt.logger,
    ...(rt.connectTimeoutMs !== undefined ? { connectTimeoutMs: rt.connectTimeoutMs } : {}),
    ...(rt.idleTimeoutMs !== undefined ? { idleTimeoutMs: rt.idleTimeoutMs } : {}),
  };
}
