// The one protocol module: every custom `gearbox/*` message has exactly one entry here.
// Both ends validate with these schemas; TypeScript types come from z.infer.
import { z } from 'zod';

export const PROTOCOL_VERSION = 1;

/** JSON-RPC error codes. Standard ones first, then Gearbox's own (server-defined range). */
export const ErrorCodes = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /** vscode-jsonrpc's codes for requests lost with their connection (the daemon went away). */
  PendingResponseRejected: -32097,
  ConnectionInactive: -32096,
  RequestCancelled: -32800,
  ContentModified: -32801,
  // Gearbox (-32000..-32099 is reserved for implementation-defined server errors)
  NoModelAvailable: -32001,
  ProviderError: -32002,
  ModelHostCrashed: -32003,
  ModelLoadFailed: -32004,
  Timeout: -32005,
  MissingApiKey: -32006,
  Offline: -32007,
  RateLimited: -32008,
  StreamInterrupted: -32009,
  DocumentNotOpen: -32010,
  /** This connection sent more requests than its rate limit allows (the daemon's own limit, not a provider's). */
  TooManyRequests: -32011,
  /** gearbox/index/search before this workspace was ever indexed (send gearbox/index/build first). */
  IndexNotBuilt: -32012,
  /** A gearbox/index/* request from a client without a file: workspace folder. */
  NoWorkspaceFolder: -32013,
  /** A local model's GGUF is not on disk yet (data: ModelErrorData). */
  ModelNotDownloaded: -32014,
  /** The daemon's config.json has an error; edits wait until it is fixed (data: ConfigProblem). */
  ConfigInvalid: -32015,
  /** A model download failed (data: ModelErrorData with its DownloadFailure). */
  DownloadFailed: -32016,
  /**
   * A request on a document the daemon did not keep: this connection's open documents were at their
   * cap (server.maxOpenDocuments, server.maxOpenDocumentChars). The error's data is DocumentLimitData.
   */
  DocumentLimit: -32017,
  /** A .gguf outside the dirs the daemon may load models from (data: ModelFileNotAllowedData). */
  ModelFileNotAllowed: -32018,
  /** A folder's code-index worker crashed or stopped answering (the daemon is fine; the next use restarts it). */
  IndexWorkerFailed: -32019,
} as const;

// ---------- shared pieces ----------

export const TaskKind = z.enum(['completion', 'chat', 'refactor']);
export type TaskKind = z.infer<typeof TaskKind>;

export const ProviderKind = z.enum(['local', 'openai', 'anthropic', 'gemini', 'openai-compatible']);
export type ProviderKind = z.infer<typeof ProviderKind>;

/** Capability tier: 0 = small local, 1 = strong local / cheap cloud, 2 = mid cloud, 3 = frontier. */
export const Tier = z.number().int().min(0).max(3);

/** A request's own say in routing: 'local' keeps it local, 'best' asks for the strongest, 'stronger' one tier up. */
export const Hint = z.enum(['local', 'best', 'stronger']);
export type Hint = z.infer<typeof Hint>;

/** A call of one of the request's tools, as the model made it; `arguments` is the JSON text it wrote. */
export const ToolCall = z.object({
  id: z.string().min(1).max(200),
  name: z.string().min(1).max(200),
  arguments: z.string().max(1_000_000),
});
export type ToolCall = z.infer<typeof ToolCall>;

/**
 * One turn. An assistant turn may carry the tool calls it made; a 'tool' turn is the result of one
 * call (`toolCallId`), sent back by the client that ran the tool.
 */
export const ChatMessage = z
  .object({
    role: z.enum(['system', 'user', 'assistant', 'tool']),
    content: z.string().max(2_000_000),
    toolCalls: z.array(ToolCall).max(128).optional(),
    toolCallId: z.string().min(1).max(200).optional(),
  })
  .refine((m) => m.role !== 'tool' || m.toolCallId !== undefined, {
    message: "a 'tool' message needs the toolCallId it answers",
  })
  .refine((m) => m.toolCalls === undefined || m.role === 'assistant', {
    message: 'only assistant messages carry toolCalls',
  });
export type ChatMessage = z.infer<typeof ChatMessage>;

/** A tool the model may call: its name, what it is for, and its parameters as a JSON Schema object. */
export const ToolDefinition = z.object({
  name: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[a-zA-Z0-9_.-]+$/, 'tool name: letters, digits, _ . - only'),
  description: z.string().max(100_000).optional(),
  parameters: z.record(z.string(), z.unknown()).optional(),
});
export type ToolDefinition = z.infer<typeof ToolDefinition>;

/** Whether the model may, must, or must not call a tool, or must call this one. */
export const ToolChoice = z.union([z.enum(['auto', 'none', 'required']), z.object({ name: z.string().min(1) })]);
export type ToolChoice = z.infer<typeof ToolChoice>;

/** Why an answer ended: it was complete, it hit maxTokens, or the model called tools and waits for results. */
export const FinishReason = z.enum(['stop', 'length', 'tool-calls']);
export type FinishReason = z.infer<typeof FinishReason>;

/**
 * How a token count was made: 'exact' with the model's own tokenizer, 'approximate' with a related
 * tokenizer and a stated ratio (no local tokenizer exists for the model, or its own could not run),
 * 'chars4' at four characters a token (no tokenizer ran at all).
 */
export const TokenCountMethod = z.enum(['exact', 'approximate', 'chars4']);
export type TokenCountMethod = z.infer<typeof TokenCountMethod>;

/**
 * A daemon-made id of one answered request (chat, refactor, completion): feedback names it. Random,
 * so it tells nothing about the request; valid only for the connection that made the request.
 */
export const RequestId = z.string().regex(/^r-[A-Za-z0-9_-]{6,64}$/, 'requestId: not a Gearbox request id');
export type RequestId = z.infer<typeof RequestId>;

export const Usage = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  /** Set when Gearbox counted these itself (the model or provider reported none): how it counted. */
  estimatedBy: TokenCountMethod.optional(),
});
export type Usage = z.infer<typeof Usage>;

export const Position = z.object({ line: z.number().int().nonnegative(), character: z.number().int().nonnegative() });
export const Range = z.object({ start: Position, end: Position });
export type Range = z.infer<typeof Range>;

/** Code the user attached to a request: a file, a selection in it, or both. */
/** Why a document was not kept, and the connection's documents at that moment (ErrorCodes.DocumentLimit). */
export const DocumentLimitData = z.object({
  reason: z.enum(['too-many-documents', 'too-much-text']),
  openDocuments: z.number().int().nonnegative(),
  openChars: z.number().int().nonnegative(),
  maxDocuments: z.number().int().positive(),
  maxChars: z.number().int().positive(),
});
export type DocumentLimitData = z.infer<typeof DocumentLimitData>;

export const CodeContext = z.object({
  uri: z.string().optional(),
  languageId: z.string().optional(),
  /** Full text, when the document is not open on the daemon (e.g. the CLI). */
  text: z.string().max(4_000_000).optional(),
  selection: Range.optional(),
  /** Private code: the router must keep it on local or private models. */
  private: z.boolean().optional(),
});
export type CodeContext = z.infer<typeof CodeContext>;

/** What a chat context item is: the editor's chip or an @-mention of the chat input. */
export const ContextItemKind = z.enum([
  'editor',
  'file',
  'selection',
  'open',
  'problems',
  'terminal',
  'symbol',
  'codebase',
]);
export type ContextItemKind = z.infer<typeof ContextItemKind>;

/**
 * One piece of context a chat sends (a chip resolves to one or more): the daemon applies privatePaths,
 * the .env rules and the secret scan to each by its own file, and a route explanation names its label.
 */
