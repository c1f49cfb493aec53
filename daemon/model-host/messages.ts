// IPC between the daemon (ModelHostClient) and the model host child (main.ts).
// Both ends validate every message they receive: a bug on one side shows up as a clear error, not as undefined fields.
import { z } from 'zod';
import { LocalModelConfigSchema } from '../config';
import { TokenizeMessage } from './tokenize-messages';

const RequestId = z.number().int().nonnegative();

/** A turn as local models take it: no tool calls (the daemon flattens them into text first). */
const LocalChatMessage = z.object({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string().max(2_000_000),
});

// ---------- parent → child ----------

/** First message after the child says hello: everything it needs, since its env carries no configuration. */
export const ConfigureMessage = z.object({
  type: z.literal('configure'),
  models: z.array(LocalModelConfigSchema),
  modelsDir: z.string(),
  threads: z.number().int().positive(),
  gpu: z.union([z.literal('auto'), z.literal(false)]),
  idleUnloadMs: z.number().int().nonnegative(),
  sequencesPerModel: z.number().int().positive(),
  defaultContextSize: z.number().int().positive(),
});
export type ConfigureMessage = z.infer<typeof ConfigureMessage>;

export const LoadMessage = z.object({ type: z.literal('load'), id: RequestId, modelId: z.string() });
export type LoadMessage = z.infer<typeof LoadMessage>;

/** A completion prompt on a session (client + file): what a completion and its prefill share. */
const SessionPrompt = z.object({
  modelId: z.string(),
  sessionKey: z.string(),
  prefix: z.string(),
  suffix: z.string().optional(),
});

export const CompleteMessage = z.object({
  type: z.literal('complete'),
  id: RequestId,
  req: SessionPrompt.extend({
    maxTokens: z.number().int().positive(),
    temperature: z.number().min(0).max(2).optional(),
    stopOnNewline: z.boolean().optional(),
  }),
});
export type CompleteMessage = z.infer<typeof CompleteMessage>;

/** Evaluate a completion prompt into a session's KV cache without generating (a warm-up after an edit). */
export const PrefillMessage = z.object({ type: z.literal('prefill'), id: RequestId, req: SessionPrompt });
export type PrefillMessage = z.infer<typeof PrefillMessage>;

export const ChatMessageRequest = z.object({
  type: z.literal('chat'),
  id: RequestId,
  req: z.object({
    modelId: z.string(),
    messages: z.array(LocalChatMessage).min(1),
    maxTokens: z.number().int().positive(),
    temperature: z.number().min(0).max(2).optional(),
  }),
});
export type ChatMessageRequest = z.infer<typeof ChatMessageRequest>;

/** Embed texts with a model configured for the 'embedding' task (code search); see embedding.ts. */
export const EmbedMessage = z.object({
  type: z.literal('embed'),
  id: RequestId,
  req: z.object({ modelId: z.string(), texts: z.array(z.string().max(200_000)).min(1).max(256) }),
});
export type EmbedMessage = z.infer<typeof EmbedMessage>;

export const UnloadMessage = z.object({ type: z.literal('unload'), id: RequestId, modelId: z.string() });
export const ReleaseSessionMessage = z.object({
  type: z.literal('releaseSession'),
  id: RequestId,
  sessionKeyPrefix: z.string(),
});
export const StatusMessage = z.object({ type: z.literal('status'), id: RequestId });
/** The GPU and its memory, for sizing model recommendations (the daemon never loads llama.cpp itself). */
export const HardwareMessage = z.object({ type: z.literal('hardware'), id: RequestId });
/** The local model list changed (added, removed, downloaded): replaces the one sent with configure. */
export const SetModelsMessage = z.object({ type: z.literal('setModels'), models: z.array(LocalModelConfigSchema) });
/** Stop the request `id` (its own reply is then an error the parent already stopped waiting for). */
export const AbortMessage = z.object({ type: z.literal('abort'), id: RequestId });
export const ShutdownMessage = z.object({ type: z.literal('shutdown') });

export const ParentMessage = z.discriminatedUnion('type', [
  ConfigureMessage,
  LoadMessage,
  CompleteMessage,
  PrefillMessage,
  ChatMessageRequest,
  EmbedMessage,
  TokenizeMessage,
  UnloadMessage,
  ReleaseSessionMessage,
  StatusMessage,
  HardwareMessage,
  SetModelsMessage,
  AbortMessage,
  ShutdownMessage,
]);
export type ParentMessage = z.infer<typeof ParentMessage>;

// ---------- child → parent ----------

