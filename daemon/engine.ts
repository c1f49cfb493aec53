// The daemon's engine: keys, providers, local model host, catalog and routing, shared by every
// connection. The server layer (session.ts) turns LSP/JSON-RPC requests into calls here.
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  ErrorCodes,
  PROTOCOL_VERSION,
  type ChatMessage,
  type EndpointConfig,
  type ChatParams,
  type ChatResult,
  type ModelInfo,
  type RefactorParams,
  type RefactorResult,
  type RouteDecision,
  type RouteParams,
  type StatusResult,
  type TaskKind,
  type Usage,
  type WorkspaceSettings,
} from '../shared/protocol';
import { buildCatalog, builtinProviders, costUsd, DEFAULT_PROVIDERS } from './catalog/catalog';
import { localModelCapability } from './catalog/gguf-identity';
import { hintInText, redactSecrets, route, type RouteInput } from './routing';
import type { DaemonConfig } from './config';
import { GearboxError, type ChatProvider, type ModelHostApi, type ProviderConfig } from './engine-types';
import { UsageLedger } from './ledger';
import type { Logger } from './log';
import { registerSecret } from './log';
import { attachContext, firstCodeBlock, proseAround, refactorMessages } from './prompts';
import { apiKeyEnvVar, createProvider, ProviderError, ProviderHealth, withRetries } from './providers';

export const VERSION = '0.1.0';

export interface EngineOptions {
  config: DaemonConfig;
  modelHost: ModelHostApi;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** Where request outcomes are recorded; default: an in-memory ledger. */
  ledger?: UsageLedger;
}

export interface RequestContext {
  settings: WorkspaceSettings;
  signal: AbortSignal;
  /** The client's workspace id for the usage ledger (default 'cli'). */
  workspace?: string;
  /** The workspace folder on disk, for workspace-relative privatePaths globs. */
  workspaceRoot?: string;
  /** Reports model load progress to the requesting client. */
  onProgress?: (model: string, phase: 'download' | 'load', progress: number) => void;
}

type Generate = (onDelta: (text: string) => void, signal: AbortSignal) => Promise<{ text: string; usage: Usage }>;

export class Engine {
  readonly providers: ProviderConfig[];
  private readonly keys = new Map<string, string>();
  private readonly clients = new Map<string, ChatProvider>();
  readonly health = new ProviderHealth();
  private readonly env: NodeJS.ProcessEnv;
  private readonly log: Logger;
  readonly startedAt = Date.now();
  readonly ledger: UsageLedger;

  constructor(private readonly opts: EngineOptions) {
    this.env = opts.env ?? process.env;
    this.log = opts.logger;
    this.ledger = opts.ledger ?? UsageLedger.inMemory({ logger: opts.logger });
    // Configured providers win; the big three and the catalog's known OpenAI-compatible services
    // (xAI, DeepSeek, ...) exist without configuration and only need a key.
    const configured = opts.config.providers as ProviderConfig[];
    const known: ProviderConfig[] = [...DEFAULT_PROVIDERS, ...builtinProviders().filter((p) => p.baseUrl)];
    const ids = new Set(configured.map((p) => p.id));
    this.providers = [
      ...configured,
      ...known.filter((p) => {
        if (ids.has(p.id)) return false;
        ids.add(p.id);
        return true;
      }),
    ];
    for (const p of this.providers) {
      const k = this.envKey(p);
      if (k) registerSecret(k);
    }
  }

  get modelHost(): ModelHostApi {
    return this.opts.modelHost;
  }

  // ---------- keys ----------