export const ContextItem = z.object({
  kind: ContextItemKind,
  /** What the user saw on the chip ("@file src/app.ts", "@codebase parse dates: src/dates.ts:3-20"). */
  label: z.string().min(1).max(500),
  /** The file it comes from (absent: not from a file, e.g. terminal output). */
  uri: z.string().max(10_000).optional(),
  languageId: z.string().max(100).optional(),
  /** The part of the file it holds (absent: the whole file, or not from a file). */
  range: Range.optional(),
  text: z.string().max(4_000_000),
});
export type ContextItem = z.infer<typeof ContextItem>;

export const RouteReason = z.object({
  feature: z.string(),
  /** Contribution to the difficulty score (may be negative). */
  weight: z.number(),
  detail: z.string(),
});
export type RouteReason = z.infer<typeof RouteReason>;

/** Why a catalog model cannot be used right now; ModelInfo.unavailableReason says it in words. */
export const Unavailability = z.enum(['no-key', 'cooling-down', 'not-downloaded']);
export type Unavailability = z.infer<typeof Unavailability>;

export const RejectedCandidate = z.object({
  model: z.string(),
  reason: z.enum([
    'no-key',
    'unavailable',
    'privacy',
    'context-too-small',
    'tier-below-threshold',
    'not-allowed',
    'over-budget',
    'not-loaded',
    'cooling-down',
    'not-downloaded',
  ]),
  detail: z.string(),
});
export type RejectedCandidate = z.infer<typeof RejectedCandidate>;

/**
 * Where a model's capability estimate comes from: its own published benchmark run, a published
 * predecessor in the same line, its open-weight family's size ladder, a size-only curve, or its tier.
 */
export const CapabilitySource = z.enum(['published', 'successor', 'family', 'size', 'tier']);
export type CapabilitySource = z.infer<typeof CapabilitySource>;

/** Capability θ on the router's one scale (logit of solving an average benchmark exercise), ± sd. */
export const ModelCapability = z.object({
  theta: z.number(),
  sd: z.number().nonnegative(),
  source: CapabilitySource,
  /** What it was derived from, for people: "gpt-5 (medium)", "qwen2.5-coder 7B Q4_K_M", "tier 1 fallback". */
  basis: z.string(),
});
export type ModelCapability = z.infer<typeof ModelCapability>;

/** One candidate as the expected-cost choice saw it. */
export const CandidateEstimate = z.object({
  model: z.string(),
  /** Probability this model's answer solves the request. */
  expectedSuccess: z.number().min(0).max(1),
  /** Price of this answer, USD. */
  priceUsd: z.number().nonnegative(),
  /** priceUsd + P(fail) × the price of the escalation that would follow. */
  expectedCostUsd: z.number().nonnegative(),
  capability: ModelCapability,
});
export type CandidateEstimate = z.infer<typeof CandidateEstimate>;

export const RouteDecision = z.object({
  task: TaskKind,
  difficulty: z.number().min(0).max(1),
  /** The tier the difficulty asks for. */
  requiredTier: Tier,
  reasons: z.array(RouteReason),
  /** Chosen model id, or null when nothing can serve. */
  model: z.string().nullable(),
  /** Next candidates to try, in order, if the chosen one fails. */
  fallbacks: z.array(z.string()),
  rejected: z.array(RejectedCandidate),
  /** One human line: why this model. */
  summary: z.string(),
  /** The model was pinned by workspace settings or the request, bypassing the router. */
  pinned: z.boolean(),
  /** What the request sends, in the chosen model's tokens (none chosen: the largest candidate's count). */
  estimatedInputTokens: z.number().int().nonnegative(),
  /** How estimatedInputTokens was counted. */
  inputTokensMethod: TokenCountMethod,
  /** Secrets were found and the workspace chose 'redact': closed models get a redacted prompt. */
  redactSecrets: z.boolean().optional(),
  /** Where secrets were found (kinds only, never the values). */
  secrets: z
    .array(
      z.object({
        where: z.enum(['prompt', 'selection', 'file', 'context']),
        kind: z.string(),
        /** The context item it was found in (its chip's label), so the explanation can name it. */
        source: z.string().optional(),
      }),
    )
    .optional(),
  /** The probability of success routing.quality asks for. */
  targetSuccess: z.number().min(0).max(1).optional(),
  /** The chosen model's probability of success (set whenever a model was chosen). */
  expectedSuccess: z.number().min(0).max(1).optional(),
  /** Whether the chosen model meets the target (false: none did, so the best available was taken). */
  meetsTarget: z.boolean().optional(),
  /** The chosen model's estimate. */
  chosen: CandidateEstimate.optional(),
  /** The alternative worth naming: the cheapest model that would do better, else the next fallback. */
  runnerUp: CandidateEstimate.optional(),
});
export type RouteDecision = z.infer<typeof RouteDecision>;

export const ModelInfo = z.object({
  id: z.string(),
  provider: z.string(),
  providerKind: ProviderKind,
  displayName: z.string(),
  tier: Tier,
  contextWindow: z.number().int().positive(),
  /** USD per million tokens. */
  inputPricePerMTok: z.number().nonnegative(),
  outputPricePerMTok: z.number().nonnegative(),
  local: z.boolean(),
  /** Local or self-hosted marked private: may receive private code. */
  private: z.boolean(),
  tasks: z.array(TaskKind),
  available: z.boolean(),
  /** Set when `available` is false for a known reason; the router and the clients act on it. */
  unavailable: Unavailability.optional(),
  /** For people: "no API key for openai". */
  unavailableReason: z.string().optional(),
  loaded: z.boolean().optional(),
  /** Capability estimate; absent: the router derives it from the id and tier. */
  capability: ModelCapability.optional(),
});
export type ModelInfo = z.infer<typeof ModelInfo>;

// ---------- custom methods ----------

export const ChatParams = z.object({
  /** Client-chosen id; `gearbox/chatChunk` notifications carry it. */
  streamId: z.string().min(1).max(200),
  // Agent sessions (a tool call and its result are two turns each) run to thousands of turns.
  messages: z.array(ChatMessage).min(1).max(10_000),
  context: CodeContext.optional(),
  /** The chat's chips, item by item (each under its own file's privacy rules). */
  contextItems: z.array(ContextItem).max(200).optional(),
  /** Pin a model for this request (bypasses the router). */
  model: z.string().optional(),
  hint: Hint.optional(),
  maxTokens: z.number().int().positive().max(131_072).optional(),
  temperature: z.number().min(0).max(2).optional(),
  /** Tools the model may call (closed models only: local models answer in text without them). */
  tools: z.array(ToolDefinition).max(512).optional(),
  toolChoice: ToolChoice.optional(),
});
export type ChatParams = z.infer<typeof ChatParams>;

export const ChatResult = z.object({
  text: z.string(),
  model: z.string(),
  provider: z.string(),
  route: RouteDecision,
  usage: Usage,
  costUsd: z.number().nonnegative(),
  latencyMs: z.number().nonnegative(),
  /** Models tried before this one, with the error each gave. */
  attempts: z.array(z.object({ model: z.string(), error: z.string() })),
  /** The tools the model called (the client runs them and sends the results back in 'tool' turns). */
  toolCalls: z.array(ToolCall).optional(),
  finishReason: FinishReason.optional(),
  /** This answer's id, for gearbox/feedback (absent from daemons before routing learning). */
  requestId: RequestId.optional(),
});
export type ChatResult = z.infer<typeof ChatResult>;

export const ChatChunkParams = z.object({
  streamId: z.string(),
  delta: z.string(),
  /** Set on the first chunk of an answer, so the UI can show who is talking. */
  model: z.string().optional(),
});
export type ChatChunkParams = z.infer<typeof ChatChunkParams>;

/**
 * 'merge' asks for the whole file with a chat code block merged into it (the instruction holds the
 * block); the editor sends it when the block's anchors do not match the file, with hint 'local'.
 */
