// The chat conversation behind the webview: turns, streaming, stop, retries, model pick, history.
// No runtime vscode import: the view (chat-view.ts) injects what it needs, tests inject fakes.
import type * as vscode from 'vscode';
import type { ConnectionState, GearboxClient } from '../client-api';
import {
  ErrorCodes,
  type ChatChunkParams,
  type ChatMessage,
  type ChatParams,
  type ChatResult,
  type CodeContext,
  type ModelInfo,
} from '../../shared/protocol';
import {
  parseWebviewToHost,
  type AnswerRoute,
  type AssistantTurn,
  type ChipRef,
  type ContextBudget,
  type HostToWebview,
  type MentionKind,
  type ModelOption,
  type Turn,
  type UserTurn,
  type WebviewToHost,
} from '../../shared/webview-protocol';
import { sendFeedback } from '../feedback';
import { ChipTray } from './chip-tray';
import { chipBudget, estimateTokens, fitToBudget, rangeChip, type ResolvedChip } from './chips';
import { sliceRange } from './context';
import { trimHistory, type HistoryLimits, type HistoryStore } from './history';

export interface CancellationLike {
  readonly token: vscode.CancellationToken;
  cancel(): void;
  dispose(): void;
}

export type CodeActionKind = 'copyCode' | 'insertCode' | 'applyCode';

/** What a code block action tells the router about the answer it is in. */
const CODE_SIGNAL = { copyCode: 'code-copied', insertCode: 'code-inserted', applyCode: 'code-applied' } as const;

export interface ChatControllerDeps {
  client: Pick<GearboxClient, 'request' | 'log'>;
  store: HistoryStore;
  /** Posts to the webview; returns false (or nothing) when there is no view to receive it. */
  post(message: HostToWebview): unknown;
  newCancellation(): CancellationLike;
  /** The editor's chip with its content (selection or whole file), read when a message is sent. */
  currentContext(): ResolvedChip | undefined;
  /**
   * An @ mention: asks what exactly (a file, a search...) and reads it. A string says why nothing
   * could be added (shown to the user); undefined: the user cancelled.
   */
  pickContext(kind: MentionKind, draft: string | undefined): Promise<ResolvedChip | string | undefined>;
  /** The chips of a stored message read again (a retry after a reload): references → content. */
  resolveRefs(refs: readonly ChipRef[]): Promise<ResolvedChip[]>;
  codeAction(kind: CodeActionKind, code: string, language?: string): void | Promise<void>;
  /** Limits for the history kept in memory and stored. */
  historyLimits?: Partial<HistoryLimits>;
  newId?: () => string;
}

/** The most characters of conversation sent with one request (older turns are left out). */
const MAX_CONVERSATION_CHARS = 400_000;
const MAX_MESSAGES = 400;

interface ActiveStream {
  streamId: string;
  answerId: string;
  cancellation: CancellationLike;
  stopped: boolean;
}

export class ChatController {
  private turns: Turn[];
  /** The chips of the last message: references (what the history keeps) and, in memory, their content. */
  private lastChips: ChipRef[];
  private lastResolved: ResolvedChip[] | undefined;
  private selectedModel: string | null;
  private models: ModelOption[] = [];
  /** Context window per chat model id, from the catalog. */
  private windows = new Map<string, number>();
  private modelsError: string | undefined;
  private active: ActiveStream | undefined;
  private readonly tray = new ChipTray();
  private connection: ConnectionState | undefined;
  private saving: Promise<unknown> = Promise.resolve();
  private counter = 0;
  /** Bumped at each chip count: an answer for an older one is dropped. */
  private countGeneration = 0;
  private readonly newId: () => string;

  constructor(private readonly deps: ChatControllerDeps) {
    const state = deps.store.load();
    this.turns = state.turns;
    this.lastChips = state.lastChips ?? [];
    this.selectedModel = state.selectedModel;
    this.newId =
      deps.newId ??
      (() => `${Date.now().toString(36)}-${(++this.counter).toString(36)}-${Math.random().toString(36).slice(2, 8)}`);
  }

