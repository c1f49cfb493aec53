// What the daemon asks of the model host: implemented by ModelHostClient (the child process) and by
// the tests' FakeModelHost. Plain types only.
import type { Usage } from '../shared/protocol';
import type { LocalModelConfig } from './config';

/** A turn as local models take it: tool calls and results arrive flattened into text (chat-tools.ts). */
export interface LocalChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
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
  messages: LocalChatMessage[];
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
  /** Tokens of each text in a local model's own vocabulary; optional (fakes may leave it out). */
  tokenize?(
    req: { modelId: string; texts: string[]; open?: 'wait' | 'background' },
    signal?: AbortSignal,
  ): Promise<{ counts: number[]; source: 'loaded' | 'vocab-only' | 'opening' }>;
  unload(modelId: string): Promise<void>;
  /** Drop sequences of a client (on disconnect). */
  releaseSession(sessionKeyPrefix: string): Promise<void>;
  status(): Promise<ModelHostStatus>;
  /** The GPU and its memory (starts the host if needed); optional (fakes may leave it out). */
  hardware?(signal?: AbortSignal): Promise<HardwareInfo>;
  /** Replaces the local model list (a model added, removed or downloaded); optional for fakes. */
  setModels?(models: LocalModelConfig[]): void;
  /** Calls `fn` whenever a model was loaded or unloaded; returns the unsubscribe. Optional (fakes). */
  onLoadedModelsChanged?(fn: (change: 'model-loaded' | 'model-unloaded') => void): () => void;
  dispose(): Promise<void>;
}

export interface HardwareInfo {
  /** 'cuda', 'vulkan', 'metal', or null on the CPU. */
  gpu: string | null;
  vramTotalBytes: number | null;
  vramFreeBytes: number | null;
}