  setKeys(keys: Record<string, string>, endpoints: EndpointConfig[] = []): string[] {
    for (const e of endpoints) {
      const existing = this.providers.findIndex((p) => p.id === e.id);
      if (existing >= 0 && this.providers[existing]!.kind !== 'openai-compatible') {
        throw new GearboxError(
          ErrorCodes.InvalidParams,
          `Endpoint id "${e.id}" is taken by the ${this.providers[existing]!.kind} provider`,
        );
      }
      const cfg: ProviderConfig = {
        id: e.id,
        kind: 'openai-compatible',
        baseUrl: e.baseUrl,
        private: e.private,
        noKey: e.noKey,
        models: e.models,
      };
      if (existing >= 0) this.providers[existing] = cfg;
      else this.providers.push(cfg);
      this.clients.delete(e.id);
    }
    for (const [provider, key] of Object.entries(keys)) {
      if (!this.providers.some((p) => p.id === provider)) {
        throw new GearboxError(
          ErrorCodes.InvalidParams,
          `Unknown provider "${provider}". Known: ${this.providers.map((p) => p.id).join(', ')}`,
        );
      }
      if (key === '') this.keys.delete(provider);
      else {
        registerSecret(key);
        this.keys.set(provider, key);
      }
    }
    return this.providersWithKeys();
  }

  private envKey(p: ProviderConfig): string | undefined {
    const names = [apiKeyEnvVar(p)];
    if (p.kind === 'gemini') names.push('GOOGLE_API_KEY');
    for (const n of names) {
      const v = this.env[n];
      if (v) return v;
    }
    return undefined;
  }

  private keyFor(p: ProviderConfig): string | undefined {
    return this.keys.get(p.id) ?? this.envKey(p);
  }

  providersWithKeys(): string[] {
    return this.providers.filter((p) => p.noKey || this.keyFor(p) !== undefined).map((p) => p.id);
  }

  // ---------- catalog & routing ----------

  async catalog(): Promise<ModelInfo[]> {
    let loaded = new Set<string>();
    try {
      const st = await this.opts.modelHost.status();
      loaded = new Set(st.loaded.map((m) => m.id));
    } catch {
      /* host down: nothing loaded */
    }
    return buildCatalog({
      providers: this.providers,
      localModels: this.opts.config.localModels,
      providersWithKeys: new Set(this.providersWithKeys()),
      loadedLocal: loaded,
      coolingDown: new Set(this.providers.filter((p) => this.health.isCoolingDown(p.id)).map((p) => p.id)),
      localCapability: localModelCapability,
    });
  }

  async route(
    params: RouteParams,
    settings: WorkspaceSettings,
    extra: Partial<RouteInput> = {},
  ): Promise<RouteDecision> {
    return (await this.routeWithCatalog(params, settings, extra)).decision;
  }

  /**
   * The decision and the catalog it was made from. A request runs on that same catalog: building it
   * again would ask the model host for its status a second time (an IPC round trip while it runs).
   */
  private async routeWithCatalog(
    params: RouteParams,
    settings: WorkspaceSettings,
    extra: Partial<RouteInput> = {},
  ): Promise<{ decision: RouteDecision; catalog: ModelInfo[] }> {
    const catalog = await this.catalog();
    await this.ledger.ready;
    // Spent today / this month (every workspace), for the router's budget caps (settings.budget).
    const input: RouteInput = {
      task: params.task,
      prompt: params.prompt,
      selectionText: extra.selectionText,
      fileText: extra.fileText,
      languageId: params.context?.languageId,
      conversationDepth: params.conversationDepth,
      hint: params.hint,
      settings,
      privateCode: params.context?.private || settings.privateCode,
      pinnedModel: params.model,
      budget: this.ledger.budgetState(),
      ...extra,
    };
    return { decision: route(input, catalog), catalog };
  }

  // ---------- chat & refactor ----------