  get streaming(): boolean {
    return this.active !== undefined;
  }
  get conversation(): readonly Turn[] {
    return this.turns;
  }
  get model(): string | null {
    return this.selectedModel;
  }
  /** Resolves when pending history writes are done. */
  flush(): Promise<unknown> {
    return this.saving;
  }

  // ---------- webview messages ----------

  /** Validates and handles a message from the webview; invalid ones are dropped and logged. */
  handleMessage(raw: unknown): void {
    const parsed = parseWebviewToHost(raw);
    if (!parsed.ok) {
      this.deps.client.log.warn(`chat view: dropped invalid message from the webview: ${parsed.error}`);
      return;
    }
    void this.dispatch(parsed.message).catch((err) =>
      this.deps.client.log.error(`chat view: ${(err as Error).message}`),
    );
  }

  private async dispatch(m: WebviewToHost): Promise<void> {
    switch (m.type) {
      case 'ready':
        this.postInit();
        // Keys or endpoints may have changed since the last list: refresh whenever the view loads.
        await this.refreshModels();
        return;
      case 'send':
        await this.send(m.text);
        return;
      case 'stop':
        this.stop();
        return;
      case 'retry':
        await this.retry();
        return;
      case 'retryStronger':
        await this.retry('stronger');
        return;
      case 'selectModel':
        this.selectModel(m.model);
        return;
      case 'removeChip':
        if (this.tray.remove(m.id)) this.postChips();
        return;
      case 'addContext':
        await this.addContext(m.kind, m.draft);
        return;
      case 'newChat':
        this.newChat();
        return;
      case 'refreshModels':
        await this.refreshModels();
        return;
      case 'copyCode':
      case 'insertCode':
      case 'applyCode':
        await this.deps.codeAction(m.type, m.code, m.type === 'applyCode' ? m.language : undefined);
        void sendFeedback(this.deps.client, this.requestIdOf(m.answerId), CODE_SIGNAL[m.type]);
        return;
    }
  }

  postInit(): void {
    this.deps.post({
      type: 'init',
      turns: this.turns,
      models: this.models,
      selectedModel: this.selectedModel,
      chips: this.tray.refs(),
      ...this.budgetField(),
      streaming: this.streaming,
      ...(this.connection ? { connection: this.connection } : {}),
    });
  }

  // ---------- editor context ----------

  /**
   * The editor's attachable context changed (`key` identifies it: uri + selection). A chip the user
   * removed stays removed until the selection or the editor changes.
   */
  editorContextChanged(key: string, chip: ChipRef | null): void {
    if (this.tray.editorChanged(key, chip)) this.postChips();
  }

  /** An @ mention from the input: the chip it resolves to joins the tray, or the user is told why not. */
  async addContext(kind: MentionKind, draft?: string): Promise<void> {
    let picked: ResolvedChip | string | undefined;
    try {
      picked = await this.deps.pickContext(kind, draft);
    } catch (err) {
      picked = `Could not add @${kind}: ${(err as Error).message}`;
    }
    if (picked === undefined) return;
    if (typeof picked === 'string') {
      this.postChips(picked);
      return;
    }
    this.tray.add(picked);
    this.postChips();
    void this.countChips();
  }

  /**
   * The added chips' sizes in the tokens of the model they must fit, as the daemon counts them (Auto:
   * the largest count over the models it may pick); the estimate stands until the answer comes.
   */
  private async countChips(): Promise<void> {
    const generation = ++this.countGeneration;
    const model = this.selectedModel ?? undefined;
    let changed = false;
    await Promise.all(
      this.tray.addedChips().map(async (c) => {
        try {
          const r = await this.deps.client.request('gearbox/tokens/count', {
            texts: c.items.map((i) => i.text),
            ...(model ? { model } : {}),
          });
          // A newer count (another model picked, another chip added) or a chip gone: this one is stale.
          if (generation !== this.countGeneration || !this.tray.addedChips().includes(c)) return;
          if (c.ref.tokens === r.tokens) return;
          c.ref = { ...c.ref, tokens: r.tokens };
          changed = true;
        } catch (err) {
          this.deps.client.log.warn(`chat view: counting a chip's tokens failed: ${(err as Error).message}`);
        }
      }),
    );
    if (changed && generation === this.countGeneration) this.postChips();
  }

