// The work on a loaded model's sequences in the model host (runs in the child): one long-lived sequence
// per session (client + file) so that successive completions of a file reuse the KV cache of their
// shared prefix, FIM and plain completion on it, prefill of it after an edit, and chat on a fresh sequence.
import type { ChatHistoryItem, ChatWrapper, LlamaCompletion, LlamaContextSequence, Token } from 'node-llama-cpp';
import { ErrorCodes } from '../../shared/protocol';
import { GearboxError } from '../gearbox-error';
import { CACHE_REUSE_MIN_CHUNK, planKvReuse } from './kv-reuse';
import type {
  ChatMessageRequest,
  ChatResult,
  CompleteMessage,
  CompleteResult,
  PrefillMessage,
  PrefillResult,
} from './messages';
import type { LoadedModel, LogFn, ModelLoader, ProgressFn } from './model-loader';

/** Runs tasks one at a time, in call order: a sequence can only generate one thing at once. */
class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => {});
    return result;
  }
}

interface Session {
  key: string;
  sequence: LlamaContextSequence;
  completion: LlamaCompletion;
  lastUsed: number;
  /** Requests queued or running on this session; a busy session is never evicted. */
  busy: number;
  mutex: Mutex;
  /** Stops a background prefill of this session: a real request never waits behind a stale one. */
  prefillAbort?: AbortController;
}

/** What this module keeps per loaded model, next to the loader's own record of it. */
interface ModelSequences {
  sessions: Map<string, Session>;
  /** Woken whenever a sequence goes back to the context. */
  waiters: (() => void)[];
  /** Resolved on first chat: matching the Jinja template against known wrappers takes about a second. */
  chatWrapper?: ChatWrapper;
}

export class Sequences {
  private readonly perModel = new WeakMap<LoadedModel, ModelSequences>();

  constructor(
    private readonly loader: ModelLoader,
    private readonly log: LogFn,
  ) {
    loader.onUnload({
      unloading: (m) => {
        const state = this.perModel.get(m);
        if (!state) return;
        for (const s of state.sessions.values()) s.completion.dispose({ disposeSequence: false });
        state.sessions.clear();
      },
      unloaded: (m) => {
        const state = this.perModel.get(m);
        if (state) this.wake(state);
      },
    });
  }

  private of(m: LoadedModel): ModelSequences {
    let state = this.perModel.get(m);
    if (!state) this.perModel.set(m, (state = { sessions: new Map(), waiters: [] }));
    return state;
  }

  /** Sessions kept on the model's sequences (for the host status). */
  sessionCount(m: LoadedModel): number {
    return this.perModel.get(m)?.sessions.size ?? 0;
  }

  private wake(state: ModelSequences): void {
    for (const wake of state.waiters.splice(0)) wake();
  }