  async chat(
    params: ChatParams,
    ctx: RequestContext & { codeText?: string; fileName?: string; onDelta: (delta: string, model: string) => void },
  ): Promise<ChatResult> {
    const lastUser = [...params.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    const messages = attachContext(params.messages, {
      code: ctx.codeText,
      fileName: ctx.fileName,
      languageId: params.context?.languageId,
    });
    const { decision, catalog } = await this.routeWithCatalog(
      {
        task: 'chat',
        prompt: messages.map((m) => m.content).join('\n'),
        context: params.context,
        conversationDepth: params.messages.filter((m) => m.role === 'user').length - 1,
        model: params.model,
        hint: params.hint ?? hintInText(lastUser),
      },
      ctx.settings,
      {
        prompt: lastUser,
        selectionText: ctx.codeText,
        priorFailures: this.priorFailures(ctx, 'chat'),
        filePath: filePathOf(params.context?.uri),
        workspaceRoot: ctx.workspaceRoot,
        // Earlier turns can hold secrets too: they are sent along with the new message.
        extraTexts: params.messages.slice(0, -1).map((m) => m.content),
      },
    );
    const out = await this.runWithFallback(
      'chat',
      decision,
      catalog,
      messages,
      params.maxTokens ?? 2048,
      params.temperature,
      ctx,
      ctx.onDelta,
    );
    // An empty answer is a failure of that model: the next request goes one tier up.
    this.noteOutcome(ctx, 'chat', out.text.trim() !== '');
    return { ...out, route: decision };
  }

  async refactor(
    params: RefactorParams,
    code: string,
    ctx: RequestContext & { fileName?: string; onDelta?: (delta: string, model: string) => void },
  ): Promise<RefactorResult> {
    if (params.kind === 'refactor' && !params.instruction?.trim()) {
      throw new GearboxError(ErrorCodes.InvalidParams, 'A free refactor needs an instruction (what should change?)');
    }
    const messages = refactorMessages(params.kind, params.instruction, code, params.languageId, ctx.fileName);
    const { decision, catalog } = await this.routeWithCatalog(
      {
        task: 'refactor',
        prompt: messages.map((m) => m.content).join('\n'),
        model: params.model,
        hint: params.hint,
        context: { languageId: params.languageId },
      },
      ctx.settings,
      {
        prompt: `${params.kind}: ${params.instruction ?? ''}`,
        selectionText: code,
        priorFailures: this.priorFailures(ctx, 'refactor'),
      },
    );
    const out = await this.runWithFallback(
      'refactor',
      decision,
      catalog,
      messages,
      4096,
      0.2,
      ctx,
      ctx.onDelta ?? (() => {}),
    );
    const replaces = params.kind !== 'explain' && params.kind !== 'tests';
    let edits: RefactorResult['edits'] = [];
    let explanation = out.text;
    if (replaces) {
      const block = firstCodeBlock(out.text);
      if (block === undefined) {
        this.noteOutcome(ctx, 'refactor', false);
        throw new GearboxError(
          ErrorCodes.ProviderError,
          `${out.model} did not return a code block for this refactor; try again or pick a stronger model`,
          {
            text: out.text,
          },
        );
      }
      edits = [{ range: params.range, newText: block }];
      this.noteOutcome(ctx, 'refactor', true);
      explanation = proseAround(out.text);
    }
    return {
      edits,
      explanation,
      model: out.model,
      provider: out.provider,
      route: decision,
      usage: out.usage,
      costUsd: out.costUsd,
      latencyMs: out.latencyMs,
    };
  }

  /**
   * Runs the decision's model, then its fallbacks, until one answers. A failure after text was
   * streamed is not retried elsewhere: the user already saw part of an answer.
   */
  private async runWithFallback(
    task: TaskKind,
    decision: RouteDecision,
    catalog: ModelInfo[],
    messages: ChatMessage[],
    maxTokens: number,
    temperature: number | undefined,
    ctx: RequestContext,
    onDelta: (delta: string, model: string) => void,
  ): Promise<Omit<ChatResult, 'route'>> {
    if (!decision.model) throw new GearboxError(ErrorCodes.NoModelAvailable, decision.summary, { route: decision });
    const attempts: { model: string; error: string }[] = [];
    const order = [decision.model, ...(decision.pinned ? [] : decision.fallbacks)];
    const started = Date.now();
    for (const id of order) {
      const model = catalog.find((m) => m.id === id);
      if (!model) continue;
      let streamed = '';
      // 'redact' mode: closed models get the prompt with secrets replaced; local ones see it all.
      const sent =
        decision.redactSecrets && !model.local
          ? messages.map((m) => ({ ...m, content: redactSecrets(m.content) }))
          : messages;
      const gen = this.generator(model, sent, maxTokens, temperature, ctx);
      try {
        const res = await gen((d) => {
          streamed += d;
          onDelta(d, model.id);
        }, ctx.signal);
        this.health.recordSuccess(model.provider);
        this.record(ctx, task, decision, model, catalog, res.usage, started, 'ok');
        return {
          text: res.text,
          model: model.id,
          provider: model.provider,
          usage: res.usage,
          costUsd: costUsd(model, res.usage),
          latencyMs: Date.now() - started,
          attempts,
        };
      } catch (err) {
        if (ctx.signal.aborted) {
          this.record(
            ctx,
            task,
            decision,
            model,
            catalog,
            partialUsage(decision, streamed),
            started,
            'cancelled',
            ErrorCodes.RequestCancelled,
          );
          throw abortError();
        }
        if (!model.local) this.health.recordFailure(model.provider);
        const message = (err as Error).message;
        this.log.warn('model failed', { task, model: model.id, error: message, streamedChars: streamed.length });
        if (streamed.length > 0) {
          this.record(
            ctx,
            task,
            decision,
            model,
            catalog,
            partialUsage(decision, streamed),
            started,
            'error',
            ErrorCodes.StreamInterrupted,
          );
          throw new GearboxError(ErrorCodes.StreamInterrupted, `${model.id} stopped mid-answer: ${message}`, {
            partialText: streamed,
            model: model.id,
          });
        }
        attempts.push({ model: model.id, error: message });
      }
    }
    const detail = attempts.map((a) => `${a.model}: ${a.error}`).join('; ');
    const last = attempts.length === 1 ? attempts[0] : undefined;
    const lastModel = catalog.find((m) => m.id === attempts[attempts.length - 1]?.model);
    if (lastModel)
      this.record(
        ctx,
        task,
        decision,
        lastModel,
        catalog,
        { inputTokens: 0, outputTokens: 0 },
        started,
        'error',
        ErrorCodes.ProviderError,
      );
    throw new GearboxError(
      attempts.length ? ErrorCodes.ProviderError : ErrorCodes.NoModelAvailable,
      last ? `${last.model} failed: ${last.error}` : `Every candidate model failed: ${detail}`,
      { attempts },
    );
  }

  private generator(
    model: ModelInfo,
    messages: ChatMessage[],
    maxTokens: number,
    temperature: number | undefined,
    ctx: RequestContext,
  ): Generate {
    if (model.local) {
      return async (onDelta, signal) => {
        await this.opts.modelHost.load(model.id, (phase, p) => ctx.onProgress?.(model.id, phase, p), signal);
        const r = await this.opts.modelHost.chat(
          { modelId: model.id, messages, maxTokens, temperature },
          onDelta,
          signal,
        );
        return { text: r.text, usage: { inputTokens: r.usage.inputTokens, outputTokens: r.usage.outputTokens } };
      };
    }
    const providerCfg = this.providers.find((p) => p.id === model.provider);
    if (!providerCfg)
      throw new GearboxError(ErrorCodes.NoModelAvailable, `Provider ${model.provider} is not configured`);
    const provider = this.providerClient(providerCfg);
    const apiName = apiModelName(model, providerCfg);
    return (onDelta, signal) => {
      let streamed = false;
      return withRetries(
        () =>
          provider.chat(
            {
              model: apiName,
              messages,
              maxTokens,
              temperature,
              signal,
              idleTimeoutMs: this.opts.config.timeouts.providerIdleMs,
            },
            (d) => {
              streamed = true;
              onDelta(d);
            },
          ),
        {
          maxAttempts: 3,
          baseDelayMs: 250,
          maxDelayMs: 4000,
          signal,
          shouldRetry: () => !streamed,
          onRetry: (attempt: number, delayMs: number, err: unknown) =>
            this.log.info('retrying provider', {
              provider: providerCfg.id,
              attempt,
              delayMs,
              error: (err as Error).message,
            }),
        },
      );
    };
  }

  private providerClient(p: ProviderConfig): ChatProvider {
    let c = this.clients.get(p.id);
    if (!c) {
      c = createProvider(p, () => this.keyFor(p), { logger: this.log.child({ provider: p.id }) });
      this.clients.set(p.id, c);
    }
    return c;
  }

  /** Failed answers (empty, or a refactor without an edit) per workspace and task, since the last success. */
  private readonly failures = new Map<string, number>();

  private priorFailures(ctx: RequestContext, task: TaskKind): number {
    return this.failures.get(`${ctx.workspace ?? 'cli'}:${task}`) ?? 0;
  }

  private noteOutcome(ctx: RequestContext, task: TaskKind, ok: boolean): void {
    const key = `${ctx.workspace ?? 'cli'}:${task}`;
    if (ok) this.failures.delete(key);
    else this.failures.set(key, (this.failures.get(key) ?? 0) + 1);
  }

  // ---------- inline completion ----------

  /**
   * One inline completion. Local models use FIM on a long-lived per-(client, file) sequence so the
   * KV cache carries over between keystrokes; a closed model gets a fill-in instruction instead.
   */
  async complete(
    req: {
      sessionKey: string;
      prefix: string;
      suffix: string;
      multiline: boolean;
      languageId?: string;
      fileName?: string;
    },
    ctx: RequestContext,
  ): Promise<{ text: string; model: string; usage: Usage; route: RouteDecision; evaluatedPromptTokens?: number }> {
    const { decision, catalog } = await this.routeWithCatalog(
      {
        task: 'completion',
        prompt: req.prefix.slice(-2000),
        model: undefined,
        context: { languageId: req.languageId },
      },
      ctx.settings,
    );
    if (!decision.model) throw new GearboxError(ErrorCodes.NoModelAvailable, decision.summary, { route: decision });
    const model = catalog.find((m) => m.id === decision.model)!;
    const maxTokens = req.multiline ? 128 : 48;
    if (model.local) {
      const started = Date.now();
      let r: Awaited<ReturnType<ModelHostApi['complete']>>;
      try {
        await this.opts.modelHost.load(model.id, (phase, p) => ctx.onProgress?.(model.id, phase, p), ctx.signal);
        r = await this.opts.modelHost.complete(
          {
            modelId: model.id,
            sessionKey: req.sessionKey,
            prefix: req.prefix,
            suffix: req.suffix,
            maxTokens,
            temperature: 0,
            stopOnNewline: !req.multiline,
          },
          () => {},
          ctx.signal,
        );
      } catch (err) {
        const cancelled = ctx.signal.aborted;
        const code = cancelled
          ? ErrorCodes.RequestCancelled
          : typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : undefined;
        this.record(
          ctx,
          'completion',
          decision,
          model,
          catalog,
          { inputTokens: 0, outputTokens: 0 },
          started,
          cancelled ? 'cancelled' : 'error',
          code,
        );
        throw err;
      }
      this.record(ctx, 'completion', decision, model, catalog, r.usage, started, 'ok');
      return {
        text: r.text,
        model: model.id,
        usage: r.usage,
        route: decision,
        evaluatedPromptTokens: r.usage.evaluatedPromptTokens,
      };
    }
    const messages: ChatMessage[] = [
      {
        role: 'system',
        content:
          'You complete code. Reply with only the text that belongs at <CURSOR>, no explanation, no code fences. ' +
          (req.multiline ? 'You may write several lines.' : 'Write at most the rest of the current line.'),
      },
      {
        role: 'user',
        content: `${req.fileName ?? 'file'} (${req.languageId ?? 'text'}):\n${req.prefix}<CURSOR>${req.suffix}`,
      },
    ];
    const out = await this.runWithFallback('completion', decision, catalog, messages, maxTokens, 0, ctx, () => {});
    return { text: out.text, model: out.model, usage: out.usage, route: decision };
  }

  /**
   * Evaluates a completion prompt into a local model's session cache ahead of the request (after
   * an edit). Best effort: skipped for closed models, unloaded models and busy sessions.
   */
  async prefillCompletion(
    req: { modelId: string; sessionKey: string; prefix: string; suffix: string },
    signal: AbortSignal,
  ): Promise<{ evaluatedTokens: number; skipped?: string }> {
    if (!this.opts.config.completionPrefill || !this.opts.modelHost.prefill)
      return { evaluatedTokens: 0, skipped: 'disabled' };
    if (!this.opts.config.localModels.some((m) => m.id === req.modelId))
      return { evaluatedTokens: 0, skipped: 'not a local model' };
    return this.opts.modelHost.prefill(req, signal);
  }

  /** One ledger record per request that reached a model; a ledger failure never fails the request. */
  private record(
    ctx: RequestContext,
    task: TaskKind,
    decision: RouteDecision,
    model: ModelInfo,
    catalog: ModelInfo[],
    usage: Usage & { estimated?: boolean },
    started: number,
    outcome: 'ok' | 'error' | 'cancelled',
    errorCode?: number,
  ): void {
    void this.ledger
      .record({
        workspace: ctx.workspace ?? 'cli',
        task,
        model,
        usage: { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens },
        estimated: usage.estimated,
        latencyMs: Date.now() - started,
        decision,
        outcome,
        errorCode,
        catalog,
        allowedModels: ctx.settings.allowedModels,
      })
      .catch((err: Error) => this.log.warn('ledger record failed', { error: err.message }));
  }

  // ---------- status ----------

  async status(extra: { port: number; clients: number }): Promise<StatusResult> {
    const host = await this.opts.modelHost.status().catch(() => undefined);
    return {
      version: VERSION,
      protocolVersion: PROTOCOL_VERSION,
      pid: process.pid,
      port: extra.port,
      uptimeMs: Date.now() - this.startedAt,
      clients: extra.clients,
      runtime: process.versions.electron
        ? `electron ${process.versions.electron} (node ${process.versions.node})`
        : `node ${process.versions.node}`,
      gpu: host?.gpu ?? 'unknown (model host not started)',
      memory: {
        daemonRssBytes: process.memoryUsage().rss,
        modelHostRssBytes: host?.rssBytes ?? null,
        systemTotalBytes: os.totalmem(),
        systemFreeBytes: os.freemem(),
      },
      modelHost: { pid: host?.pid ?? null, state: host?.state ?? 'stopped', restarts: host?.restarts ?? 0 },
      loadedModels: host?.loaded ?? [],
      providersWithKeys: this.providersWithKeys(),
    };
  }
}

/** The name the provider's API expects for a catalog model. */
export function apiModelName(model: ModelInfo, provider: ProviderConfig): string {
  const user = provider.models?.find((m) => (m.id ?? `${provider.id}/${m.name}`) === model.id);
  if (user) return user.name;
  const prefix = `${provider.id}/`;
  return model.id.startsWith(prefix) ? model.id.slice(prefix.length) : model.id;
}

/** Tokens of a request that stopped mid-answer (no usage reported): the prompt estimate and the streamed text. */
function partialUsage(decision: RouteDecision, streamed: string): Usage & { estimated?: boolean } {
  if (!streamed) return { inputTokens: 0, outputTokens: 0 };
  return { inputTokens: decision.estimatedInputTokens, outputTokens: Math.ceil(streamed.length / 4), estimated: true };
}

export function abortError(): Error {
  const e = new Error('Request cancelled');
  e.name = 'AbortError';
  return e;
}

export { ProviderError };

/** The local path of a file: URI (privacy globs match paths), else undefined. */
function filePathOf(uri: string | undefined): string | undefined {
  if (!uri?.startsWith('file:')) return undefined;
  try {
    return fileURLToPath(uri);
  } catch {
    return undefined;
  }
}