  private postChips(notice?: string): void {
    this.deps.post({ type: 'chips', chips: this.tray.refs(), ...this.budgetField(), ...(notice ? { notice } : {}) });
  }

  /** The model whose window the chips must fit: the picked one, else (Auto) the largest available. */
  private budgetModel(): { model: string; window: number } | undefined {
    if (this.selectedModel) {
      const w = this.windows.get(this.selectedModel);
      return w ? { model: this.selectedModel, window: w } : undefined;
    }
    let best: { model: string; window: number } | undefined;
    for (const m of this.models) {
      const w = this.windows.get(m.id);
      if (m.available && w && (!best || w > best.window)) best = { model: m.id, window: w };
    }
    return best;
  }

  /** Tokens the chips may take with the conversation so far, for the model they must fit. */
  private chipLimit(): { model: string; limit: number } | undefined {
    const m = this.budgetModel();
    if (!m) return undefined;
    const conversation = buildMessages(this.turns).reduce((n, x) => n + estimateTokens(x.content), 0);
    return { model: m.model, limit: chipBudget(m.window, conversation) };
  }

  private budgetField(): { budget?: ContextBudget } {
    const limit = this.chipLimit();
    if (!limit) return {};
    const tokens = this.tray.refs().reduce((n, c) => n + c.tokens, 0);
    return { budget: { tokens, limit: limit.limit, model: limit.model } };
  }

  setConnection(state: ConnectionState): void {
    const was = this.connection;
    this.connection = state;
    this.deps.post({ type: 'connection', state });
    if (state === 'running' && was !== 'running') void this.refreshModels();
  }

  // ---------- models ----------

  async refreshModels(): Promise<void> {
    try {
      const { models } = await this.deps.client.request('gearbox/models', { task: 'chat' });
      const chat = models.filter((m) => m.tasks.includes('chat'));
      this.models = chat.map(toOption);
      this.windows = new Map(chat.map((m) => [m.id, m.contextWindow]));
      this.modelsError = undefined;
    } catch (err) {
      this.modelsError = (err as Error).message || 'could not list models';
      this.deps.client.log.warn(`chat view: gearbox/models failed: ${this.modelsError}`);
    }
    this.deps.post({
      type: 'models',
      models: this.models,
      selectedModel: this.selectedModel,
      ...(this.modelsError ? { error: this.modelsError } : {}),
    });
  }

  selectModel(model: string | null): void {
    this.selectedModel = model && model !== 'auto' ? model : null;
    this.persist();
    // Another model, another window and another tokenizer: the chips' budget and sizes follow.
    this.postChips();
    void this.countChips();
  }

  // ---------- conversation ----------

  /**
   * Sends a user message with the tray's chips (the editor's, read now, and the @ ones); with
   * `context` given (a command's, e.g. Explain) that code is sent instead of the editor's chip.
   * `maxTokens` bounds the answer (the editor's Explain asks for a short one), also when it is retried.
   */
  async send(text: string, context?: CodeContext, maxTokens?: number): Promise<void> {
    const message = text.trim();
    if (!message) return;
    if (this.active) this.stop();
    const editor = context
      ? chipOfContext(this.newId(), context)
      : this.tray.hasEditorChip
        ? this.deps.currentContext()
        : undefined;
    const chips = [...(editor ? [editor] : []), ...this.tray.addedChips()];
    this.tray.clearAdded();
    const turn: UserTurn = {
      id: this.newId(),
      role: 'user',
      text: message,
      ...(chips.length ? { chips: chips.map((c) => c.ref) } : {}),
      ...(this.selectedModel ? { model: this.selectedModel } : {}),
      ...(maxTokens !== undefined ? { maxTokens } : {}),
    };
    this.turns.push(turn);
    this.lastChips = chips.map((c) => c.ref);
    this.lastResolved = chips;
    this.deps.post({ type: 'turn', turn });
    this.postChips();
    await this.answer(turn);
  }

