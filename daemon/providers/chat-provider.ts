// What a closed-API (or self-hosted OpenAI-compatible) provider client does: one streamed chat.
import type { ChatMessage, FinishReason, ToolCall, ToolChoice, ToolDefinition, Usage } from '../../shared/protocol';
import type { ProviderConfig } from '../config';
import type { TokenCount } from '../tokens/token-counter';

export interface ProviderChatRequest {
  /** The provider's own model name (not the catalog id). */
  model: string;
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  signal?: AbortSignal;
  /** Abort when no chunk arrives for this long (ms). */
  idleTimeoutMs?: number;
  /** Tools the model may call; their calls come back whole in the result, not as deltas. */
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  /** Counts a text in this model's tokens, for a stream that reports no usage; default: chars / 4. */
  countTokens?: (text: string) => TokenCount;
}

/** A provider's answer: the streamed text, the tools it called, and why it stopped. */
export interface ProviderChatResult {
  text: string;
  usage: Usage;
  toolCalls?: ToolCall[];
  finishReason?: FinishReason;
}

export interface ChatProvider {
  readonly id: string;
  readonly kind: ProviderConfig['kind'];
  /** Streams text deltas; resolves with the full text and token usage. Throws ProviderError. */
  chat(req: ProviderChatRequest, onDelta: (text: string) => void): Promise<ProviderChatResult>;
}