export const RefactorKind = z.enum(['refactor', 'explain', 'document', 'types', 'simplify', 'tests', 'merge']);
export type RefactorKind = z.infer<typeof RefactorKind>;

export const RefactorParams = z.object({
  streamId: z.string().min(1).max(200).optional(),
  kind: RefactorKind,
  /** Free instruction (required for kind 'refactor'; for 'merge', the code block to merge, hence the size). */
  instruction: z.string().max(1_000_000).optional(),
  uri: z.string(),
  range: Range,
  /** Document text when the document is not open on the daemon. */
  text: z.string().max(4_000_000).optional(),
  languageId: z.string().optional(),
  model: z.string().optional(),
  hint: Hint.optional(),
  /** The answer's token budget; default: about twice the selection plus a margin (explain: EXPLAIN_MAX_TOKENS). */
  maxTokens: z.number().int().positive().max(32_768).optional(),
});
export type RefactorParams = z.infer<typeof RefactorParams>;

/** An explanation's token budget unless the request asks for more (the refactor kind, the editor's Explain). */
export const EXPLAIN_MAX_TOKENS = 512;

export const TextEdit = z.object({ range: Range, newText: z.string() });
export type TextEdit = z.infer<typeof TextEdit>;

export const RefactorResult = z.object({
  /** Edits to the document (empty for 'explain'). */
  edits: z.array(TextEdit),
  /** Markdown explanation (the whole answer for 'explain'). */
  explanation: z.string(),
  model: z.string(),
  provider: z.string(),
  route: RouteDecision,
  usage: Usage,
  costUsd: z.number().nonnegative(),
  latencyMs: z.number().nonnegative(),
  /** This answer's id, for gearbox/feedback. */
  requestId: RequestId.optional(),
});
export type RefactorResult = z.infer<typeof RefactorResult>;

export const ModelsParams = z.object({ task: TaskKind.optional() }).optional();
export const ModelsResult = z.object({ models: z.array(ModelInfo) });
export type ModelsResult = z.infer<typeof ModelsResult>;

export const RouteParams = z.object({
  task: TaskKind,
  prompt: z.string().max(4_000_000),
  context: CodeContext.optional(),
  conversationDepth: z.number().int().nonnegative().optional(),
  model: z.string().optional(),
  hint: Hint.optional(),
});
export type RouteParams = z.infer<typeof RouteParams>;
export const RouteResult = RouteDecision;

export const StatusParams = z.object({}).optional();
export const StatusResult = z.object({
  version: z.string(),
  protocolVersion: z.number().int(),
  pid: z.number().int(),
  port: z.number().int(),
  uptimeMs: z.number().nonnegative(),
  clients: z.number().int().nonnegative(),
  runtime: z.string(),
  gpu: z.string(),
  memory: z.object({
    daemonRssBytes: z.number().nonnegative(),
    modelHostRssBytes: z.number().nonnegative().nullable(),
    systemTotalBytes: z.number().nonnegative(),
    systemFreeBytes: z.number().nonnegative(),
  }),
  modelHost: z.object({
    pid: z.number().int().nullable(),
    state: z.enum(['stopped', 'starting', 'running', 'crashed']),
    restarts: z.number().int().nonnegative(),
  }),
  loadedModels: z.array(
    z.object({
      id: z.string(),
      path: z.string(),
      sizeBytes: z.number().nonnegative(),
      gpuLayers: z.number().int(),
      sequences: z.number().int(),
    }),
  ),
  providersWithKeys: z.array(z.string()),
});
export type StatusResult = z.infer<typeof StatusResult>;

/** An OpenAI-compatible endpoint added from the editor ("Set API Key" → OpenAI-compatible). */
export const EndpointConfig = z.object({
  id: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[a-zA-Z0-9._-]+$/, 'endpoint id: letters, digits, . _ - only'),
  baseUrl: z.string().url(),
  private: z.boolean().optional(),
  noKey: z.boolean().optional(),
  models: z
    .array(
      z.object({
        name: z.string().min(1),
        tier: Tier.optional(),
        contextWindow: z.number().int().positive().optional(),
        inputPricePerMTok: z.number().nonnegative().optional(),
        outputPricePerMTok: z.number().nonnegative().optional(),
      }),
    )
    .max(100)
    .default([]),
});
export type EndpointConfig = z.infer<typeof EndpointConfig>;

export const SetKeysParams = z.object({
  /** Provider id → API key. An empty string removes the key. */
  keys: z.record(z.string().min(1).max(100), z.string().max(4096)),
  /** OpenAI-compatible endpoints to add or replace (held in memory, like keys). */
  endpoints: z.array(EndpointConfig).max(50).optional(),
});
export type SetKeysParams = z.infer<typeof SetKeysParams>;
export const SetKeysResult = z.object({ providersWithKeys: z.array(z.string()) });

export const ShutdownDaemonParams = z.object({}).optional();
export const ShutdownDaemonResult = z.object({ ok: z.boolean() });

/** What changed the model catalog (what gearbox/models lists, and whether each model is available or loaded). */
export const CatalogChangeReason = z.enum([
  'keys',
  'endpoints',
  'config',
  'download',
  'model-loaded',
  'model-unloaded',
]);
export type CatalogChangeReason = z.infer<typeof CatalogChangeReason>;

/** Sent to every client when the catalog changed: lists of models (chat view, model picker) ask again. */
export const CatalogChangedParams = z.object({ reasons: z.array(CatalogChangeReason).min(1) });
export type CatalogChangedParams = z.infer<typeof CatalogChangedParams>;

/** Model load progress, also reported via window/workDoneProgress when the client supports it. */
export const ModelProgressParams = z.object({
  model: z.string(),
  phase: z.enum(['download', 'load']),
  /** 0..1 */
  progress: z.number().min(0).max(1),
});

/** A pinned model for one task; VS Code shows the meta in the Settings UI (see scripts/contributions.ts). */
const pinnedModel = (task: string) =>
  z
    .string()
    .optional()
    .meta({
      // Absent and 'auto' mean the same; the Settings UI shows the word.
      default: 'auto',
      markdownDescription:
        `Model for ${task} in this workspace: \`auto\` lets the router choose, or a model id from ` +
        '**Gearbox: Select Model…**.',
    });

/**
 * Per-workspace settings (`gearbox` section of workspace/configuration).
 * Unknown keys are ignored so older daemons accept newer clients. The extension's
 * `contributes.configuration` is generated from this schema (descriptions included): `npm run build`.
 */
