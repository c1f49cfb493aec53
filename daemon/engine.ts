// The daemon's engine: routes each request over the catalog (local models and providers) and runs
// it, shared by every connection. The server layer (session.ts) turns LSP/JSON-RPC requests into
// calls here; the providers and their keys live in providers/registry.ts, the run with fallbacks
// in fallback-runner.ts.
import os from 'node:os';
import {
  ErrorCodes,
  PROTOCOL_VERSION,
  type ChatMessage,
  type ChatParams,
  type ChatResult,
  type EndpointConfig,
  type ModelInfo,
  type NoModelFix,
  type RefactorParams,
  type RefactorResult,
  type RouteDecision,
  type RouteParams,
  type StatusResult,
  type TaskKind,
  type Usage,
  type WorkspaceSettings,
} from '../shared/protocol';
import { buildCatalog } from './catalog/catalog';
import { CatalogChanges } from './catalog/catalog-changes';
import { messageText, redactMessage, toolsText } from './chat-tools';
import { localModelCapability } from './catalog/gguf-identity';
import type { DaemonConfig, LocalModelConfig } from './config';
import { AnswerAbandoned, FallbackRunner, type FallbackRequest, type RecordOutcome } from './fallback-runner';
import { CHAT_MAX_TOKENS, FenceWatch, refactorBudget, replacesSelection } from './answer-budget';
import { GearboxError } from './gearbox-error';
import { learningPathFor, LearningStore } from './learning/learning-store';
import { newRequestId } from './learning/recent-requests';
import { RoutingFeedback } from './learning/routing-feedback';
import { UsageLedger } from './ledger';
import type { Logger } from './log';
import type { ModelHostApi } from './model-host-api';
import { contextHeader, type ContextSnippet } from './completion-context';
import { fixesText } from './models/fixes';
import { withTaskDefaults } from './models/task-defaults';
import { attachContext, firstCodeBlock, type InsertionPoint, proseAround, refactorMessages } from './prompts';
import { ProviderRegistry } from './providers/registry';
import { completionPrivacy, privacyFacts, redactForCloud, type PrivacyScope } from './request-privacy';
import { hintInText, route, SecretScanCache, type Decision, type RequestTokens, type RouteInput } from './routing';
import { countRequestTokens, routeCandidates } from './tokens/request-tokens';
import { TokenCounter } from './tokens/token-counter';
import { VERSION } from './version';

export interface EngineOptions {
  config: DaemonConfig;
  modelHost: ModelHostApi;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** Where request outcomes are recorded; default: an in-memory ledger. */
  ledger?: UsageLedger;
  /** Why a local model cannot serve yet (not downloaded), or undefined. */
  localUnavailable?: (id: string) => string | undefined;
  /** A local model with its downloaded file as its source (hf: models), to read its GGUF metadata. */
  localOnDisk?: (l: LocalModelConfig) => LocalModelConfig;
  /** The fixes a "no model can serve" error names (add a preset, download, set a key). */
  noModelFixes?: (task: TaskKind) => Promise<NoModelFix[]>;
}

export interface RequestContext {
  settings: WorkspaceSettings;
  signal: AbortSignal;
  /** The client's workspace id for the usage ledger (default 'cli'). */
  workspace?: string;
  /** The client's workspace folders (multi-root: several), for workspace-relative privatePaths globs. */
  workspaceRoots?: readonly string[];
  /** Reports model load progress to the requesting client. */
  onProgress?: (model: string, phase: 'download' | 'load', progress: number) => void;
  /** Hears the route decision before the model runs (the HTTP API sends it in its headers). */
  onRoute?: (decision: RouteDecision) => void;
  /** The connection asking: its answers may then be named by its feedback (gearbox/feedback). */
  client?: string;
}

/** The answering model and whether it cost less than the frontier, filled in when the answer is recorded. */
interface AnswerTrace {
  model?: ModelInfo;
  saved?: boolean;
}

/** What the engine fills in itself: the workspace's settings and the spend so far. */
type RequestRoute = Omit<RouteInput, 'settings' | 'budget'>;

