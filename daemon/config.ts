// The daemon's own configuration file (models, providers, limits). Per-workspace choices come
// from the client through workspace/configuration instead (shared/protocol WorkspaceSettings).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { z } from 'zod';
import { TaskKind, Tier, WorkspaceSettings } from '../shared/protocol';

/** What a local model serves: the router's tasks, or 'embedding' (local code search, never routed to). */
const LocalModelTask = z.enum([...TaskKind.options, 'embedding']);

// Descriptions are .describe() text, not comments: the JSON schema of config.json (editor hovers,
// validation) is generated from this file by scripts/contributions.ts.
export const LocalModelConfigSchema = z.object({
  id: z.string().min(1).describe('Model id used everywhere (catalog, settings), e.g. "local/qwen2.5-coder-1.5b".'),
  source: z
    .string()
    .min(1)
    .describe(
      'A GGUF file path (relative to this file; inside "modelDirs"), or an hf: URI the daemon downloads into ' +
        '"modelsDir" (hf:owner/repo/file.gguf, or hf:owner/repo:Q8_0).',
    ),
  displayName: z.string().optional().describe('Name shown in the editor.'),
  tier: Tier.optional().describe('Capability tier: 0 = small local, 1 = strong local / cheap cloud.'),
  contextSize: z.number().int().positive().optional().describe("Context size in tokens (default: the model's own)."),
  tasks: z
    .array(LocalModelTask)
    .min(1)
    .optional()
    .describe('Which tasks this model serves. Default: completion, chat and refactor ("embedding" only when listed).'),
});
/** A local model (GGUF file or `hf:` URI) and what it serves; the model host loads it. */
export type LocalModelConfig = z.infer<typeof LocalModelConfigSchema>;

const UserModelConfigSchema = z.object({
  name: z.string().min(1).describe('The name the provider API expects.'),
  id: z.string().optional().describe('Catalog id; default "<provider>/<name>".'),
  displayName: z.string().optional(),
  tier: Tier.optional().describe('Capability tier: 0 = small, 1 = strong local / cheap cloud, 2 = mid, 3 = frontier.'),
  contextWindow: z.number().int().positive().optional(),
  inputPricePerMTok: z.number().nonnegative().optional().describe('USD per million input tokens.'),
  outputPricePerMTok: z.number().nonnegative().optional().describe('USD per million output tokens.'),
});

const ProviderConfigSchema = z
  .object({
    id: z
      .string()
      .min(1)
      .regex(/^[a-zA-Z0-9._-]+$/, 'provider id: letters, digits, . _ - only')
      .describe('e.g. "openai", "anthropic", "gemini", "my-vllm"; keys are stored under it.'),
    kind: z.enum(['openai', 'anthropic', 'gemini', 'openai-compatible']),
    baseUrl: z.string().url().optional().describe('API base URL (required for openai-compatible).'),
    private: z.boolean().optional().describe('A self-hosted endpoint the team trusts with private code.'),
    apiKeyEnv: z.string().optional().describe('Env var to read the key from when no key was set by a client.'),
    models: z.array(UserModelConfigSchema).optional(),
    noKey: z.boolean().optional().describe('The server needs no API key (some self-hosted ones).'),
  })
  .refine((p) => p.kind !== 'openai-compatible' || !!p.baseUrl, {
    message: 'an openai-compatible provider needs baseUrl',
  });
/** A closed API or a self-hosted endpoint; keys are stored under its id. */
export type ProviderConfig = z.infer<typeof ProviderConfigSchema>;

/** Limits of the WebSocket server, per connection. Tests shrink them. */
const ServerLimitsSchema = z.object({
  heartbeatMs: z
    .number()
    .int()
    .min(10)
    .default(30_000)
    .describe('Ping every this often; a peer that has not answered the previous ping by then is dropped.'),
  requestsPerSecond: z
    .number()
    .positive()
    .default(50)
    .describe('Token bucket per connection for JSON-RPC requests (notifications are not counted).'),
  requestBurst: z.number().int().positive().default(100),
  sendHighWaterBytes: z
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024)
    .describe('Above this many bytes queued for a client, streamed chunks are held back (coalesced).'),
  slowClientTimeoutMs: z
    .number()
    .int()
    .positive()
    .default(30_000)
    .describe('A client that stays above the high watermark this long is disconnected (1013).'),
  maxConnections: z
    .number()
    .int()
    .positive()
    .default(64)
    .describe('Connections served at once; more are refused with 503 (each editor window holds one).'),
  refusalLogIntervalMs: z
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe('Refused connections are logged once per this interval, with a count of the others.'),
  maxOpenDocuments: z
    .number()
    .int()
    .positive()
    .default(500)
    .describe('Documents one connection may have open on the daemon; more are not kept (ErrorCodes.DocumentLimit).'),
  maxOpenDocumentChars: z
    .number()
    .int()
    .positive()
    .default(16 * 1024 * 1024)
    .describe("Characters of all of one connection's open documents together (16 Mi: ~32 MiB of memory at most)."),
  maxRequestBytes: z
    .number()
    .int()
    .positive()
    .default(1024 * 1024)
    .describe('HTTP API request bodies (a whole conversation each): over this, 413. The WebSocket frame cap.'),
});
export type ServerLimits = z.infer<typeof ServerLimitsSchema>;
export const DEFAULT_SERVER_LIMITS: ServerLimits = ServerLimitsSchema.parse({});

