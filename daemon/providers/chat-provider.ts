// What a closed-API (or self-hosted OpenAI-compatible) provider client does: one streamed chat.
import type { ChatMessage, Usage } from '../../shared/protocol';
import type { ProviderConfig } from '../config';

export interface ProviderChatRequest {
  /** The provider's own model name (not the catalog id). */
  model: string;
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  signal?: AbortSignal;
  /** Abort when no chunk arrives for this long (ms). */
  idleTimeoutMs?: number;
}

export interface ChatProvider {
  readonly id: string;
  readonly kind: ProviderConfig['kind'];
  /** Streams text deltas; resolves with the full text and token usage. Throws ProviderError. */
  chat(req: ProviderChatRequest, onDelta: (text: string) => void): Promise<{ text: string; usage: Usage }>;
}