export const WorkspaceSettings = z.object({
  models: z
    .object({
      completion: pinnedModel('inline completion'),
      chat: pinnedModel('chat'),
      refactor: pinnedModel('refactors'),
    })
    .partial()
    .default({}),
  allowedModels: z
    .array(z.string())
    .default([])
    .describe('If not empty, only these model ids may be used in this workspace.'),
  routing: z
    .object({
      mode: z
        .enum(['auto', 'local-only'])
        .default('auto')
        .meta({
          description: 'Where requests may go.',
          enumDescriptions: [
            'Route each request to the cheapest model that is good enough',
            'Never leave this machine',
          ],
        }),
      quality: z
        .number()
        .min(0)
        .max(10)
        .default(5)
        .meta({
          markdownDescription:
            'Cost/quality knob: `0` = cheapest, `10` = best quality. It sets the chance of success the router ' +
            'asks of a model (0 → 55 %, 5 → 75 %, 10 → 95 %).',
        }),
      // On unless set false; optional in the type, so settings objects written before it still type-check.
      learning: z
        .boolean()
        .default(true)
        .optional()
        .meta({
          markdownDescription:
            'Learn from your feedback (a refactor diff accepted or rejected, **Retry with a stronger model**, ' +
            'a chat code block applied or copied, ghost text taken or passed over): each model’s capability and ' +
            'the difficulty of your kind of requests are adjusted for you, on this machine only. Off: routing ' +
            'uses the published estimates alone and nothing is learned. **Gearbox: Reset Routing Calibration** ' +
            'forgets what was learned.',
        }),
    })
    .default({ mode: 'auto', quality: 5, learning: true }),
  privateCode: z
    .boolean()
    .default(false)
    .describe('Treat all code in this workspace as private: it only goes to local models or endpoints marked private.'),
  privatePaths: z.array(z.string()).default([]).meta({
    markdownDescription:
      'Globs (workspace-relative or absolute) whose files never leave the machine, e.g. `secrets/**`, `**/*.pem`.',
  }),
  secrets: z
    .enum(['force-local', 'redact'])
    .default('force-local')
    .meta({
      description: 'What to do when a prompt holds a secret (an API key, a private key, .env content).',
      enumDescriptions: [
        'Keep the request on local (or private) models',
        'Closed models get the prompt with each secret replaced by a placeholder',
      ],
    }),
  index: z
    .object({
      exclude: z.array(z.string().max(1000)).max(1000).default([]).meta({
        markdownDescription:
          'Local code search: globs (like `files.exclude`, workspace-relative) whose files are never indexed.',
      }),
    })
    .default({ exclude: [] }),
  budget: z
    .object({
      dailyUsd: z
        .number()
        .nonnegative()
        .default(0)
        .describe('Spending cap per day in USD; at the cap only local models are used (with a notice). 0 = no cap.'),
      monthlyUsd: z
        .number()
        .nonnegative()
        .default(0)
        .describe('Spending cap per calendar month in USD; at the cap only local models are used. 0 = no cap.'),
    })
    .default({ dailyUsd: 0, monthlyUsd: 0 }),
});
export type WorkspaceSettings = z.infer<typeof WorkspaceSettings>;

// ---------- usage ledger (gearbox/usage) ----------

/**
 * `since`: a local date `YYYY-MM-DD` (an ISO date-time counts from its local day), or `Nd` = the
 * last N days including today.
 */
export const UsageSince = z
  .string()
  .max(40)
  .regex(
    /^(\d{1,4}d|\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?)$/,
    "since: an ISO date (2024-05-01) or a number of days ('7d', '30d')",
  );

export const UsageParams = z
  .object({
    since: UsageSince.optional(),
    /** 'current': requests from this connection's workspace only (default); 'all': every workspace. */
    workspace: z.enum(['current', 'all']).optional(),
  })
  .optional();
export type UsageParams = z.infer<typeof UsageParams>;

const usd = z.number().nonnegative();
const count = z.number().int().nonnegative();

export const UsageTotals = z.object({
  requests: count,
  okRequests: count,
  errorRequests: count,
  cancelledRequests: count,
  localRequests: count,
  closedRequests: count,
  inputTokens: count,
  outputTokens: count,
  costUsd: usd,
  /** What the same requests would have cost on the strongest available closed model (see daemon/ledger.ts). */
  counterfactualUsd: usd,
  /** counterfactualUsd − costUsd (negative when pinned models cost more than the frontier would have). */
  savingsUsd: z.number(),
});
export type UsageTotals = z.infer<typeof UsageTotals>;

export const UsageDay = z.object({
  /** Local date, YYYY-MM-DD. */
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  costUsd: usd,
  counterfactualUsd: usd,
  requests: count,
  localRequests: count,
  closedRequests: count,
});
export type UsageDay = z.infer<typeof UsageDay>;

export const UsageBreakdownRow = z.object({
  /** A model id (byModel) or a task kind (byTask). */
  key: z.string(),
  /** byModel only. */
  provider: z.string().optional(),
  local: z.boolean().optional(),
  requests: count,
  inputTokens: count,
  outputTokens: count,
  costUsd: usd,
  counterfactualUsd: usd,
});
export type UsageBreakdownRow = z.infer<typeof UsageBreakdownRow>;

export const BudgetState = z.object({
  /** Caps from this connection's WorkspaceSettings.budget (0 = no cap). */
  dailyUsd: usd,
  monthlyUsd: usd,
  /** Spent today / this calendar month (local time zone), across every workspace. */
  spentTodayUsd: usd,
  spentMonthUsd: usd,
});
export type BudgetState = z.infer<typeof BudgetState>;

export const UsageResult = z.object({
  /** First and last local day covered (inclusive). */
  since: z.string(),
  until: z.string(),
  workspace: z.enum(['current', 'all']),
  /** This connection's workspace id (LSP root / workspace folders, or 'cli'). */
  workspaceId: z.string(),
  totals: UsageTotals,
  /** One entry per local day from `since` to `until`, zeros included. */
  days: z.array(UsageDay),
  byModel: z.array(UsageBreakdownRow),
  byTask: z.array(UsageBreakdownRow),
  savingsUsd: z.number(),
  budget: BudgetState,
  ledger: z.object({
    /** null when the ledger could not be opened (records are then kept in memory only). */
    path: z.string().nullable(),
    /** Lines skipped on load: torn (a partial last write) or invalid. */
    skippedLines: count,
    writeErrors: count,
  }),
});
export type UsageResult = z.infer<typeof UsageResult>;

// ---------- completion context (gearbox/completion/pickContext) ----------

/**
 * Where the user's attention was, for the extra context of completions in other files: 'selected',
 * code the user selected (to copy, to read) in a file they then left; 'viewed', the region around the
 * cursor of a file they left. The daemon cuts the chunk from its own copy of the open document.
 */
export const PickedContextSource = z.enum(['selected', 'viewed']);
export const PickContextParams = z.object({
  textDocument: z.object({ uri: z.string().min(1).max(8192) }),
  range: Range,
  source: PickedContextSource,
});
export type PickContextParams = z.infer<typeof PickContextParams>;

// ---------- token counts (gearbox/tokens/count) ----------

/** Tokens of texts as a model would count them (vscode.lm's provideTokenCount asks this). */
export const TokensCountParams = z.object({
  texts: z.array(z.string().max(4_000_000)).min(1).max(10_000),
  /** A catalog model id; absent: any model the router may pick (with hint 'local': any local one). */
  model: z.string().min(1).max(500).optional(),
  hint: Hint.optional(),
});
export type TokensCountParams = z.infer<typeof TokensCountParams>;

export const TokensCountResult = z.object({
  /** For a router's choice (no model named), the largest count over the models it may pick. */
  tokens: count,
  method: TokenCountMethod,
  /** The tokenizer, for people: "o200k_base", "local/qwen's own (GGUF vocabulary)", … */
  tokenizer: z.string(),
});
export type TokensCountResult = z.infer<typeof TokensCountResult>;

// ---------- learning from the user (gearbox/feedback, gearbox/routing/*) ----------

/**
 * What the user did with an answer. Failures: 'retried-stronger' (Retry with a stronger model),
 * 'edit-rejected' (every hunk of a refactor's inline diff rejected), 'completion-ignored' (ghost text
 * passed over: another suggestion replaced it, or its file closed). Successes: 'edit-accepted',
 * 'code-applied', 'code-inserted', 'code-copied' (a chat code block), 'completion-accepted'.
 * 'edit-partial': some hunks accepted, some rejected.
 */
export const FeedbackSignal = z.enum([
  'retried-stronger',
  'edit-rejected',
  'edit-partial',
  'edit-accepted',
  'code-applied',
  'code-inserted',
  'code-copied',
  'completion-accepted',
  'completion-ignored',
]);
export type FeedbackSignal = z.infer<typeof FeedbackSignal>;

/** A signal about one of this connection's recent answers: its id and what happened, nothing of the prompt. */
export const FeedbackParams = z.object({ requestId: RequestId, signal: FeedbackSignal }).strict();
export type FeedbackParams = z.infer<typeof FeedbackParams>;

/** Why a signal was not taken: not one of this connection's recent requests, or already given. */
export const FeedbackRefusal = z.enum(['unknown-request', 'duplicate']);
export type FeedbackRefusal = z.infer<typeof FeedbackRefusal>;