export const CodebaseIndexConfigSchema = z.object({
  dir: z
    .string()
    .min(1)
    .optional()
    .describe(
      'One folder per workspace under it. Default: $XDG_CACHE_HOME/gearbox/index, else ~/.cache/gearbox/index.',
    ),
  maxFileBytes: z
    .number()
    .int()
    .positive()
    .default(1_000_000)
    .describe('Larger files are left out (generated and minified code, data).'),
  maxFiles: z
    .number()
    .int()
    .positive()
    .default(100_000)
    .describe('The walk stops after this many files (the index says it was truncated).'),
  maxTotalBytes: z
    .number()
    .int()
    .positive()
    .default(512 * 1024 * 1024)
    .describe('The walk stops after this many bytes of source.'),
  maxEmbeddedChunks: z
    .number()
    .int()
    .nonnegative()
    .default(50_000)
    .describe('Chunks embedded per workspace at most (vectors are searched by brute force, in memory).'),
  buildTimeoutMs: z.number().positive().default(3_600_000),
  searchTimeoutMs: z.number().positive().default(30_000),
  updateDelayMs: z
    .number()
    .int()
    .nonnegative()
    .default(300)
    .describe('Watched-file changes are applied this long after the last one (a branch switch is one update).'),
  workerMaxHeapMb: z
    .number()
    .int()
    .min(64)
    .default(1536)
    .describe(
      "Heap cap (MiB) of each folder's index worker thread: a worker that needs more stops (reported, and " +
        "restarted on next use) instead of taking the daemon's memory.",
    ),
  workerIdleMinutes: z
    .number()
    .nonnegative()
    .default(10)
    .describe(
      'An index worker unused this long stops (its memory goes back); the next use reloads the index. 0: never.',
    ),
});
export type CodebaseIndexConfig = z.infer<typeof CodebaseIndexConfigSchema>;

