// Contracts between the daemon's server layer and its engines (model host, providers, router).
// Plain types only: no I/O here.
import type { ChatMessage, Usage } from '../shared/protocol';

/** Error carrying a JSON-RPC code from ErrorCodes; the server turns it into a ResponseError. */
export class GearboxError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'GearboxError';
  }
}

// ---------- local models (model host) ----------

export interface LocalModelConfig {
  /** Model id used everywhere (catalog, settings), e.g. "local/qwen2.5-coder-1.5b". */
  id: string;
  /** A GGUF file path, or an `hf:` URI resolved into the models dir. */
  source: string;
  displayName?: string;
  tier?: number;
  contextSize?: number;
  /** Which tasks this model serves. Default: completion, chat and refactor ('embedding' only when listed). */
  tasks?: ('completion' | 'chat' | 'refactor' | 'embedding')[];
}

export interface GenerateUsage extends Usage {
  /** Tokens actually evaluated by the model for the prompt (less than inputTokens when the KV cache was reused). */
  evaluatedPromptTokens: number;
}

export interface LocalCompletionRequest {
  modelId: string;
  /** Sequences are kept per key (client + file) so successive completions reuse the KV cache. */
  sessionKey: string;
  prefix: string;
  /** When given and the model has infill tokens, FIM is used. */
  suffix?: string;
  maxTokens: number;
  temperature?: number;
  stopOnNewline?: boolean;
}

/** A completion prompt to evaluate into a session's KV cache ahead of the request (no generation). */
export type LocalPrefillRequest = Pick<LocalCompletionRequest, 'modelId' | 'sessionKey' | 'prefix' | 'suffix'>;

export interface LocalChatRequest {
  modelId: string;
  messages: ChatMessage[];
  maxTokens: number;
  temperature?: number;
}

export interface ModelHostStatus {
  pid: number | null;
  state: 'stopped' | 'starting' | 'running' | 'crashed';
  restarts: number;
  rssBytes: number | null;
  gpu: string;
  loaded: { id: string; path: string; sizeBytes: number; gpuLayers: number; sequences: number }[];
}

export interface ModelHostApi {
  /** Ensure the model is loaded (lazily called by complete/chat too). */
  load(
    modelId: string,
    onProgress?: (phase: 'download' | 'load', progress: number) => void,
    signal?: AbortSignal,
  ): Promise<void>;
  complete(
    req: LocalCompletionRequest,
    onDelta: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<{ text: string; usage: GenerateUsage }>;
  chat(
    req: LocalChatRequest,
    onDelta: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<{ text: string; usage: GenerateUsage }>;
  /** Warm a completion session's KV cache after an edit; optional (fakes may leave it out). */
  prefill?(req: LocalPrefillRequest, signal?: AbortSignal): Promise<{ evaluatedTokens: number; skipped?: string }>;
  /** Unit-length embeddings of `texts` (code search); optional (fakes may leave it out). */
  embed?(
    req: { modelId: string; texts: string[] },
    signal?: AbortSignal,
  ): Promise<{ dims: number; vectors: number[][] }>;
  unload(modelId: string): Promise<void>;
  /** Drop sequences of a client (on disconnect). */
  releaseSession(sessionKeyPrefix: string): Promise<void>;
  status(): Promise<ModelHostStatus>;
  dispose(): Promise<void>;
}

// ---------- closed providers ----------

export interface ProviderConfig {
  /** Provider id, e.g. "openai", "anthropic", "gemini", "my-vllm". Keys are stored under it. */
  id: string;
  kind: 'openai' | 'anthropic' | 'gemini' | 'openai-compatible';
  baseUrl?: string;
  /** Self-hosted endpoint the team trusts with private code. */
  private?: boolean;
  /** Env var to read the key from when no key was set by a client. */
  apiKeyEnv?: string;
  /** Models served by this provider beyond the built-in catalog (required for openai-compatible). */
  models?: UserModelConfig[];
  /** Some self-hosted servers need no key. */
  noKey?: boolean;
}

export interface UserModelConfig {
  /** The name the provider API expects. */
  name: string;
  /** Catalog id; default `${provider}/${name}`. */
  id?: string;
  displayName?: string;
  tier?: number;
  contextWindow?: number;
  inputPricePerMTok?: number;
  outputPricePerMTok?: number;
}

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
