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

export const LocalModelConfigSchema = z.object({
  /** Model id used everywhere (catalog, settings), e.g. "local/qwen2.5-coder-1.5b". */
  id: z.string().min(1),
  /** A GGUF file path, or an `hf:` URI resolved into the models dir. */
  source: z.string().min(1),
  displayName: z.string().optional(),
  tier: Tier.optional(),
  contextSize: z.number().int().positive().optional(),
  /** Which tasks this model serves. Default: completion, chat and refactor ('embedding' only when listed). */
  tasks: z.array(LocalModelTask).min(1).optional(),
});
/** A local model (GGUF file or `hf:` URI) and what it serves; the model host loads it. */
export type LocalModelConfig = z.infer<typeof LocalModelConfigSchema>;

const UserModelConfigSchema = z.object({
  /** The name the provider API expects. */
  name: z.string().min(1),
  /** Catalog id; default `${provider}/${name}`. */
  id: z.string().optional(),
  displayName: z.string().optional(),
  tier: Tier.optional(),
  contextWindow: z.number().int().positive().optional(),
  inputPricePerMTok: z.number().nonnegative().optional(),
  outputPricePerMTok: z.number().nonnegative().optional(),
});

const ProviderConfigSchema = z
  .object({
    /** e.g. "openai", "anthropic", "gemini", "my-vllm". */
    id: z
      .string()
      .min(1)
      .regex(/^[a-zA-Z0-9._-]+$/, 'provider id: letters, digits, . _ - only'),
    kind: z.enum(['openai', 'anthropic', 'gemini', 'openai-compatible']),
    baseUrl: z.string().url().optional(),
    /** Self-hosted endpoint the team trusts with private code. */
    private: z.boolean().optional(),
    /** Env var to read the key from when no key was set by a client. */
    apiKeyEnv: z.string().optional(),
    models: z.array(UserModelConfigSchema).optional(),
    /** Some self-hosted servers need no key. */
    noKey: z.boolean().optional(),
  })
  .refine((p) => p.kind !== 'openai-compatible' || !!p.baseUrl, {
    message: 'an openai-compatible provider needs baseUrl',
  });
/** A closed API or a self-hosted endpoint; keys are stored under its id. */
export type ProviderConfig = z.infer<typeof ProviderConfigSchema>;

/** Limits of the WebSocket server, per connection. Tests shrink them. */
const ServerLimitsSchema = z.object({
  /** Ping every this often; a peer that has not answered the previous ping by then is dropped. */
  heartbeatMs: z.number().int().min(10).default(30_000),
  /** Token bucket per connection for JSON-RPC requests (notifications are not counted). */
  requestsPerSecond: z.number().positive().default(50),
  requestBurst: z.number().int().positive().default(100),
  /** Above this many bytes queued for a client, streamed chunks are held back (coalesced). */
  sendHighWaterBytes: z
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024),
  /** A client that stays above the high watermark this long is disconnected (1013). */
  slowClientTimeoutMs: z.number().int().positive().default(30_000),
  /** Connections served at once; more are refused with 503 (each editor window holds one). */
  maxConnections: z.number().int().positive().default(64),
  /** Refused connections are logged once per this interval, with a count of the others. */
  refusalLogIntervalMs: z.number().int().positive().default(10_000),
  /** Documents one connection may have open on the daemon; more are not kept (ErrorCodes.DocumentLimit). */
  maxOpenDocuments: z.number().int().positive().default(500),
  /** Characters of all of one connection's open documents together (16 Mi: ~32 MiB of memory at most). */
  maxOpenDocumentChars: z
    .number()
    .int()
    .positive()
    .default(16 * 1024 * 1024),
});
export type ServerLimits = z.infer<typeof ServerLimitsSchema>;
export const DEFAULT_SERVER_LIMITS: ServerLimits = ServerLimitsSchema.parse({});