export const DaemonConfigSchema = z.object({
  host: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe(
      'Interface to listen on. Loopback (127.0.0.1, ::1, localhost) by default; any other address is refused ' +
        'unless "tls" is configured too.',
    ),
  port: z
    .number()
    .int()
    .min(0)
    .max(65535)
    .default(0)
    .describe(
      "Port to listen on; 0 picks a free one at each start. Tools configured with the HTTP API's base URL " +
        '(/v1) need a fixed one. "gearbox start --port" wins.',
    ),
  tls: z
    .object({ certPath: z.string().min(1), keyPath: z.string().min(1) })
    .optional()
    .describe('PEM certificate and key (paths, relative to this file): serve wss:// through node:https.'),
  modelDirs: z
    .array(z.string().min(1))
    .optional()
    .describe(
      'Directories local model files must live in (after resolving ".." and symlinks). Default: this file\'s ' +
        'dir and the models dir.',
    ),
  server: ServerLimitsSchema.default(DEFAULT_SERVER_LIMITS).describe('Limits of the WebSocket server, per connection.'),
  localModels: z
    .array(LocalModelConfigSchema)
    .default([])
    .describe('Local models: GGUF files or hf: URIs ("gearbox models add" and the editor edit this list).'),
  providers: z
    .array(ProviderConfigSchema)
    .default([])
    .describe('Closed APIs and self-hosted endpoints; openai, anthropic and gemini exist without configuration.'),
  modelsDir: z.string().optional().describe('Where hf: models are downloaded. Default: ~/.cache/gearbox/models.'),
  modelEndpoint: z
    .string()
    .url()
    .optional()
    .describe(
      'The Hugging Face hub (or a mirror) hf: models come from. Default: $MODEL_ENDPOINT, else $HF_ENDPOINT, ' +
        'else https://huggingface.co.',
    ),
  autoDownload: z
    .boolean()
    .default(true)
    .describe('With no local model configured, the first start fetches the preset recommended for completion.'),
  presetsFile: z
    .string()
    .min(1)
    .optional()
    .describe('A preset list (same format as daemon/models/presets.json) instead of the built-in one.'),
  downloads: z
    .object({
      stallSeconds: z
        .number()
        .positive()
        .default(30)
        .describe('No byte for this long mid-file: the connection is dropped and the download resumed.'),
      connectTimeoutSeconds: z
        .number()
        .positive()
        .default(10)
        .describe('How long the hub may take to answer a metadata request before we call it offline.'),
      retries: z
        .number()
        .int()
        .nonnegative()
        .default(5)
        .describe('Attempts in a row that fetch nothing before a download gives up (its bytes stay, resumable).'),
      retryDelayMs: z
        .number()
        .int()
        .nonnegative()
        .default(1000)
        .describe('First wait between attempts (doubles each time).'),
    })
    .default({ stallSeconds: 30, connectTimeoutSeconds: 10, retries: 5, retryDelayMs: 1000 })
    .describe('How model downloads recover from stalls, cut connections and a hub that does not answer.'),
  threads: z.number().int().positive().optional().describe('Inference threads; default: physical cores.'),
  gpu: z
    .union([z.literal('auto'), z.literal(false)])
    .default('auto')
    .describe('"auto" uses a GPU when there is one; false forces the CPU.'),
  idleUnloadMinutes: z.number().positive().default(15).describe('Unload a local model unused this long.'),
  idleExitMinutes: z
    .number()
    .nonnegative()
    .default(0)
    .describe('Exit when no client has been connected this long (0 = never).'),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  ledgerPath: z
    .string()
    .min(1)
    .optional()
    .describe(
      'The usage ledger (JSONL, append-only, 0600). Default: $XDG_STATE_HOME/gearbox/ledger.jsonl, else ' +
        '~/.local/state/gearbox/ledger.jsonl. Relative to this file; "~/" is the home dir.',
    ),
  completionPrefill: z
    .boolean()
    .default(true)
    .describe(
      "Warm a file's completion KV cache right after each edit, so the completion request that follows the " +
        'debounce finds it cached.',
    ),
  codebaseIndex: CodebaseIndexConfigSchema.default(CodebaseIndexConfigSchema.parse({})).describe(
    'Local code search: where indexes live and how much of a workspace they take.',
  ),
  defaults: WorkspaceSettings.default(WorkspaceSettings.parse({})).describe(
    'Workspace settings for connections that send none (the CLI); "models" is also the model per task wherever ' +
      'a workspace leaves it on "auto".',
  ),
  timeouts: z
    .object({
      completionMs: z.number().positive().default(15_000),
      chatMs: z.number().positive().default(300_000),
      providerIdleMs: z.number().positive().default(60_000),
    })
    .default({ completionMs: 15_000, chatMs: 300_000, providerIdleMs: 60_000 }),
});
export type DaemonConfig = z.infer<typeof DaemonConfigSchema>;

export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GEARBOX_CONFIG) return path.resolve(env.GEARBOX_CONFIG);
  const base = env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config');
  return path.join(base, 'gearbox', 'config.json');
}

export function defaultModelsDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'gearbox', 'models');
}

/** Per-user cache of code-search indexes; HOME from `env` so that a test daemon keeps it in its temp dir. */
export function defaultIndexDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(base, 'gearbox', 'index');
}

/** A config that cannot be used, with each problem's dotted field path ("localModels.0.source"). */
export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly issues: { path: string; message: string }[],
    message?: string,
  ) {
    super(
      message ?? `Config ${file} is invalid: ${issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ')}`,
    );
    this.name = 'ConfigError';
  }
}

/** Reads and validates the config; a missing file means defaults, a bad one is a clear error. */
export function loadConfig(file: string): DaemonConfig {
  let raw: string | undefined;
  try {
    raw = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new Error(`Cannot read config ${file}: ${(err as Error).message}`);
  }
  if (raw === undefined) return parseConfig('{}', file);
  return parseConfig(raw, file);
}

/** "line 3, column 7" of an offset, for JSON syntax errors. */
function lineCol(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return `line ${line}, column ${offset - before.lastIndexOf('\n')}`;
}

/**
 * Parses config text (JSON with comments, as VS Code's settings) and validates it; relative paths
 * become absolute against the config file's dir. Throws ConfigError naming each bad field.
 */