  /** Re-sends the last user turn (replacing the answers after it), optionally with a hint. */
  async retry(hint?: 'stronger'): Promise<void> {
    if (this.active) this.stop();
    let idx = -1;
    for (let i = this.turns.length - 1; i >= 0; i--) {
      if (this.turns[i]!.role === 'user') {
        idx = i;
        break;
      }
    }
    if (idx < 0) {
      this.deps.client.log.info('chat view: nothing to retry');
      return;
    }
    // "Retry with a stronger model": the answer it replaces was not good enough.
    if (hint === 'stronger') {
      const last = this.turns.slice(idx + 1).findLast((t) => t.role === 'assistant');
      void sendFeedback(this.deps.client, last?.role === 'assistant' ? last.requestId : undefined, 'retried-stronger');
    }
    const removed = this.turns.splice(idx + 1);
    if (removed.length) this.deps.post({ type: 'removeTurns', ids: removed.map((t) => t.id) });
    const user = this.turns[idx] as UserTurn;
    const updated: UserTurn = { ...user, ...(hint ? { hint } : {}) };
    if (this.selectedModel) updated.model = this.selectedModel;
    else delete updated.model;
    if (!hint) delete updated.hint;
    this.turns[idx] = updated;
    this.deps.post({ type: 'turn', turn: updated });
    await this.answer(updated, hint);
  }

  stop(): void {
    const a = this.active;
    if (!a || a.stopped) return;
    a.stopped = true;
    a.cancellation.cancel();
  }

  newChat(): void {
    this.stop();
    this.active = undefined;
    this.turns = [];
    this.lastChips = [];
    this.lastResolved = undefined;
    this.postInit();
    this.persist();
  }

  /** Handler for gearbox/chatChunk notifications. */
  onChunk(p: ChatChunkParams): void {
    const a = this.active;
    if (!a || p.streamId !== a.streamId) return;
    const turn = this.findAnswer(a.answerId);
    if (!turn) return;
    turn.text += p.delta;
    if (p.model && !turn.model) turn.model = p.model;
    this.deps.post({ type: 'chunk', id: turn.id, delta: p.delta, ...(p.model ? { model: p.model } : {}) });
  }

  private async answer(user: UserTurn, hint?: 'stronger'): Promise<void> {
    // The last message's chips: in memory since it was sent, else (after a reload) read again.
    const chips = this.lastResolved ?? (this.lastChips.length ? await this.deps.resolveRefs(this.lastChips) : []);
    this.lastResolved = chips;
    const messages = buildMessages(this.turns);
    const limit = this.chipLimit();
    const fitted = limit
      ? fitToBudget(chips, limit.limit, limit.model)
      : { items: chips.flatMap((c) => c.items), notice: undefined };
    if ((user.notice ?? undefined) !== fitted.notice) {
      const { notice: _old, ...rest } = user;
      const updated: UserTurn = { ...rest, ...(fitted.notice ? { notice: fitted.notice } : {}) };
      const i = this.turns.findIndex((t) => t.id === user.id);
      if (i >= 0) this.turns[i] = updated;
      this.deps.post({ type: 'turn', turn: updated });
    }
    const answer: AssistantTurn = { id: this.newId(), role: 'assistant', text: '', status: 'streaming' };
    this.turns.push(answer);
    const cancellation = this.deps.newCancellation();
    const active: ActiveStream = { streamId: answer.id, answerId: answer.id, cancellation, stopped: false };
    this.active = active;
    this.deps.post({ type: 'turn', turn: answer });
    this.deps.post({ type: 'streaming', streaming: true });
    this.persist();

    const params: ChatParams = {
      streamId: active.streamId,
      messages,
      ...(fitted.items.length ? { contextItems: fitted.items } : {}),
      ...(user.model ? { model: user.model } : {}),
      ...(hint ? { hint } : {}),
      ...(user.maxTokens !== undefined ? { maxTokens: user.maxTokens } : {}),
    };
    let final: AssistantTurn;
    try {
      const result = await this.deps.client.request('gearbox/chat', params, cancellation.token);
      final = { ...this.currentAnswer(answer), ...fromResult(result), status: 'done' };
    } catch (err) {
      final = this.fromError(
        this.currentAnswer(answer),
        err,
        active.stopped || cancellation.token.isCancellationRequested,
      );
    } finally {
      cancellation.dispose();
    }
    const i = this.turns.findIndex((t) => t.id === answer.id);
    if (i >= 0) {
      this.turns[i] = final;
      this.deps.post({ type: 'turn', turn: final });
    }
    if (this.active === active) {
      this.active = undefined;
      this.deps.post({ type: 'streaming', streaming: false });
    }
    this.trimInMemory();
    this.persist();
  }