export const FeedbackResult = z.object({
  /** Written to the usage ledger. */
  recorded: z.boolean(),
  /** Moved the calibration (false with routing.learning off, or when refused). */
  learned: z.boolean(),
  refused: FeedbackRefusal.optional(),
});
export type FeedbackResult = z.infer<typeof FeedbackResult>;

export const RoutingStatsParams = UsageParams;
export type RoutingStatsParams = z.infer<typeof RoutingStatsParams>;

/** Signals by kind, over a range. */
const SignalCounts = z.record(FeedbackSignal, count);

/** Acceptance and escalation of one model (or of one tier: `key` is then "tier N"). */
export const RoutingRateRow = z.object({
  key: z.string(),
  /** null: only ledger lines from before tiers were recorded. */
  tier: Tier.nullable(),
  local: z.boolean().optional(),
  /** Chat and refactor requests it answered in the range. */
  requests: count,
  completions: count,
  signals: SignalCounts,
  /** Answers (chat, refactor) taken, of those the user judged; partial counts half. null: none judged. */
  acceptanceRate: z.number().min(0).max(1).nullable(),
  /** Retried with a stronger model, of its chat and refactor requests. */
  escalationRate: z.number().min(0).max(1).nullable(),
  /** Ghost text taken, of the suggestions shown and settled. */
  completionAcceptanceRate: z.number().min(0).max(1).nullable(),
});
export type RoutingRateRow = z.infer<typeof RoutingRateRow>;

/** One model's capability for this user: the shipped θ and where feedback has moved it. */
export const ModelCalibration = z.object({
  model: z.string(),
  /** The shipped estimate (published result, predecessor, family, size or tier). */
  publishedTheta: z.number(),
  /** The learned shift (bounded); θ used = publishedTheta + shift. */
  shift: z.number(),
  theta: z.number(),
  /** How sure the learned θ is (posterior sd). */
  sd: z.number().nonnegative(),
  signals: count,
  updatedAt: z.string(),
});
export type ModelCalibration = z.infer<typeof ModelCalibration>;

/** How much harder (positive) or easier this user's requests of one task and language are than estimated. */
export const DifficultyCalibration = z.object({
  task: TaskKind,
  language: z.string(),
  shift: z.number(),
  sd: z.number().nonnegative(),
  signals: count,
  updatedAt: z.string(),
});
export type DifficultyCalibration = z.infer<typeof DifficultyCalibration>;

/**
 * Savings after the answers that fail: the ledger's savings less the expected cost of redoing failed
 * cheaper answers on the frontier model. The failure rate is a Beta posterior: the router's own
 * expected success as a prior worth PRIOR_SIGNALS signals, updated by the user's signals.
 */
export const SavingsEstimate = z.object({
  /** What the ledger says: frontier counterfactual − cost. */
  ledgerUsd: z.number(),
  /** After the expected redos, and its 90 % band. */
  expectedUsd: z.number(),
  lowUsd: z.number(),
  highUsd: z.number(),
  /** Failure rate of the cheaper chat and refactor answers: estimate and 90 % band. */
  failureRate: z.number().min(0).max(1),
  failureLow: z.number().min(0).max(1),
  failureHigh: z.number().min(0).max(1),
  /** Signals about those answers that went into it. */
  judged: count,
  /** Frontier price of the cheaper chat and refactor answers (what all redos would cost). */
  atRiskUsd: usd,
});
export type SavingsEstimate = z.infer<typeof SavingsEstimate>;

export const RoutingStatsResult = z.object({
  since: z.string(),
  until: z.string(),
  workspace: z.enum(['current', 'all']),
  /** routing.learning for this connection's workspace. */
  learning: z.boolean(),
  /** Where the calibration is kept (null: in memory only). */
  statePath: z.string().nullable(),
  /** The last reset (null: never). */
  resetAt: z.string().nullable(),
  byModel: z.array(RoutingRateRow),
  byTier: z.array(RoutingRateRow),
  models: z.array(ModelCalibration),
  difficulty: z.array(DifficultyCalibration),
  savings: SavingsEstimate,
});
export type RoutingStatsResult = z.infer<typeof RoutingStatsResult>;

export const ResetRoutingParams = z.object({}).optional();
export const ResetRoutingResult = z.object({
  /** What was forgotten. */
  models: count,
  difficulty: count,
  resetAt: z.string(),
});
export type ResetRoutingResult = z.infer<typeof ResetRoutingResult>;

/**
 * The command an inline completion item carries: the editor runs it when the suggestion is accepted
 * (VS Code through workspace/executeCommand, which vscode-languageclient registers for it).
 */
export const COMPLETION_ACCEPTED_COMMAND = 'gearbox.completionAccepted';
export const CompletionAcceptedArgs = z.tuple([RequestId]);

// ---------- local code search (gearbox/index/*) ----------

/** Kinds of secret the daemon's scanner tells apart (daemon/routing/secrets.ts SecretKind). */
export const SecretKindSchema = z.enum([
  'openai-key',
  'anthropic-key',
  'google-api-key',
  'aws-access-key',
  'aws-secret-key',
  'github-token',
  'slack-token',
  'slack-webhook',
  'stripe-key',
  'jwt',
  'private-key',
  'generic-secret',
  'env-file',
]);

export const IndexState = z.enum(['none', 'loading', 'indexing', 'ready', 'failed']);
export type IndexState = z.infer<typeof IndexState>;

export const IndexPhase = z.enum([
  'scanning',
  'indexing',
  'embedding',
  'saving',
  'done',
  'cancelled',
  'failed',
  'updated',
]);
export type IndexPhase = z.infer<typeof IndexPhase>;

/** Why the last load, build or save went wrong (the index then starts over or keeps what it had). */
export const IndexProblem = z.enum([
  'corrupt-index',
  'incompatible-index',
  'walk-failed',
  'write-failed',
  'embedding-failed',
  /** The folder's index worker crashed: the saved index is reloaded and brought up to date. */
  'worker-crashed',
]);
export type IndexProblem = z.infer<typeof IndexProblem>;

export const EmbeddingState = z.enum(['no-model', 'unavailable', 'partial', 'ready']);
export type EmbeddingState = z.infer<typeof EmbeddingState>;

/** A workspace folder of the connection, by path or file: URI; absent: every folder. */
const FolderParam = z.string().min(1).max(4096);

export const IndexStatusParams = z.object({ folder: FolderParam.optional() }).optional();
/** One workspace folder's index (each folder of a multi-root workspace has its own). */
export const IndexStatus = z.object({
  /** The workspace folder indexed (a local path). */
  root: z.string(),
  state: IndexState,
  files: count,
  chunks: count,
  /** Bytes of source indexed. */
  sourceBytes: count,
  /** The index's size on disk (0 until first saved). */
  indexBytes: count,
  /** Files the walk left out, by why. */
  skipped: z.object({ tooLarge: count, binary: count, overCap: count }),
  /** The walk stopped at the file-count or total-size cap. */
  truncated: z.boolean(),
  /** The last build ran to the end (not cancelled, not failed). */
  complete: z.boolean(),
  /** ISO time of the last finished build, null before one. */
  builtAt: z.string().nullable(),
  embeddings: z.object({
    /** The local model with the 'embedding' task, null when none is configured. */
    model: z.string().nullable(),
    state: EmbeddingState,
    chunks: count,
  }),
  /** Progress of the build or update running now. */
  progress: z.object({ phase: IndexPhase, done: count, total: count }).optional(),
  problem: z.object({ reason: IndexProblem, message: z.string() }).optional(),
});
export type IndexStatus = z.infer<typeof IndexStatus>;

/** A workspace folder as results name it: its path and the name the editor shows. */
export const IndexFolder = z.object({ root: z.string(), name: z.string() });
export type IndexFolder = z.infer<typeof IndexFolder>;