/** Sent once the child listens for messages (messages sent earlier could be lost). */
export const HelloMessage = z.object({ type: z.literal('hello'), pid: z.number().int() });
export const ProgressMessage = z.object({
  type: z.literal('progress'),
  id: RequestId,
  phase: z.enum(['download', 'load']),
  progress: z.number().min(0).max(1),
});
export const DeltaMessage = z.object({ type: z.literal('delta'), id: RequestId, text: z.string() });
/** Success of request `id`; `value` is checked against the schema of the request's kind below. */
export const ResultMessage = z.object({ type: z.literal('result'), id: RequestId, value: z.unknown() });
export const ErrorMessage = z.object({
  type: z.literal('error'),
  id: RequestId,
  code: z.number().int(),
  name: z.string(),
  message: z.string(),
});
export const LogMessage = z.object({
  type: z.literal('log'),
  level: z.enum(['debug', 'info', 'warn', 'error']),
  msg: z.string(),
  fields: z.record(z.string(), z.unknown()).optional(),
});

/**
 * Debug event: request `id`, which the parent aborted, has really stopped — its generation ended and its
 * sequence went back to the pool. Times are epoch ms with sub-ms precision (performance.timeOrigin + now()).
 */
export const StoppedMessage = z.object({
  type: z.literal('stopped'),
  id: RequestId,
  kind: z.string(),
  /** When the child received the abort. */
  abortAt: z.number(),
  /** When the request's work had settled. */
  stoppedAt: z.number(),
});
export type StoppedMessage = z.infer<typeof StoppedMessage>;

/** The models loaded now, sent whenever that changes (a load finished, an unload, an idle unload). */
export const LoadedModelsMessage = z.object({ type: z.literal('loadedModels'), ids: z.array(z.string()) });

export const ChildMessage = z.discriminatedUnion('type', [
  HelloMessage,
  ProgressMessage,
  DeltaMessage,
  ResultMessage,
  ErrorMessage,
  LogMessage,
  StoppedMessage,
  LoadedModelsMessage,
]);
export type ChildMessage = z.infer<typeof ChildMessage>;

// ---------- result values ----------

export const GenerateUsageSchema = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  evaluatedPromptTokens: z.number().int().nonnegative(),
});

export const CompleteResult = z.object({
  text: z.string(),
  usage: GenerateUsageSchema,
  /** 'infill' when the model's FIM tokens were used, 'completion' when the prefix was simply continued. */
  mode: z.enum(['infill', 'completion']),
});
export type CompleteResult = z.infer<typeof CompleteResult>;

export const PrefillResult = z.object({
  evaluatedTokens: z.number().int().nonnegative(),
  /** Why nothing (or only part) was evaluated: model not loaded, session busy, cancelled... */
  skipped: z.string().optional(),
});
export type PrefillResult = z.infer<typeof PrefillResult>;

export const ChatResult = z.object({ text: z.string(), usage: GenerateUsageSchema });
export type ChatResult = z.infer<typeof ChatResult>;

/** One vector per text, in order, each of length `dims` and unit length (cosine = dot product). */
export const EmbedResult = z.object({
  dims: z.number().int().positive(),
  vectors: z.array(z.array(z.number())),
});
export type EmbedResult = z.infer<typeof EmbedResult>;

export const EmptyResult = z.null();

export const LoadedModelInfo = z.object({
  id: z.string(),
  path: z.string(),
  sizeBytes: z.number().nonnegative(),
  gpuLayers: z.number().int().nonnegative(),
  sequences: z.number().int().nonnegative(),
  /** Sequences of this model's context taken right now (sessions and running chats). */
  sequencesInUse: z.number().int().nonnegative(),
  /** Long-lived completion sessions (per client and file) holding a sequence. */
  sessions: z.number().int().nonnegative(),
  /** Requests using the model right now. */
  activeRequests: z.number().int().nonnegative(),
});

export const HardwareResult = z.object({
  /** llama.cpp's GPU backend ('cuda', 'vulkan', 'metal'), or null on the CPU. */
  gpu: z.string().nullable(),
  vramTotalBytes: z.number().nonnegative().nullable(),
  vramFreeBytes: z.number().nonnegative().nullable(),
});
export type HardwareResult = z.infer<typeof HardwareResult>;

export const ChildStatus = z.object({
  pid: z.number().int(),
  rssBytes: z.number().nonnegative(),
  gpu: z.string(),
  threads: z.number().int().positive(),
  loaded: z.array(LoadedModelInfo),
  /** Sequences in use over all loaded models: back to 0 once every client is gone. */
  liveSequences: z.number().int().nonnegative(),
  /** Requests the child is running, not counting this status request. */
  inFlight: z.number().int().nonnegative(),
});
export type ChildStatus = z.infer<typeof ChildStatus>;