export function parseConfig(text: string, file: string): DaemonConfig {
  const errors: ParseError[] = [];
  const json: unknown = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length) {
    const issues = errors.map((e) => ({
      path: '',
      message: `not valid JSON: ${printParseErrorCode(e.error)} at ${lineCol(text, e.offset)}`,
    }));
    throw new ConfigError(file, issues);
  }
  const parsed = DaemonConfigSchema.safeParse(json ?? {});
  if (!parsed.success) {
    throw new ConfigError(
      file,
      parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  const cfg = parsed.data;
  // Relative model paths are relative to the config file, like every other tool's config.
  const dir = path.dirname(file);
  for (const m of cfg.localModels) {
    if (!m.source.startsWith('hf:') && !path.isAbsolute(m.source)) m.source = path.resolve(dir, m.source);
  }
  const expand = (p: string) =>
    p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : path.resolve(dir, p);
  if (cfg.modelDirs) cfg.modelDirs = cfg.modelDirs.map(expand);
  if (cfg.tls) cfg.tls = { certPath: expand(cfg.tls.certPath), keyPath: expand(cfg.tls.keyPath) };
  if (cfg.modelsDir) cfg.modelsDir = expand(cfg.modelsDir);
  if (cfg.codebaseIndex.dir) cfg.codebaseIndex.dir = expand(cfg.codebaseIndex.dir);
  if (cfg.presetsFile) cfg.presetsFile = expand(cfg.presetsFile);
  if (cfg.ledgerPath) {
    if (cfg.ledgerPath === '~' || cfg.ledgerPath.startsWith('~/'))
      cfg.ledgerPath = path.join(os.homedir(), cfg.ledgerPath.slice(1));
    else if (!path.isAbsolute(cfg.ledgerPath)) cfg.ledgerPath = path.resolve(dir, cfg.ledgerPath);
  }
  const ids = new Map<string, string>();
  const entries = [
    ...cfg.localModels.map((m, i) => [m.id, `localModels.${i}.id`] as const),
    ...cfg.providers.map((p, i) => [p.id, `providers.${i}.id`] as const),
  ];
  for (const [id, where] of entries) {
    const first = ids.get(id);
    if (first) throw new ConfigError(file, [{ path: where, message: `duplicate id "${id}" (also ${first})` }]);
    ids.set(id, where);
  }
  return cfg;
}

/** The hub hf: downloads use: the config's modelEndpoint, else the environment, else huggingface.co. */
export function modelEndpointOf(cfg: DaemonConfig, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = cfg.modelEndpoint ?? env.MODEL_ENDPOINT ?? env.HF_ENDPOINT ?? 'https://huggingface.co';
  return chosen.replace(/\/+$/, '');
}

/** The dirs local models may come from: config.modelDirs, else the config file's dir and the models dir. */
export function allowedModelDirs(
  cfg: DaemonConfig,
  configPath: string,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  return cfg.modelDirs ?? [path.dirname(path.resolve(configPath)), cfg.modelsDir ?? defaultModelsDir(env)];
}

/** The real path of `p`, or (when it does not exist yet) its nearest existing ancestor's real path plus the rest. */
function realpathLoose(p: string): string {
  const abs = path.resolve(p);
  try {
    return fs.realpathSync(abs);
  } catch {
    const parent = path.dirname(abs);
    if (parent === abs) return abs;
    return path.join(realpathLoose(parent), path.basename(abs));
  }
}

function isInside(child: string, dir: string): boolean {
  const rel = path.relative(dir, child);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
}

/**
 * Confines local model files to the allowed dirs: each on-disk `source` is resolved (`..`, `~`,
 * symlinks) and must lie inside one of them; it is replaced by that real path, so the model host
 * opens exactly the file that was checked. Remote sources (hf:, https:) download into modelsDir.
 */
/** Where a model file really is (`..`, symlinks resolved) and whether that lies inside one of `allowedDirs`. */
export function modelFilePlace(file: string, allowedDirs: string[]): { real: string; allowed: boolean } {
  const real = realpathLoose(file);
  return { real, allowed: allowedDirs.map(realpathLoose).some((r) => isInside(real, r)) };
}

export function confineModelSources(cfg: DaemonConfig, allowedDirs: string[], configLabel: string): void {
  const roots = allowedDirs.map(realpathLoose);
  const modelsDir = cfg.modelsDir ?? roots[roots.length - 1]!;
  cfg.localModels.forEach((m, i) => {
    if (/^(hf:|huggingface:|https?:\/\/)/i.test(m.source)) return;
    const expanded =
      m.source === '~' || m.source.startsWith('~/') ? path.join(os.homedir(), m.source.slice(1)) : m.source;
    const real = realpathLoose(path.resolve(modelsDir, expanded));
    if (!roots.some((r) => isInside(real, r))) {
      const why =
        `"${m.id}" resolves to ${real}, outside the allowed model dirs (${roots.join(', ')}); ` +
        'move the file there or add its directory to "modelDirs"';
      throw new ConfigError(
        configLabel,
        [{ path: `localModels.${i}.source`, message: why }],
        `Config ${configLabel} is invalid: localModels.${i}.source of ${why}`,
      );
    }
    m.source = real;
  });
}