export const IndexFolderStatus = IndexStatus.extend({ name: z.string() });
export type IndexFolderStatus = z.infer<typeof IndexFolderStatus>;
/** Every workspace folder of the connection (or the one asked for), in the editor's order. */
export const IndexStatusResult = z.object({ folders: z.array(IndexFolderStatus) });
export type IndexStatusResult = z.infer<typeof IndexStatusResult>;

export const IndexBuildParams = z
  .object({
    /** Drop the index and build it from nothing (default: only new, changed and removed files). */
    force: z.boolean().optional(),
    folder: FolderParam.optional(),
  })
  .optional();
export type IndexBuildParams = z.infer<typeof IndexBuildParams>;
export const IndexFolderBuild = IndexFolderStatus.extend({
  /** Files (re)chunked by this build, removed from the index, and found unchanged. */
  filesIndexed: count,
  filesRemoved: count,
  filesUnchanged: count,
  durationMs: z.number().nonnegative(),
});
export type IndexFolderBuild = z.infer<typeof IndexFolderBuild>;
/** Folders are built one after another, in the editor's order. */
export const IndexBuildResult = z.object({ folders: z.array(IndexFolderBuild), durationMs: z.number().nonnegative() });
export type IndexBuildResult = z.infer<typeof IndexBuildResult>;

export const IndexSearchParams = z.object({
  query: z.string().trim().min(1, 'query: empty').max(2000),
  /** How many results (default 10), over all folders searched. */
  k: z.number().int().min(1).max(100).optional(),
  folder: FolderParam.optional(),
});
export type IndexSearchParams = z.infer<typeof IndexSearchParams>;

export const IndexSearchHit = z.object({
  /** The workspace folder the file is in. */
  folder: IndexFolder,
  uri: z.string(),
  /** Workspace-relative path with '/' separators. */
  path: z.string(),
  range: Range,
  /** The chunk's text as the file holds it now. */
  snippet: z.string(),
  score: z.number(),
  /** The snippet's size in tokens: o200k_base, a stand-in for whichever model reads it ('approximate'). */
  tokens: count,
  tokensMethod: TokenCountMethod,
  /** Which rankings found it. */
  matchedBy: z.array(z.enum(['bm25', 'embedding'])),
  /** Privacy of the snippet: a chat that uses it must stay local when any of these is set. */
  privatePath: z.boolean(),
  privateCode: z.boolean(),
  secret: z.boolean(),
  secretKinds: z.array(SecretKindSchema),
});
export type IndexSearchHit = z.infer<typeof IndexSearchHit>;

export const IndexSearchResult = z.object({
  /** Best first, over every folder searched. */
  results: z.array(IndexSearchHit),
  /** 'hybrid' when embeddings ranked too (reciprocal rank fusion) in some folder, else 'bm25'. */
  ranking: z.enum(['bm25', 'hybrid']),
  /** The folders searched and their index's state ('none': never built, so it gave nothing). */
  folders: z.array(IndexFolder.extend({ state: IndexState })),
});
export type IndexSearchResult = z.infer<typeof IndexSearchResult>;

/** Indexing progress for the status bar (also sent as window/workDoneProgress when supported). */
export const IndexProgressParams = z.object({
  root: z.string(),
  phase: IndexPhase,
  done: count,
  total: count,
  /** Files (re)chunked so far by this build or update. */
  filesIndexed: count,
});
export type IndexProgressParams = z.infer<typeof IndexProgressParams>;
// ---------- local model manager (gearbox/models/*) ----------

/** What a preset is for: FIM base models complete code; instruct models chat and refactor. */
export const ModelRole = z.enum(['completion', 'chat']);
export type ModelRole = z.infer<typeof ModelRole>;

/** A curated GGUF the daemon can fetch (daemon/models/presets.json). */
export const Preset = z.object({
  id: z.string().min(1),
  displayName: z.string(),
  role: ModelRole,
  /** node-llama-cpp style file URI: `hf:owner/repo/file.gguf`. */
  uri: z.string().startsWith('hf:'),
  sizeBytes: z.number().int().positive(),
  /** Parameters, in billions (MoE: all of them). */
  paramsB: z.number().positive(),
  /** Parameters used per token, in billions (MoE only; dense models use them all). */
  activeParamsB: z.number().positive().optional(),
  /** Context size the daemon configures for it. */
  contextSize: z.number().int().positive(),
  tier: Tier,
  description: z.string(),
});
export type Preset = z.infer<typeof Preset>;

/** Why a preset does or does not suit this machine. */
export const FitKind = z.enum(['fits-vram', 'fits-ram', 'needs-more-ram', 'too-slow-on-cpu', 'not-enough-disk']);
export type FitKind = z.infer<typeof FitKind>;

export const MachineInfo = z.object({
  totalRamBytes: z.number().nonnegative(),
  freeRamBytes: z.number().nonnegative(),
  /** 'cuda', 'vulkan', 'metal', or null when inference runs on the CPU. */
  gpu: z.string().nullable(),
  vramTotalBytes: z.number().nonnegative().nullable(),
  vramFreeBytes: z.number().nonnegative().nullable(),
  /** Free bytes in the models dir's file system; null when it cannot be read. */
  diskFreeBytes: z.number().nonnegative().nullable(),
  modelsDir: z.string(),
  /** Why the GPU is unknown (the model host could not be asked), when it is. */
  gpuUnknownReason: z.string().optional(),
});
export type MachineInfo = z.infer<typeof MachineInfo>;

export const PresetFit = z.object({
  preset: Preset,
  /** The machine can run it (memory, disk, speed). */
  usable: z.boolean(),
  /** The one preset of its role this machine should take. */
  recommended: z.boolean(),
  kind: FitKind,
  /** Estimated bytes it needs (memory for fits/needs, disk for not-enough-disk) and what there is. */
  neededBytes: z.number().nonnegative(),
  availableBytes: z.number().nonnegative(),
  /** One human line, e.g. "fits in 6.1 GiB VRAM" or "needs 9.0 GiB RAM, you have 8.0 GiB". */
  text: z.string(),
  /** A local model of this config already uses it (its id), or null. */
  configuredAs: z.string().nullable(),
});
export type PresetFit = z.infer<typeof PresetFit>;

export const RecommendParams = z.object({ role: ModelRole.optional() }).optional();
export const RecommendResult = z.object({
  machine: MachineInfo,
  /** Recommended first, then usable ones, then the rest; within each, the largest first. */
  presets: z.array(PresetFit),
  /** The recommended preset id per role, or null when none fits. */
  recommended: z.object({ completion: z.string().nullable(), chat: z.string().nullable() }),
});
export type RecommendResult = z.infer<typeof RecommendResult>;

/** What a local model does: the three routed tasks, or embedding code for code search. */
export const LocalModelTask = z.enum(['completion', 'chat', 'refactor', 'embedding']);
export type LocalModelTask = z.infer<typeof LocalModelTask>;

export const LocalModelState = z.enum(['not-downloaded', 'downloading', 'on-disk', 'loaded', 'file-missing']);
export type LocalModelState = z.infer<typeof LocalModelState>;

export const DownloadFailure = z.enum([
  'offline',
  'not-found',
  'hub-error',
  'network',
  'not-enough-disk',
  'size-mismatch',
  'checksum-mismatch',
  'write-failed',
  'cancelled',
]);
export type DownloadFailure = z.infer<typeof DownloadFailure>;

export const DownloadProgress = z.object({
  /** Bytes on disk for this file so far (resumed bytes included). */
  receivedBytes: z.number().int().nonnegative(),
  totalBytes: z.number().int().nonnegative(),
  /** Over the last few seconds; 0 before the first bytes. */
  bytesPerSecond: z.number().nonnegative(),
  /** null while the rate is unknown. */
  etaSeconds: z.number().nonnegative().nullable(),
});
export type DownloadProgress = z.infer<typeof DownloadProgress>;