export class Engine {
  readonly providers: ProviderRegistry;
  private readonly runner: FallbackRunner;
  private readonly log: Logger;
  readonly startedAt = Date.now();
  readonly ledger: UsageLedger;
  /** Every token count the daemon makes: routing, usage the providers did not report, clients' counts. */
  readonly tokens: TokenCounter;
  /** Learning from the user: feedback on answers, and the calibration it moves. */
  readonly learning: RoutingFeedback;
  /** Secret scans of inline completion prompts, line by line across keystrokes (every connection's). */
  private readonly completionScans = new SecretScanCache();
  /** Fired whenever what catalog() answers changes; the server tells every client (gearbox/catalogChanged). */
  readonly catalogChanges = new CatalogChanges();

  constructor(private readonly opts: EngineOptions) {
    this.log = opts.logger;
    this.ledger = opts.ledger ?? UsageLedger.inMemory({ logger: opts.logger });
    this.learning = new RoutingFeedback({
      ledger: this.ledger,
      store: new LearningStore(learningPathFor(this.ledger.path), opts.logger),
      logger: opts.logger,
    });
    this.providers = new ProviderRegistry({
      configured: opts.config.providers,
      env: opts.env ?? process.env,
      logger: opts.logger,
    });
    this.tokens = new TokenCounter({ modelHost: opts.modelHost, logger: opts.logger.child({ component: 'tokens' }) });
    this.runner = new FallbackRunner({
      providers: this.providers,
      modelHost: opts.modelHost,
      tokens: this.tokens,
      logger: opts.logger,
      providerIdleMs: opts.config.timeouts.providerIdleMs,
    });
    opts.modelHost.onLoadedModelsChanged?.((change) => this.catalogChanges.fire(change));
  }

  /**
   * Keys and OpenAI-compatible endpoints from a client (see ProviderRegistry.setKeys); the catalog
   * changes when a provider gains or loses its key or an endpoint is new or different.
   */
  setKeys(keys: Record<string, string>, endpoints: EndpointConfig[] = []): string[] {
    const providersBefore = JSON.stringify(this.providers.all);
    const keyedBefore = this.providers.providersWithKeys().join('\n');
    const keyed = this.providers.setKeys(keys, endpoints);
    if (JSON.stringify(this.providers.all) !== providersBefore) this.catalogChanges.fire('endpoints');
    if (keyed.join('\n') !== keyedBefore) this.catalogChanges.fire('keys');
    return keyed;
  }

  get modelHost(): ModelHostApi {
    return this.opts.modelHost;
  }

  /** A reloaded or edited config: local models, timeouts and defaults apply from the next request. */
  updateConfig(config: DaemonConfig): void {
    this.opts.config = config;
    this.tokens.forgetLocal();
    // Local models added, removed or changed: what catalog() lists follows the config.
    this.catalogChanges.fire('config');
  }

  /** "No model can serve": the route's summary plus the fixes (as text and as error data). */
  private async noModelError(task: TaskKind, decision: RouteDecision): Promise<GearboxError> {
    const fixes = (await this.opts.noModelFixes?.(task).catch(() => undefined)) ?? [];
    const text = fixes.length ? `. ${fixesText(fixes)}` : '';
    return new GearboxError(ErrorCodes.NoModelAvailable, `${decision.summary}${text}`, { route: decision, fixes });
  }