  /** The daemon's request id of an answer in this conversation. */
  private requestIdOf(answerId: string | undefined): string | undefined {
    const t = answerId === undefined ? undefined : this.turns.find((x) => x.id === answerId);
    return t?.role === 'assistant' ? t.requestId : undefined;
  }

  private currentAnswer(answer: AssistantTurn): AssistantTurn {
    return this.findAnswer(answer.id) ?? answer;
  }

  private findAnswer(id: string): AssistantTurn | undefined {
    const t = this.turns.find((x) => x.id === id);
    return t && t.role === 'assistant' ? t : undefined;
  }

  private fromError(answer: AssistantTurn, err: unknown, cancelled: boolean): AssistantTurn {
    const e = (err ?? {}) as { code?: unknown; message?: unknown; data?: unknown };
    const code = typeof e.code === 'number' ? e.code : undefined;
    const message = typeof e.message === 'string' && e.message ? e.message : String(err);
    const data = (e.data && typeof e.data === 'object' ? e.data : {}) as {
      partialText?: unknown;
      model?: unknown;
      route?: unknown;
    };
    if (cancelled || code === ErrorCodes.RequestCancelled) {
      return { ...answer, status: 'stopped' };
    }
    const route = toRoute(data.route);
    // The daemon died or the model host crashed mid-answer: what arrived is kept, marked for retry.
    const lost =
      code === ErrorCodes.ModelHostCrashed ||
      code === ErrorCodes.PendingResponseRejected ||
      code === ErrorCodes.ConnectionInactive ||
      (code === undefined && /connection|disposed|closed|socket/i.test(message));
    if (code === ErrorCodes.StreamInterrupted || lost) {
      const partial = typeof data.partialText === 'string' ? data.partialText : '';
      return {
        ...answer,
        text: partial.length >= answer.text.length ? partial : answer.text,
        status: 'interrupted',
        ...(typeof data.model === 'string' ? { model: data.model } : {}),
        error: { message, code },
      };
    }
    this.deps.client.log.warn(`chat failed: ${message}`);
    return {
      ...answer,
      status: 'error',
      error: { message, ...(code !== undefined ? { code } : {}) },
      ...(route ? { route } : {}),
    };
  }

  private trimInMemory(): void {
    const before = this.turns;
    const trimmed = trimHistory(
      { turns: before, selectedModel: this.selectedModel, lastChips: this.lastChips },
      this.deps.store.limits,
    );
    if (trimmed.turns.length === before.length) return;
    const kept = new Set(trimmed.turns.map((t) => t.id));
    const removed = before.filter((t) => !kept.has(t.id) && t.id !== this.active?.answerId);
    this.turns = before.filter((t) => !removed.includes(t));
    if (removed.length) this.deps.post({ type: 'removeTurns', ids: removed.map((t) => t.id) });
  }

  private persist(): void {
    const snapshot = {
      turns: [...this.turns],
      selectedModel: this.selectedModel,
      ...(this.lastChips.length ? { lastChips: this.lastChips } : {}),
    };
    this.saving = this.saving
      .then(() => this.deps.store.save(snapshot))
      .catch((err) => this.deps.client.log.warn(`chat view: could not save history: ${(err as Error).message}`));
  }
}

// ---------- helpers ----------

function toOption(m: ModelInfo): ModelOption {
  return {
    id: m.id,
    label: `${m.displayName}${m.local ? ' (local)' : ''}`,
    available: m.available,
    ...(m.unavailableReason ? { unavailableReason: m.unavailableReason } : {}),
    local: m.local,
  };
}