export const LocalModelEntry = z.object({
  id: z.string(),
  displayName: z.string(),
  /** As configured: an `hf:` URI or a file path. */
  source: z.string(),
  sourceKind: z.enum(['hf', 'file']),
  /** The preset it was added from, if any. */
  presetId: z.string().nullable(),
  tasks: z.array(LocalModelTask),
  tier: Tier,
  contextSize: z.number().int().positive().nullable(),
  state: LocalModelState,
  /** Where the GGUF is (or will be, for a download). */
  path: z.string().nullable(),
  /** File size: on disk, or expected for a download (null while unknown). */
  sizeBytes: z.number().nonnegative().nullable(),
  /** Memory the loaded model takes (weights in RAM and VRAM), when loaded. */
  loadedBytes: z.number().nonnegative().nullable(),
  /** Bytes of a paused (cancelled or interrupted) download, resumable. */
  partialBytes: z.number().int().nonnegative(),
  download: DownloadProgress.nullable(),
  /** The last download failure, until the next attempt. */
  lastError: z.object({ reason: DownloadFailure, message: z.string() }).nullable(),
  /** Tasks this model is the daemon-wide default for. */
  defaultFor: z.array(TaskKind),
});
export type LocalModelEntry = z.infer<typeof LocalModelEntry>;

export const TaskDefaults = z.object({
  completion: z.string().nullable(),
  chat: z.string().nullable(),
  refactor: z.string().nullable(),
});
export type TaskDefaults = z.infer<typeof TaskDefaults>;

/** The daemon's config.json could not be used: where, and what is wrong (dotted field paths). */
export const ConfigProblem = z.object({
  file: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).min(1),
  /** The daemon keeps serving the last config that was valid. */
  keptLastGood: z.boolean(),
});
export type ConfigProblem = z.infer<typeof ConfigProblem>;

export const ModelsListParams = z.object({}).optional();
export const ModelsListResult = z.object({
  models: z.array(LocalModelEntry),
  defaults: TaskDefaults,
  modelsDir: z.string(),
  /** The Hugging Face hub (or mirror) downloads come from. */
  modelEndpoint: z.string(),
  autoDownload: z.boolean(),
  configPath: z.string(),
  configProblem: ConfigProblem.nullable(),
});
export type ModelsListResult = z.infer<typeof ModelsListResult>;

export const ModelSourceParam = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('preset'), id: z.string().min(1).max(200) }),
  z.object({ kind: z.literal('hf'), uri: z.string().min(4).max(1000) }),
  z.object({ kind: z.literal('file'), path: z.string().min(1).max(4096) }),
]);
export type ModelSourceParam = z.infer<typeof ModelSourceParam>;

const LocalModelId = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[a-zA-Z0-9._/:-]+$/, 'model id: letters, digits, . _ / : - only');

export const ModelsAddParams = z.object({
  source: ModelSourceParam,
  /** Default: `local/<preset id>` or a name derived from the file. */
  id: LocalModelId.optional(),
  displayName: z.string().max(200).optional(),
  /** Default: the preset's role's tasks, else completion, chat and refactor. */
  tasks: z.array(LocalModelTask).min(1).optional(),
  /** Start the download right away (hf: sources). Default true. */
  download: z.boolean().optional(),
});
export type ModelsAddParams = z.infer<typeof ModelsAddParams>;
export const ModelsAddResult = z.object({
  model: LocalModelEntry,
  /** false when the same source was configured already (that entry is returned). */
  added: z.boolean(),
});

export const ModelsRemoveParams = z.object({ id: z.string().min(1), deleteFile: z.boolean().optional() });
export const ModelsRemoveResult = z.object({ removed: z.boolean(), deletedFiles: z.array(z.string()) });

export const ModelsDownloadParams = z.object({
  id: z.string().min(1),
  /** Answer once the file is on disk and verified (else at once, with the download running). */
  wait: z.boolean().optional(),
});
export const ModelsDownloadResult = z.object({ model: LocalModelEntry });

export const ModelsCancelDownloadParams = z.object({ id: z.string().min(1) });
export const ModelsCancelDownloadResult = z.object({ cancelled: z.boolean(), model: LocalModelEntry });

export const ModelsSetDefaultsParams = z.object({
  /** A model id per task; null clears it (the router picks); absent tasks keep their default. */
  defaults: TaskDefaults.partial(),
});
export const ModelsSetDefaultsResult = z.object({ defaults: TaskDefaults });

export const ModelsLoadParams = z.object({ id: z.string().min(1) });
/** Answers once the model is in memory (the model host loads it now instead of on first use). */
export const ModelsLoadResult = z.object({ model: LocalModelEntry });

export const ModelsUnloadParams = z.object({ id: z.string().min(1) });
export const ModelsUnloadResult = z.object({ model: LocalModelEntry });

/** `data` of ModelFileNotAllowed: the file, and the dirs it must be in (config.json `modelDirs`). */
export const ModelFileNotAllowedData = z.object({
  /** The file as resolved (symlinks followed). */
  file: z.string(),
  allowedDirs: z.array(z.string()),
  configPath: z.string(),
});
export type ModelFileNotAllowedData = z.infer<typeof ModelFileNotAllowedData>;

/** Sent to every client while a download runs (at most a few times a second per model). */
export const ModelsProgressParams = DownloadProgress.extend({ id: z.string() });
export type ModelsProgressParams = z.infer<typeof ModelsProgressParams>;

/** Sent to every client when the local model list or a model's state changes. */
export const ModelsChangedParams = z.object({
  models: z.array(LocalModelEntry),
  defaults: TaskDefaults,
  /** A one-line account of what happened, e.g. "local/x: download finished". */
  event: z.string(),
});
export type ModelsChangedParams = z.infer<typeof ModelsChangedParams>;

/** Sent to every client when a hand edit broke config.json (and again with problem null once fixed). */
export const ConfigProblemParams = z.object({ problem: ConfigProblem.nullable() });

/** How to get a model that can serve a task: each "no model can serve" error carries these. */
export const FixAction = z.enum(['add-local-model', 'download-local-model', 'wait-for-download', 'set-api-key']);
export type FixAction = z.infer<typeof FixAction>;

export const NoModelFix = z.object({
  action: FixAction,
  /** add-local-model: the preset this machine should take. */
  presetId: z.string().optional(),
  /** download-local-model / wait-for-download: the configured model. */
  modelId: z.string().optional(),
  /** The CLI command that does it, e.g. `gearbox models add qwen2.5-coder-1.5b`. */
  cliCommand: z.string().optional(),
  /** The VS Code command that does it, e.g. `gearbox.addLocalModel`. */
  editorCommand: z.string().optional(),
  text: z.string(),
});
export type NoModelFix = z.infer<typeof NoModelFix>;

/** `data` of NoModelAvailable and ModelNotDownloaded errors. */
export const ModelErrorData = z.object({
  route: RouteDecision.optional(),
  fixes: z.array(NoModelFix),
  modelId: z.string().optional(),
  reason: DownloadFailure.optional(),
});
export type ModelErrorData = z.infer<typeof ModelErrorData>;

type Dir = 'clientToServer' | 'serverToClient';
interface RequestEntry<P extends z.ZodType, R extends z.ZodType> {
  kind: 'request';
  direction: Dir;
  params: P;
  result: R;
}
interface NotificationEntry<P extends z.ZodType> {
  kind: 'notification';
  direction: Dir;
  params: P;
}
const request = <P extends z.ZodType, R extends z.ZodType>(
  direction: Dir,
  params: P,
  result: R,
): RequestEntry<P, R> => ({
  kind: 'request',
  direction,
  params,
  result,
});
const notification = <P extends z.ZodType>(direction: Dir, params: P): NotificationEntry<P> => ({
  kind: 'notification',
  direction,
  params,
});