  /** The decision's model and its fallbacks; none at all is an error that names the fix. */
  private async run(req: FallbackRequest): Promise<Omit<ChatResult, 'route'>> {
    if (!req.decision.model) throw await this.noModelError(req.task, req.decision);
    return this.runner.run(req);
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
      providers: this.providers.all,
      localModels: this.opts.config.localModels,
      providersWithKeys: new Set(this.providers.providersWithKeys()),
      loadedLocal: loaded,
      unavailableLocal: this.opts.localUnavailable,
      coolingDown: this.providers.coolingDown(),
      localCapability: (l) => localModelCapability(this.opts.localOnDisk?.(l) ?? l),
    });
  }

  /**
   * The decision for a gearbox/route request: the prompt as given, with the attached code (the
   * context's selection or text) and its file, under the same privacy rules as the request itself.
   */
  async route(
    params: RouteParams,
    scope: PrivacyScope,
    attached: { selectionText?: string } = {},
  ): Promise<RouteDecision> {
    const input: RequestRoute = {
      task: params.task,
      prompt: params.prompt,
      selectionText: attached.selectionText,
      languageId: params.context?.languageId,
      conversationDepth: params.conversationDepth,
      hint: params.hint,
      pinnedModel: params.model,
      ...privacyFacts(scope, params.context?.uri, params.context?.private),
    };
    return (await this.decide(input, scope.settings)).decision;
  }

  /**
   * The decision and the catalog it was made from. A request runs on that same catalog: building it
   * again would ask the model host for its status a second time (an IPC round trip while it runs).
   */
  private async decide(
    input: RequestRoute,
    settings: WorkspaceSettings,
    signal?: AbortSignal,
  ): Promise<{ decision: Decision; catalog: ModelInfo[]; tokens: ReadonlyMap<string, RequestTokens> }> {
    const catalog = await this.catalog();
    await this.ledger.ready;
    // Spent today / this month (every workspace), for the router's budget caps (settings.budget).
    // Where the workspace leaves a task on "auto", the daemon-wide default (gearbox models default) holds.
    const withDefaults = withTaskDefaults(settings, this.opts.config.defaults.models);
    // Counted here, per candidate's tokenizer, so that the router only reads numbers.
    const candidates = routeCandidates(catalog, { ...input, settings: withDefaults });
    const tokens = await countRequestTokens(this.tokens, input, candidates, signal);
    // What this user's feedback taught (none with routing.learning off).
    const adjustments = this.learning.adjustmentsFor(settings, input.task, input.languageId);
    const decision = route(
      {
        ...input,
        settings: withDefaults,
        budget: this.ledger.budgetState(),
        tokens,
        ...(adjustments ? { adjustments } : {}),
      },
      catalog,
    );
    return { decision, catalog, tokens };
  }

  // ---------- chat & refactor ----------

  async chat(
    params: ChatParams,
    ctx: RequestContext & { codeText?: string; fileName?: string; onDelta: (delta: string, model: string) => void },
  ): Promise<ChatResult> {
    const items = params.contextItems ?? [];
    const messages = attachContext(
      params.messages,
      { code: ctx.codeText, fileName: ctx.fileName, languageId: params.context?.languageId },
      items,
    );
    const lastUserIndex = messages.findLastIndex((m) => m.role === 'user');
    const lastUser = params.messages.findLast((m) => m.role === 'user')?.content ?? '';
    const { decision, catalog, tokens } = await this.decide(
      {
        task: 'chat',
        // What the request asks, for its difficulty: the new message and the code attached to it...
        prompt: lastUser,
        selectionText: ctx.codeText,
        // ...and everything else that is sent (the system prompt, earlier turns, tool calls and
        // results, the tool definitions): it must fit the model's context window, and it can hold secrets too...
        extraTexts: [...messages.filter((_, i) => i !== lastUserIndex).map(messageText), ...toolsText(params.tools)],
        // ...and the chips, each under its own file's privacy rules.
        contextItems: items.map((item) => ({ label: item.label, path: item.uri, text: item.text })),
        languageId: params.context?.languageId,
        conversationDepth: params.messages.filter((m) => m.role === 'user').length - 1,
        hint: params.hint ?? hintInText(lastUser),
        pinnedModel: params.model,
        tools: Boolean(params.tools?.length),
        priorFailures: this.priorFailures(ctx, 'chat'),
        ...privacyFacts(ctx, params.context?.uri, params.context?.private),
      },
      ctx.settings,
      ctx.signal,
    );
    // 'redact': a model that is not local gets every part with its secrets redacted, the attached
    // code and each chip by its own file's rules (.env).
    const cloudMessages = decision.redactSecrets
      ? attachContext(
          params.messages.map((m) => redactMessage(m, (t) => redactForCloud(t))),
          {
            code: ctx.codeText === undefined ? undefined : redactForCloud(ctx.codeText, params.context?.uri),
            fileName: ctx.fileName,
            languageId: params.context?.languageId,
          },
          items.map((item) => ({ ...item, text: redactForCloud(item.text, item.uri) })),
        )
      : undefined;
    ctx.onRoute?.(decision);
    const requestId = newRequestId();
    const trace: AnswerTrace = {};
    const out = await this.run({
      task: 'chat',
      decision,
      catalog,
      tokens,
      messages,
      cloudMessages,
      maxTokens: params.maxTokens ?? CHAT_MAX_TOKENS,
      temperature: params.temperature,
      tools: params.tools,
      toolChoice: params.toolChoice,
      signal: ctx.signal,
      onDelta: ctx.onDelta,
      onProgress: ctx.onProgress,
      record: this.recorder(ctx, 'chat', decision, catalog, requestId, trace),
    });
    // An empty answer is a failure of that model: the next request goes one tier up.
    this.noteOutcome(ctx, 'chat', out.text.trim() !== '');
    this.answered(ctx, 'chat', params.context?.languageId, decision, requestId, trace);
    return { ...out, route: decision, requestId };
  }

  /**
   * A refactor within its token budget (refactorBudget). An answer that must replace the selection
   * stops as soon as it cannot become a code block (FenceWatch); that failure counts against the
   * model like any other, and a request that streams nothing to its client is escalated right away:
   * routed again one step harder (priorFailures), once, when that picks another model.
   */
  async refactor(
    params: RefactorParams,
    code: string,
    ctx: RequestContext & {
      fileName?: string;
      onDelta?: (delta: string, model: string) => void;
      /** The file around an empty range: the answer is code to insert there. */
      insertAt?: InsertionPoint;
    },
  ): Promise<RefactorResult> {
    if ((params.kind === 'refactor' || params.kind === 'merge') && !params.instruction?.trim()) {
      const what = params.kind === 'merge' ? 'A merge needs the code block' : 'A free refactor needs an instruction';
      throw new GearboxError(ErrorCodes.InvalidParams, `${what} (instruction)`);
    }
    const insertAt = code ? undefined : ctx.insertAt;
    const messages = refactorMessages(params.kind, params.instruction, code, params.languageId, ctx.fileName, insertAt);
    const replaces = replacesSelection(params.kind);
    const maxTokens = refactorBudget(params.kind, code, params.maxTokens, params.instruction);
    const route = () =>
      this.decide(
        {
          task: 'refactor',
          prompt: `${params.kind}: ${params.instruction ?? ''}`,
          selectionText: code,
          // The code around an insertion point is sent too (and is the file's: its rules apply).
          ...(insertAt ? { fileText: insertAt.before + insertAt.after } : {}),
          languageId: params.languageId,
          hint: params.hint,
          pinnedModel: params.model,
          priorFailures: this.priorFailures(ctx, 'refactor'),
          ...privacyFacts(ctx, params.uri),
        },
        ctx.settings,
        ctx.signal,
      );
    const redact = (text: string) => redactForCloud(text, params.uri);
    let { decision, catalog, tokens } = await route();
    for (let escalated = false; ; escalated = true) {
      const cloudMessages = decision.redactSecrets
        ? refactorMessages(
            params.kind,
            params.instruction === undefined ? undefined : redact(params.instruction),
            redact(code),
            params.languageId,
            ctx.fileName,
            insertAt && { before: redact(insertAt.before), after: redact(insertAt.after) },
          )
        : undefined;
      const requestId = newRequestId();
      const trace: AnswerTrace = {};
      const answer = await this.refactorAnswer(params, {
        task: 'refactor',
        decision,
        catalog,
        tokens,
        messages,
        cloudMessages,
        maxTokens,
        temperature: 0.2,
        signal: ctx.signal,
        onDelta: ctx.onDelta ?? (() => {}),
        ...(replaces ? { watch: () => new FenceWatch() } : {}),
        onProgress: ctx.onProgress,
        record: this.recorder(ctx, 'refactor', decision, catalog, requestId, trace),
      });
      if (answer.ok) {
        if (replaces) this.noteOutcome(ctx, 'refactor', true);
        this.answered(ctx, 'refactor', params.languageId, decision, requestId, trace);
        return { requestId, ...answer.result };
      }
      this.noteOutcome(ctx, 'refactor', false);
      // Nothing was shown to the client: try the next tier up now instead of after the user's retry.
      if (!escalated && !decision.pinned && !params.streamId) {
        const next = await route();
        if (next.decision.model && next.decision.model !== decision.model) {
          this.log.info('refactor escalated', { from: decision.model, to: next.decision.model, why: answer.error });
          ({ decision, catalog, tokens } = next);
          continue;
        }
      }
      throw new GearboxError(
        ErrorCodes.ProviderError,
        `${answer.model} did not return a code block for this refactor (${answer.error}); ` +
          'try again or pick a stronger model',
        { text: answer.text },
      );
    }
  }

  /** One routed refactor answer: the result, or why it holds no code block when it must. */
  private async refactorAnswer(
    params: RefactorParams,
    req: FallbackRequest,
  ): Promise<
    { ok: true; result: Omit<RefactorResult, 'requestId'> } | { ok: false; model: string; error: string; text: string }
  > {
    let out: Awaited<ReturnType<FallbackRunner['run']>>;
    try {
      out = await this.run(req);
    } catch (err) {
      if (err instanceof AnswerAbandoned) return { ok: false, model: err.model, error: err.why, text: err.partialText };
      throw err;
    }
    let edits: RefactorResult['edits'] = [];
    let explanation = out.text;
    if (req.watch) {
      const block = firstCodeBlock(out.text);
      if (block === undefined) {
        const why =
          out.usage.outputTokens >= req.maxTokens ? `its ${req.maxTokens}-token budget ran out` : 'none in the answer';
        return { ok: false, model: out.model, error: why, text: out.text };
      }
      edits = [{ range: params.range, newText: block }];
      explanation = proseAround(out.text);
    }
    return {
      ok: true,
      result: {
        edits,
        explanation,
        model: out.model,
        provider: out.provider,
        route: req.decision,
        usage: out.usage,
        costUsd: out.costUsd,
        latencyMs: out.latencyMs,
      },
    };
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
      /** The document: privatePaths apply to its path, the .env rules to its name. */
      uri: string;
      /** The prompt's parts (completion-context.ts): the document's text around the cursor... */
      filePrefix: string;
      suffix: string;
      /** ...and recent edits in other files, oldest first. */
      context: readonly ContextSnippet[];
      multiline: boolean;
      languageId?: string;
      fileName?: string;
      /** Default: 128 tokens multi-line, 48 single-line (inline completion). */
      maxTokens?: number;
    },
    ctx: RequestContext,
  ): Promise<{
    text: string;
    model: string;
    usage: Usage;
    route: RouteDecision;
    evaluatedPromptTokens?: number;
    requestId: string;
  }> {
    const prefix = contextHeader(req.context, req.uri) + req.filePrefix;
    // Scanned here (cached line by line), not by route(): this runs at every keystroke.
    const privacy = completionPrivacy(req, ctx, this.completionScans);
    const decided = await this.decide(
      {
        task: 'completion',
        prompt: prefix.slice(-2000),
        languageId: req.languageId,
        ...privacyFacts(ctx, req.uri),
        scanSecrets: false,
        secrets: privacy.secrets,
      },
      ctx.settings,
      ctx.signal,
    );
    const { catalog, tokens } = decided;
    const withheld = privacy.withheld.privatePath + privacy.withheld.secret;
    const decision: Decision = withheld
      ? {
          ...decided.decision,
          reasons: [
            ...decided.decision.reasons,
            {
              feature: 'context-withheld',
              weight: 0,
              detail:
                `${withheld} recent edit${withheld > 1 ? 's' : ''} in other files not sent to cloud models ` +
                `(${privacy.withheld.privatePath} from private paths, ${privacy.withheld.secret} holding secrets)`,
            },
          ],
        }
      : decided.decision;
    ctx.onRoute?.(decision);
    if (!decision.model) throw await this.noModelError('completion', decision);
    const model = catalog.find((m) => m.id === decision.model)!;
    const maxTokens = req.maxTokens ?? (req.multiline ? 128 : 48);
    const requestId = newRequestId();
    const trace: AnswerTrace = {};
    const record = this.recorder(ctx, 'completion', decision, catalog, requestId, trace);
    if (model.local) {
      let r: Awaited<ReturnType<ModelHostApi['complete']>>;
      try {
        await this.opts.modelHost.load(model.id, (phase, p) => ctx.onProgress?.(model.id, phase, p), ctx.signal);
        r = await this.opts.modelHost.complete(
          {
            modelId: model.id,
            sessionKey: req.sessionKey,
            prefix,
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
        record(model, { inputTokens: 0, outputTokens: 0 }, cancelled ? 'cancelled' : 'error', code);
        throw err;
      }
      record(model, r.usage, 'ok');
      this.answered(ctx, 'completion', req.languageId, decision, requestId, trace);
      return {
        text: r.text,
        model: model.id,
        usage: r.usage,
        route: decision,
        evaluatedPromptTokens: r.usage.evaluatedPromptTokens,
        requestId,
      };
    }
    const messages = (p: string, s: string): ChatMessage[] => [
      {
        role: 'system',
        content:
          'You complete code. Reply with only the text that belongs at <CURSOR>, no explanation, no code fences. ' +
          (req.multiline ? 'You may write several lines.' : 'Write at most the rest of the current line.'),
      },
      { role: 'user', content: `${req.fileName ?? 'file'} (${req.languageId ?? 'text'}):\n${p}<CURSOR>${s}` },
    ];
    const out = await this.run({
      task: 'completion',
      decision,
      catalog,
      tokens,
      messages: messages(prefix, req.suffix),
      cloudMessages: messages(privacy.cloud.prefix, privacy.cloud.suffix),
      maxTokens,
      temperature: 0,
      signal: ctx.signal,
      onDelta: () => {},
      onProgress: ctx.onProgress,
      record,
    });
    this.answered(ctx, 'completion', req.languageId, decision, requestId, trace);
    return { text: out.text, model: out.model, usage: out.usage, route: decision, requestId };
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

  /**
   * Records each request that reached a model in the ledger, timed from now; a ledger failure
   * never fails the request.
   */
  private recorder(
    ctx: RequestContext,
    task: TaskKind,
    decision: RouteDecision,
    catalog: ModelInfo[],
    requestId?: string,
    trace?: AnswerTrace,
  ): RecordOutcome {
    const started = Date.now();
    return (model, usage, outcome, errorCode) => {
      const rec = this.ledger.build({
        workspace: ctx.workspace ?? 'cli',
        task,
        model,
        usage,
        latencyMs: Date.now() - started,
        decision,
        outcome,
        errorCode,
        catalog,
        allowedModels: ctx.settings.allowedModels,
        requestId,
      });
      if (trace && outcome === 'ok') Object.assign(trace, { model, saved: rec.costUsd < rec.counterfactualUsd });
      void this.ledger.append(rec).catch((err: Error) => this.log.warn('ledger record failed', { error: err.message }));
    };
  }

  /** An answer the asking connection's feedback may name (see learning/routing-feedback.ts). */
  private answered(
    ctx: RequestContext,
    task: TaskKind,
    language: string | undefined,
    decision: Decision,
    requestId: string,
    trace: AnswerTrace,
  ): void {
    if (!trace.model) return;
    this.learning.answered({
      requestId,
      client: ctx.client,
      workspace: ctx.workspace ?? 'cli',
      task,
      language,
      model: trace.model,
      difficulty: decision.difficulty,
      b: decision.estimatedB ?? 0,
      saved: trace.saved ?? false,
    });
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
      providersWithKeys: this.providers.providersWithKeys(),
    };
  }
}
