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
  type ContextChip,
  type HostToWebview,
  type ModelOption,
  type Turn,
  type UserTurn,
  type WebviewToHost,
} from '../../shared/webview-protocol';
import type { AttachedContext } from './context';
import { trimHistory, type HistoryLimits, type HistoryStore } from './history';

export interface CancellationLike {
  readonly token: vscode.CancellationToken;
  cancel(): void;
  dispose(): void;
}

export type CodeActionKind = 'copyCode' | 'insertCode' | 'applyCode';

export interface ChatControllerDeps {
  client: Pick<GearboxClient, 'request' | 'log'>;
  store: HistoryStore;
  /** Posts to the webview; returns false (or nothing) when there is no view to receive it. */
  post(message: HostToWebview): unknown;
  newCancellation(): CancellationLike;
  /** The code currently attached from the editor (selection or whole file), built on demand. */
  currentContext(): AttachedContext | undefined;
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
  private lastContext: CodeContext | undefined;
  private selectedModel: string | null;
  private models: ModelOption[] = [];
  private modelsError: string | undefined;
  private active: ActiveStream | undefined;
  private chip: ContextChip | null = null;
  private chipKey = '';
  private contextRemoved = false;
  private connection: ConnectionState | undefined;
  private saving: Promise<unknown> = Promise.resolve();
  private counter = 0;
  private readonly newId: () => string;

  constructor(private readonly deps: ChatControllerDeps) {
    const state = deps.store.load();
    this.turns = state.turns;
    this.lastContext = state.lastContext;
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
  /** The code context sent with the last request (for Apply to Selection without a selection). */
  get lastRequestContext(): CodeContext | undefined {
    return this.lastContext;
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
      case 'removeContext':
        this.contextRemoved = true;
        this.chip = null;
        this.deps.post({ type: 'context', context: null });
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
        return;
    }
  }

  postInit(): void {
    this.deps.post({
      type: 'init',
      turns: this.turns,
      models: this.models,
      selectedModel: this.selectedModel,
      context: this.chip,
      streaming: this.streaming,
      ...(this.connection ? { connection: this.connection } : {}),
    });
  }

  // ---------- editor context ----------

  /**
   * The editor's attachable context changed (`key` identifies it: uri + selection). A chip the user
   * removed stays removed until the selection or the editor changes.
   */
  editorContextChanged(key: string, chip: ContextChip | null): void {
    if (key !== this.chipKey) {
      this.chipKey = key;
      this.contextRemoved = false;
    }
    const next = this.contextRemoved ? null : chip;
    if (JSON.stringify(next) === JSON.stringify(this.chip)) return;
    this.chip = next;
    this.deps.post({ type: 'context', context: next });
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
      this.models = models.filter((m) => m.tasks.includes('chat')).map(toOption);
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
  }

  // ---------- conversation ----------

  /** Sends a user message: with `context` given it is used instead of the editor's chip. */
  async send(text: string, context?: CodeContext, chip?: ContextChip): Promise<void> {
    const message = text.trim();
    if (!message) return;
    if (this.active) this.stop();
    let attached: AttachedContext | undefined;
    if (context) attached = { context, chip: chip ?? { label: contextLabel(context) } };
    else if (!this.contextRemoved && this.chip) attached = this.deps.currentContext();
    const turn: UserTurn = {
      id: this.newId(),
      role: 'user',
      text: message,
      ...(attached ? { context: attached.chip } : {}),
      ...(this.selectedModel ? { model: this.selectedModel } : {}),
    };
    this.turns.push(turn);
    this.lastContext = attached?.context;
    this.deps.post({ type: 'turn', turn });
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
    this.lastContext = undefined;
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
    const messages = buildMessages(this.turns);
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
      ...(this.lastContext ? { context: this.lastContext } : {}),
      ...(user.model ? { model: user.model } : {}),
      ...(hint ? { hint } : {}),
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
      { turns: before, selectedModel: this.selectedModel, lastContext: this.lastContext },
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
      ...(this.lastContext ? { lastContext: this.lastContext } : {}),
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
