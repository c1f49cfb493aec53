// Builds the ChatProvider for a configured closed-API (or self-hosted OpenAI-compatible) provider.
import { ErrorCodes } from '../../shared/protocol';
import type { ProviderConfig } from '../config';
import { GearboxError } from '../gearbox-error';
import type { ChatProvider } from './chat-provider';
import { registerSecret, type Logger } from '../log';
import { createAnthropicProvider } from './anthropic';
import { ProviderError } from './errors';
import { createGeminiProvider } from './gemini';
import { createOpenAIProvider } from './openai';

export interface CreateProviderOptions {
  logger: Logger;
  /** Deadline for the first streamed event (connect + time to first token). */
  connectTimeoutMs?: number;
  /** Default deadline between streamed events when a request gives none. */
  idleTimeoutMs?: number;
}

const DEFAULT_ENV: Record<ProviderConfig['kind'], string | undefined> = {
  openai: 'OPENAI_API_KEY',
  anthropic: 'ANTHROPIC_API_KEY',
  gemini: 'GEMINI_API_KEY',
  'openai-compatible': undefined,
};

/** The environment variable a provider's key is read from: apiKeyEnv, else the kind's usual name. */
export function apiKeyEnvVar(config: ProviderConfig): string {
  return (
    config.apiKeyEnv ?? DEFAULT_ENV[config.kind] ?? `${config.id.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_API_KEY`
  );
}

export function createProvider(
  config: ProviderConfig,
  getKey: () => string | undefined,
  opts: CreateProviderOptions,
): ChatProvider {
  if (config.kind === 'openai-compatible' && !config.baseUrl) {
    throw new GearboxError(
      ErrorCodes.InvalidParams,
      `Provider "${config.id}" is openai-compatible and needs a baseUrl.`,
    );
  }
  const envVar = apiKeyEnvVar(config);
  const logger = opts.logger.child({ provider: config.id });

  const resolveKey = (): string | undefined => {
    const key = getKey()?.trim() || process.env[envVar]?.trim();
    if (key) {
      registerSecret(key);
      return key;
    }
    // A keyless server (Ollama, a team's vLLM without --api-key) gets no credentials at all.
    if (config.noKey) return undefined;
    throw new ProviderError({
      providerId: config.id,
      kind: 'auth',
      code: ErrorCodes.MissingApiKey,
      retryable: false,
      message:
        `No API key for provider "${config.id}". ` +
        `Set one with "Gearbox: Set API Key" or the ${envVar} environment variable.`,
    });
  };

  const runtime = {
    resolveKey,
    logger,
    ...(opts.connectTimeoutMs !== undefined ? { connectTimeoutMs: opts.connectTimeoutMs } : {}),
    ...(opts.idleTimeoutMs !== undefined ? { idleTimeoutMs: opts.idleTimeoutMs } : {}),
  };
  switch (config.kind) {
    case 'openai':
    case 'openai-compatible':
      return createOpenAIProvider(config, runtime);
    case 'anthropic':
      return createAnthropicProvider(config, runtime);
    case 'gemini':
      return createGeminiProvider(config, runtime);
  }
}