export const CodebaseIndexConfigSchema = z.object({
  /** One folder per workspace under it. Default: $XDG_CACHE_HOME/gearbox/index, else ~/.cache/gearbox/index. */
  dir: z.string().min(1).optional(),
  /** Larger files are left out (generated and minified code, data). */
  maxFileBytes: z.number().int().positive().default(1_000_000),
  /** The walk stops after this many files or this many bytes of source (the index says it was truncated). */
  maxFiles: z.number().int().positive().default(100_000),
  maxTotalBytes: z
    .number()
    .int()
    .positive()
    .default(512 * 1024 * 1024),
  /** Chunks embedded per workspace at most (vectors are searched by brute force, in memory). */
  maxEmbeddedChunks: z.number().int().nonnegative().default(50_000),
  buildTimeoutMs: z.number().positive().default(3_600_000),
  searchTimeoutMs: z.number().positive().default(30_000),
  /** Watched-file changes are applied this long after the last one (a branch switch is one update). */
  updateDelayMs: z.number().int().nonnegative().default(300),
});
export type CodebaseIndexConfig = z.infer<typeof CodebaseIndexConfigSchema>;

export const DaemonConfigSchema = z.object({
  /**
   * Interface to listen on. Loopback (127.0.0.1, ::1, localhost) by default; any other address is
   * refused unless `tls` is configured too.
   */
  host: z.string().min(1).default('127.0.0.1'),
  /** PEM certificate and key (paths, relative to the config file): serve wss:// through node:https. */
  tls: z.object({ certPath: z.string().min(1), keyPath: z.string().min(1) }).optional(),
  /**
   * Directories local model files must live in (after resolving `..` and symlinks). Default: the
   * config file's dir and the models dir.
   */
  modelDirs: z.array(z.string().min(1)).optional(),
  server: ServerLimitsSchema.default(DEFAULT_SERVER_LIMITS),
  localModels: z.array(LocalModelConfigSchema).default([]),
  providers: z.array(ProviderConfigSchema).default([]),
  /** Where hf: models are downloaded. */
  modelsDir: z.string().optional(),
  /**
   * The Hugging Face hub (or a mirror) hf: models come from. Default: $MODEL_ENDPOINT, else
   * $HF_ENDPOINT, else https://huggingface.co (node-llama-cpp's order).
   */
  modelEndpoint: z.string().url().optional(),
  /** With no local model configured, the first start fetches the preset recommended for completion. */
  autoDownload: z.boolean().default(true),
  /** A preset list (same format as daemon/models/presets.json) instead of the built-in one. */
  presetsFile: z.string().min(1).optional(),
  downloads: z
    .object({
      /** No byte for this long mid-file: the connection is dropped and the download resumed. */
      stallSeconds: z.number().positive().default(30),
      /** How long the hub may take to answer a metadata request before we call it offline. */
      connectTimeoutSeconds: z.number().positive().default(10),
      /** Attempts in a row that fetch nothing before a download gives up (its bytes stay, resumable). */
      retries: z.number().int().nonnegative().default(5),
      /** First wait between attempts (doubles each time). */
      retryDelayMs: z.number().int().nonnegative().default(1000),
    })
    .default({ stallSeconds: 30, connectTimeoutSeconds: 10, retries: 5, retryDelayMs: 1000 }),
  /** Inference threads; default: physical cores. */
  threads: z.number().int().positive().optional(),
  gpu: z.union([z.literal('auto'), z.literal(false)]).default('auto'),
  /** Unload a local model unused this long. */
  idleUnloadMinutes: z.number().positive().default(15),
  /** Exit when no client has been connected this long (0 = never). */
  idleExitMinutes: z.number().nonnegative().default(0),
  logLevel: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
  /**
   * The usage ledger (JSONL, append-only, 0600). Default: $XDG_STATE_HOME/gearbox/ledger.jsonl,
   * else ~/.local/state/gearbox/ledger.jsonl. Relative to the config file; `~/` is the home dir.
   */
  ledgerPath: z.string().min(1).optional(),
  /**
   * Warm a file's completion KV cache right after each edit (the prompt at the edit, evaluated
   * without generating), so the completion request that follows the debounce finds it cached.
   */
  completionPrefill: z.boolean().default(true),
  /** Local code search (gearbox/index/*): where indexes live and how much of a workspace they take. */
  codebaseIndex: CodebaseIndexConfigSchema.default(CodebaseIndexConfigSchema.parse({})),
  /** Defaults for connections that send no workspace settings (e.g. the CLI). */
  defaults: WorkspaceSettings.default(WorkspaceSettings.parse({})),
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