  /** A free sequence, evicting the least recently used idle session when all are taken. */
  private async acquireSequence(m: LoadedModel, signal: AbortSignal): Promise<LlamaContextSequence> {
    const state = this.of(m);
    for (;;) {
      if (signal.aborted) throw signal.reason;
      if (m.context.disposed) throw new GearboxError(ErrorCodes.ModelLoadFailed, `Model ${m.config.id} was unloaded`);
      if (m.context.sequencesLeft > 0) return m.context.getSequence();
      let lru: Session | undefined;
      for (const s of state.sessions.values()) if (s.busy === 0 && (!lru || s.lastUsed < lru.lastUsed)) lru = s;
      if (lru) {
        state.sessions.delete(lru.key);
        lru.completion.dispose({ disposeSequence: false });
        await lru.sequence.dispose();
        this.log('debug', 'evicted session', { model: m.config.id, session: lru.key });
        continue;
      }
      await new Promise<void>((resolve) => {
        const wake = () => {
          signal.removeEventListener('abort', wake);
          resolve();
        };
        state.waiters.push(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
    }
  }

  /** Ends one request's hold on a session; the last one out lets waiters at the sequences. */
  private leave(m: LoadedModel, s: Session): void {
    s.busy--;
    s.lastUsed = Date.now();
    if (s.busy === 0) this.wake(this.of(m));
  }

  async complete(
    req: CompleteMessage['req'],
    onDelta: (text: string) => void,
    signal: AbortSignal,
    onProgress?: ProgressFn,
  ): Promise<CompleteResult> {
    return this.loader.use(req.modelId, onProgress, async (m) => {
      const s = await this.takeSession(m, req.sessionKey, signal);
      // What a prefill already evaluated stays in the KV cache; the rest is this request's to do.
      s.prefillAbort?.abort();
      try {
        return await s.mutex.run(() => runCompletion(m, s, req, onDelta, signal));
      } finally {
        this.leave(m, s);
      }
    });
  }

  /**
   * The long-lived session of a (client, file), created on a free sequence when it has none, marked
   * busy in the same tick it is found (an idle session can be evicted at any await); the caller
   * decrements `busy` when done.
   */
  private async takeSession(m: LoadedModel, key: string, signal: AbortSignal): Promise<Session> {
    const state = this.of(m);
    const found = state.sessions.get(key);
    if (found) {
      found.busy++;
      return found;
    }
    const nlc = await this.loader.getNlc();
    const sequence = await this.acquireSequence(m, signal);
    // another request for the same key may have created it while we waited
    const existing = state.sessions.get(key);
    if (existing) {
      existing.busy++;
      await sequence.dispose();
      this.wake(state);
      return existing;
    }
    const created: Session = {
      key,
      sequence,
      completion: new nlc.LlamaCompletion({ contextSequence: sequence }),
      lastUsed: Date.now(),
      busy: 1,
      mutex: new Mutex(),
    };
    state.sessions.set(key, created);
    return created;
  }

  /**
   * Evaluates a completion prompt into the session's KV cache without generating (llama.vim's
   * `n_predict: 0`), so the completion request that follows an edit only evaluates what changed
   * after it. Runs only on a loaded model and an idle session, in small chunks: a real request
   * for the session stops it at the next chunk, keeping what was evaluated.
   */
  async prefill(req: PrefillMessage['req'], signal: AbortSignal): Promise<PrefillResult> {
    const m = this.loader.loaded(req.modelId);
    if (!m || m.context.disposed) return { evaluatedTokens: 0, skipped: 'model not loaded' };
    const existing = this.of(m).sessions.get(req.sessionKey);
    // A completion running or queued on the session comes first; an older prefill gives way.
    if (existing && existing.busy > (existing.prefillAbort ? 1 : 0))
      return { evaluatedTokens: 0, skipped: 'session busy' };
    // Never evict another file's warm session for a guess: only a free sequence or this file's own.
    if (!existing && m.context.sequencesLeft === 0) return { evaluatedTokens: 0, skipped: 'no free sequence' };
    return this.loader.use(req.modelId, undefined, async () => {
      const s = await this.takeSession(m, req.sessionKey, signal);
      // Checked again now that the session is ours: a request may have taken it meanwhile.
      if (s.busy - 1 > (s.prefillAbort ? 1 : 0)) {
        s.busy--;
        return { evaluatedTokens: 0, skipped: 'session busy' };
      }
      s.prefillAbort?.abort();
      const abort = new AbortController();
      s.prefillAbort = abort;
      const stop = () => abort.abort();
      signal.addEventListener('abort', stop, { once: true });
      try {
        return await s.mutex.run(() => runPrefill(m, s, req, abort.signal));
      } finally {
        signal.removeEventListener('abort', stop);
        if (s.prefillAbort === abort) s.prefillAbort = undefined;
        this.leave(m, s);
      }
    });
  }

  async chat(
    req: ChatMessageRequest['req'],
    onDelta: (text: string) => void,
    signal: AbortSignal,
    onProgress?: ProgressFn,
  ): Promise<ChatResult> {
    return this.loader.use(req.modelId, onProgress, async (m) => {
      const nlc = await this.loader.getNlc();
      const state = this.of(m);
      if (!state.chatWrapper) {
        state.chatWrapper = nlc.resolveChatWrapper(m.model);
        this.log('debug', 'chat wrapper resolved', { model: m.config.id, chatWrapper: state.chatWrapper.wrapperName });
      }
      const chatWrapper = state.chatWrapper;
      // A fresh sequence per chat: a chat shares no prefix with a file's completions worth keeping.
      const sequence = await this.acquireSequence(m, signal);
      const chat = new nlc.LlamaChat({ contextSequence: sequence, chatWrapper });
      try {
        const history = toChatHistory(req.messages);
        const promptTokens = chatWrapper
          .generateContextState({ chatHistory: history })
          .contextText.tokenize(m.model.tokenizer).length;
        let outputTokens = 0;
        const res = await chat.generateResponse(history, {
          maxTokens: answerBudget(req.maxTokens, promptTokens, sequence.contextSize),
          temperature: req.temperature ?? 0.7,
          signal,
          onTextChunk: (text) => {
            if (text) onDelta(text);
          },
          onToken: (tokens) => {
            outputTokens += tokens.length;
          },
        });
        return {
          text: res.response,
          usage: { inputTokens: promptTokens, outputTokens, evaluatedPromptTokens: promptTokens },
        };
      } finally {
        chat.dispose({ disposeSequence: false });
        await sequence.dispose();
        this.wake(state);
      }
    });
  }

  /** Drops the sessions whose key starts with the prefix (a client disconnected or closed a file). */
  async releaseSession(prefix: string): Promise<number> {
    let released = 0;
    for (const m of this.loader.loadedModels()) {
      const state = this.perModel.get(m);
      if (!state) continue;
      for (const s of [...state.sessions.values()]) {
        if (!s.key.startsWith(prefix)) continue;
        state.sessions.delete(s.key);
        released++;
        // A running request keeps its sequence until it ends; then it goes back to the pool.
        void s.mutex.run(async () => {
          s.completion.dispose({ disposeSequence: false });
          await s.sequence.dispose();
          this.wake(state);
        });
      }
    }
    return released;
  }
}

async function runPrefill(
  m: LoadedModel,
  s: Session,
  req: PrefillMessage['req'],
  signal: AbortSignal,
): Promise<PrefillResult> {
  if (signal.aborted) return { evaluatedTokens: 0, skipped: 'cancelled' };
  const seq = s.sequence;
  const tokens = promptTokens(m, s, req.prefix, req.suffix);
  // The request that follows decodes the last prompt token itself (to sample from it): leave it.
  tokens.pop();
  if (tokens.length === 0 || tokens.length >= seq.contextSize)
    return { evaluatedTokens: 0, skipped: 'prompt does not fit' };
  await reuseCache(m, seq, tokens);
  await seq.adaptStateToTokens(tokens, false);
  let evaluated = 0;
  const CHUNK = 64;
  while (seq.nextTokenIndex < tokens.length) {
    if (signal.aborted) return { evaluatedTokens: evaluated, skipped: 'cancelled' };
    const chunk = tokens.slice(seq.nextTokenIndex, seq.nextTokenIndex + CHUNK);
    await seq.evaluateWithoutGeneratingNewTokens(chunk, { evaluationPriority: 1 });
    evaluated += chunk.length;
  }
  return { evaluatedTokens: evaluated };
}

/** The token layout LlamaCompletion builds for a prompt ([BOS] PRE prefix SUF suffix MID, or the plain prefix). */
function promptTokens(m: LoadedModel, s: Session, prefix: string, suffix: string | undefined): Token[] {
  const tokenize = (text: string): Token[] => m.model.tokenize(text, false, 'trimLeadingSpace');
  const infill = suffix !== undefined && s.completion.infillSupported;
  return layoutTokens(m, infill, tokenize(prefix), infill ? tokenize(suffix ?? '') : []);
}

function layoutTokens(m: LoadedModel, infill: boolean, prefix: Token[], suffix: Token[]): Token[] {
  const t = m.model.tokens;
  const bos: Token[] = t.shouldPrependBosToken && t.bos != null ? [t.bos] : [];
  if (!infill) return [...bos, ...prefix];
  const pre = t.infill.prefix!;
  const suf = t.infill.suffix!;
  if (t.infill.middle != null) return [...bos, pre, ...prefix, suf, ...suffix, t.infill.middle];
  return [...bos, suf, ...suffix, pre, ...prefix];
}

/**
 * Keeps the cached chunks of the new prompt that moved down (lines deleted above them, the prefix
 * window slid down) by erasing what lies between them: node-llama-cpp's eraseContextTokenRanges
 * shifts the tokens after each erased range (a RoPE shift of their KV cells, no decode). Returns
 * the tokens kept that a prefix match alone would have decoded again. Models whose cache cannot
 * shift (recurrent ones, deepseek2's) keep only the common prefix, as before.
 */
async function reuseCache(m: LoadedModel, seq: LlamaContextSequence, tokens: readonly Token[]): Promise<number> {
  const { model } = m;
  // A prompt over the context is cut by LlamaCompletion into another layout than this one.
  if (tokens.length >= seq.contextSize) return 0;
  if (model.fileInsights.isRecurrent || model.fileInfo.metadata?.general?.architecture === 'deepseek2') return 0;
  const plan = planKvReuse(seq.contextTokens, tokens, CACHE_REUSE_MIN_CHUNK);
  if (plan.reused === 0) return 0;
  await seq.eraseContextTokenRanges(plan.erase);
  return plan.reused;
}

async function runCompletion(
  m: LoadedModel,
  s: Session,
  req: CompleteMessage['req'],
  onDelta: (text: string) => void,
  signal: AbortSignal,
): Promise<CompleteResult> {
  if (signal.aborted) throw signal.reason;
  const { model } = m;
  const seq = s.sequence;
  const infill = req.suffix !== undefined && s.completion.infillSupported;
  // Same tokenisation as LlamaCompletion, so the prompt length is exact.
  const tokenize = (text: string): Token[] => model.tokenize(text, false, 'trimLeadingSpace');
  const bos = model.tokens.shouldPrependBosToken && model.tokens.bos != null ? 1 : 0;
  const prefixTokens = tokenize(req.prefix);
  const suffixTokens = infill ? tokenize(req.suffix ?? '') : [];
  const specials = infill ? 2 + (model.tokens.infill.middle != null ? 1 : 0) : 0;
  const promptTokens = Math.min(bos + specials + prefixTokens.length + suffixTokens.length, seq.contextSize);
  // Before the meter starts: node-llama-cpp meters a shift as input tokens, though nothing is decoded.
  // The last token is the request's own to decode (it samples from it).
  await reuseCache(m, seq, layoutTokens(m, infill, prefixTokens, suffixTokens).slice(0, -1));

  const meterBefore = seq.tokenMeter.getState();
  let outputTokens = 0;
  const options = {
    maxTokens: req.maxTokens,
    temperature: req.temperature ?? 0,
    signal,
    onTextChunk: (text: string) => {
      if (text) onDelta(text);
    },
    onToken: (tokens: Token[]) => {
      outputTokens += tokens.length;
    },
    customStopTriggers: req.stopOnNewline ? ['\n'] : undefined,
    // Code repeats its identifiers; a repeat penalty only bends completions away from them (and
    // costs a pass over the recent tokens per sampled token). llama-server's default is off too.
    repeatPenalty: false as const,
  };
  const res = infill
    ? await s.completion.generateInfillCompletionWithMeta(prefixTokens, suffixTokens, options)
    : await s.completion.generateCompletionWithMeta(prefixTokens, options);

  // The meter counts every token decoded on this sequence: the prompt tokens that were not already in
  // the KV cache, then each generated token fed back. The sequence now holds the prompt plus those fed
  // back tokens, which tells them apart.
  const meter = seq.tokenMeter.diff(meterBefore);
  const decoded = meter.usedInputTokens + meter.usedOutputTokens;
  const fedBack = Math.max(0, seq.nextTokenIndex - promptTokens);
  const evaluatedPromptTokens = clamp(decoded - fedBack, 0, promptTokens);
  return {
    text: res.response,
    usage: { inputTokens: promptTokens, outputTokens, evaluatedPromptTokens },
    mode: infill ? 'infill' : 'completion',
  };
}

/**
 * An answer ends where its sequence's context does: LlamaChat would go on by shifting the context,
 * which re-evaluates it for almost every token from then on (stories260K, 2,048-token context: from
 * 2.8 to over 30 ms a token). A prompt that does not fit on its own is left to LlamaChat, which drops
 * the oldest turns first.
 */
export function answerBudget(maxTokens: number, promptTokens: number, contextSize: number): number {
  const room = contextSize - promptTokens - 1;
  return room > 0 ? Math.min(maxTokens, room) : maxTokens;
}

function toChatHistory(messages: ChatMessageRequest['req']['messages']): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = messages.map((msg) =>
    msg.role === 'assistant' ? { type: 'model', response: [msg.content] } : { type: msg.role, text: msg.content },
  );
  // LlamaChat continues the last model turn: give it an empty one to answer the user in.
  if (history.at(-1)?.type !== 'model') history.push({ type: 'model', response: [] });
  return history;
}

function clamp(n: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, n));
}