function toRoute(r: unknown): AnswerRoute | undefined {
  if (!r || typeof r !== 'object') return undefined;
  const d = r as Partial<ChatResult['route']>;
  if (typeof d.summary !== 'string') return undefined;
  return {
    summary: d.summary,
    reasons: Array.isArray(d.reasons) ? d.reasons.slice(0, 200) : [],
    rejected: Array.isArray(d.rejected) ? d.rejected.slice(0, 500) : [],
    ...(typeof d.pinned === 'boolean' ? { pinned: d.pinned } : {}),
    ...(typeof d.difficulty === 'number' ? { difficulty: d.difficulty } : {}),
    ...(typeof d.requiredTier === 'number' ? { requiredTier: d.requiredTier } : {}),
  };
}

function fromResult(r: ChatResult): Partial<AssistantTurn> {
  return {
    text: r.text,
    model: r.model,
    provider: r.provider,
    route: toRoute(r.route),
    usage: r.usage,
    costUsd: r.costUsd,
    latencyMs: r.latencyMs,
    ...(r.attempts.length ? { attempts: r.attempts.slice(0, 50) } : {}),
    ...(r.requestId ? { requestId: r.requestId } : {}),
  };
}

/** A command's code context (Explain) as a chip: the selection's text, or the text as sent. */
export function chipOfContext(id: string, ctx: CodeContext): ResolvedChip | undefined {
  const text = ctx.text ?? '';
  const part = ctx.selection ? sliceRange(text, ctx.selection) : text;
  if (!part.trim()) return undefined;
  const label = contextLabel(ctx);
  const path = label.replace(/:\d+(-\d+)?$/, '');
  const range = ctx.selection ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
  const f = {
    uri: ctx.uri ?? 'untitled:code',
    path,
    text: part,
    ...(ctx.languageId ? { languageId: ctx.languageId } : {}),
  };
  const chip = rangeChip(id, 'selection', f, range);
  return {
    ref: { ...chip.ref, label, ...(ctx.uri ? {} : { uris: [] }) },
    items: chip.items.map((i) => ({ ...i, label, ...(ctx.uri ? {} : { uri: undefined }) })),
  };
}

/** Label for a context given by a command (no editor state): "file.ts:3-9" or "file.ts". */
export function contextLabel(ctx: CodeContext): string {
  const name = ctx.uri
    ? decodeURIComponent(
        ctx.uri
          .replace(/[?#].*$/, '')
          .split('/')
          .pop() || 'code',
      )
    : 'code';
  const s = ctx.selection;
  if (!s || (s.start.line === s.end.line && s.start.character === s.end.character)) return name;
  const last = s.end.character === 0 && s.end.line > s.start.line ? s.end.line - 1 : s.end.line;
  return s.start.line === last ? `${name}:${s.start.line + 1}` : `${name}:${s.start.line + 1}-${last + 1}`;
}

/**
 * The conversation for a request: user turns and the answers the user saw (failed answers without
 * text are left out; consecutive user turns are merged), newest kept within MAX_CONVERSATION_CHARS.
 */
export function buildMessages(turns: readonly Turn[], maxChars = MAX_CONVERSATION_CHARS): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const t of turns) {
    let content: string;
    let role: 'user' | 'assistant';
    if (t.role === 'user') {
      content = t.text;
      role = 'user';
    } else {
      if (t.status === 'streaming' || !t.text.trim()) continue;
      content = t.text;
      role = 'assistant';
    }
    const prev = out[out.length - 1];
    if (prev && prev.role === role) prev.content += `\n\n${content}`;
    else out.push({ role, content });
  }
  // Keep the newest messages within the budget; the last (the question) always goes.
  let total = 0;
  let start = out.length;
  while (start > 0) {
    const len = out[start - 1]!.content.length;
    if (start < out.length && (total + len > maxChars || out.length - start >= MAX_MESSAGES)) break;
    total += len;
    start--;
  }
  const kept = out.slice(start);
  // A conversation starts with the user.
  while (kept.length > 1 && kept[0]!.role !== 'user') kept.shift();
  const last = kept[kept.length - 1];
  if (last && last.content.length > maxChars) last.content = last.content.slice(-maxChars);
  return kept;
}