/** Every custom message, one entry each. */
export const Protocol = {
  'gearbox/chat': request('clientToServer', ChatParams, ChatResult),
  'gearbox/chatChunk': notification('serverToClient', ChatChunkParams),
  'gearbox/refactor': request('clientToServer', RefactorParams, RefactorResult),
  'gearbox/models': request('clientToServer', ModelsParams, ModelsResult),
  'gearbox/route': request('clientToServer', RouteParams, RouteResult),
  'gearbox/status': request('clientToServer', StatusParams, StatusResult),
  'gearbox/setKeys': request('clientToServer', SetKeysParams, SetKeysResult),
  'gearbox/shutdown': request('clientToServer', ShutdownDaemonParams, ShutdownDaemonResult),
  'gearbox/modelProgress': notification('serverToClient', ModelProgressParams),
  'gearbox/catalogChanged': notification('serverToClient', CatalogChangedParams),
  'gearbox/usage': request('clientToServer', UsageParams, UsageResult),
  'gearbox/tokens/count': request('clientToServer', TokensCountParams, TokensCountResult),
  'gearbox/feedback': request('clientToServer', FeedbackParams, FeedbackResult),
  'gearbox/routing/stats': request('clientToServer', RoutingStatsParams, RoutingStatsResult),
  'gearbox/routing/reset': request('clientToServer', ResetRoutingParams, ResetRoutingResult),
  'gearbox/index/build': request('clientToServer', IndexBuildParams, IndexBuildResult),
  'gearbox/index/status': request('clientToServer', IndexStatusParams, IndexStatusResult),
  'gearbox/index/search': request('clientToServer', IndexSearchParams, IndexSearchResult),
  'gearbox/index/progress': notification('serverToClient', IndexProgressParams),
  'gearbox/completion/pickContext': notification('clientToServer', PickContextParams),
  'gearbox/models/list': request('clientToServer', ModelsListParams, ModelsListResult),
  'gearbox/models/recommend': request('clientToServer', RecommendParams, RecommendResult),
  'gearbox/models/add': request('clientToServer', ModelsAddParams, ModelsAddResult),
  'gearbox/models/remove': request('clientToServer', ModelsRemoveParams, ModelsRemoveResult),
  'gearbox/models/download': request('clientToServer', ModelsDownloadParams, ModelsDownloadResult),
  'gearbox/models/cancelDownload': request('clientToServer', ModelsCancelDownloadParams, ModelsCancelDownloadResult),
  'gearbox/models/setDefaults': request('clientToServer', ModelsSetDefaultsParams, ModelsSetDefaultsResult),
  'gearbox/models/load': request('clientToServer', ModelsLoadParams, ModelsLoadResult),
  'gearbox/models/unload': request('clientToServer', ModelsUnloadParams, ModelsUnloadResult),
  'gearbox/models/progress': notification('serverToClient', ModelsProgressParams),
  'gearbox/models/changed': notification('serverToClient', ModelsChangedParams),
  'gearbox/config/problem': notification('serverToClient', ConfigProblemParams),
} as const;
export type Protocol = typeof Protocol;
export type RequestMethod = {
  [K in keyof Protocol]: Protocol[K] extends RequestEntry<z.ZodType, z.ZodType> ? K : never;
}[keyof Protocol];
export type NotificationMethod = {
  [K in keyof Protocol]: Protocol[K] extends NotificationEntry<z.ZodType> ? K : never;
}[keyof Protocol];
export type ParamsOf<M extends keyof Protocol> = z.infer<Protocol[M]['params']>;
export type ResultOf<M extends RequestMethod> =
  Protocol[M] extends RequestEntry<z.ZodType, infer R> ? z.infer<R> : never;

// ---------- standard LSP messages the daemon reads ----------
// The parts of each that the daemon uses, validated before use (the rest passes through unread):
// a malformed request gets -32602 naming the field, a malformed notification is ignored.

const TextDocumentIdentifier = z.object({ uri: z.string().min(1) }).passthrough();
const WorkspaceFolder = z.object({ uri: z.string().min(1), name: z.string().optional() }).passthrough();

export const LspInitializeParams = z
  .object({
    processId: z.number().int().nullable().optional(),
    rootUri: z.string().nullable().optional(),
    workspaceFolders: z.array(WorkspaceFolder).nullable().optional(),
    capabilities: z.object({}).passthrough(),
    clientInfo: z.object({ name: z.string() }).passthrough().optional(),
    initializationOptions: z.unknown().optional(),
  })
  .passthrough();
export const LspInlineCompletionParams = z
  .object({ textDocument: TextDocumentIdentifier, position: Position })
  .passthrough();
export const LspCodeActionParams = z
  .object({
    textDocument: TextDocumentIdentifier,
    range: Range,
    context: z.object({ only: z.array(z.string()).optional() }).passthrough(),
  })
  .passthrough();
export const LspDidOpenParams = z.object({
  textDocument: z.object({
    uri: z.string().min(1),
    languageId: z.string(),
    version: z.number().int(),
    text: z.string(),
  }),
});
export const LspDidChangeParams = z.object({
  textDocument: z.object({ uri: z.string().min(1), version: z.number().int() }),
  contentChanges: z.array(
    z.union([
      z.object({ range: Range, rangeLength: z.number().int().nonnegative().optional(), text: z.string() }),
      z.object({ text: z.string() }),
    ]),
  ),
});
export const LspDidCloseParams = z.object({ textDocument: TextDocumentIdentifier });
export const LspDidChangeConfigurationParams = z.object({ settings: z.unknown() }).passthrough();
export const LspDidChangeWorkspaceFoldersParams = z.object({
  event: z.object({ added: z.array(WorkspaceFolder), removed: z.array(WorkspaceFolder) }),
});
export const LspExecuteCommandParams = z
  .object({ command: z.string().max(200), arguments: z.array(z.unknown()).max(20).optional() })
  .passthrough();
export const LspDidChangeWatchedFilesParams = z.object({
  changes: z.array(z.object({ uri: z.string().min(1), type: z.number().int() }).passthrough()),
});

/** The standard LSP messages the daemon serves, by method. */
export const LspParams = {
  initialize: LspInitializeParams,
  'textDocument/inlineCompletion': LspInlineCompletionParams,
  'textDocument/codeAction': LspCodeActionParams,
  'textDocument/didOpen': LspDidOpenParams,
  'textDocument/didChange': LspDidChangeParams,
  'textDocument/didClose': LspDidCloseParams,
  'workspace/didChangeConfiguration': LspDidChangeConfigurationParams,
  'workspace/didChangeWorkspaceFolders': LspDidChangeWorkspaceFoldersParams,
  'workspace/didChangeWatchedFiles': LspDidChangeWatchedFilesParams,
  'workspace/executeCommand': LspExecuteCommandParams,
} as const;
export type LspMethod = keyof typeof LspParams;
export type LspParamsOf<M extends LspMethod> = z.infer<(typeof LspParams)[M]>;

/** Refactor code-action kinds offered through textDocument/codeAction. */
export const REFACTOR_CODE_ACTIONS: { kind: RefactorKind; title: string; lspKind: string }[] = [
  { kind: 'simplify', title: 'Gearbox: Simplify', lspKind: 'refactor.rewrite.gearbox.simplify' },
  { kind: 'document', title: 'Gearbox: Add Documentation', lspKind: 'refactor.rewrite.gearbox.document' },
  { kind: 'types', title: 'Gearbox: Add Types', lspKind: 'refactor.rewrite.gearbox.types' },
  { kind: 'tests', title: 'Gearbox: Generate Tests', lspKind: 'refactor.extract.gearbox.tests' },
  { kind: 'explain', title: 'Gearbox: Explain', lspKind: 'refactor.gearbox.explain' },
];
