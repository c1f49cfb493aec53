// What index.ts hands each provider implementation.
import type { Logger } from '../log';

export interface ProviderRuntime {
  /**
   * Looked up on every request: keys can be set or removed while the daemon runs. Throws MissingApiKey;
   * undefined for a keyless provider (`noKey`) with no key set: send no credentials.
   */
  resolveKey(): string | undefined;
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
export function streamBase(rt: ProviderRuntime, providerId: string, apiKey: string | undefined) {
  return {
    providerId,
    ...(apiKey !== undefined ? { apiKey } : {}),
    logger: rt.logger,
    ...(rt.connectTimeoutMs !== undefined ? { connectTimeoutMs: rt.connectTimeoutMs } : {}),
    ...(rt.idleTimeoutMs !== undefined ? { idleTimeoutMs: rt.idleTimeoutMs } : {}),
  };
}

/** What an SDK that insists on a key is given for a keyless provider (never sent by the OpenAI client). */
export const KEYLESS_PLACEHOLDER = 'none';
