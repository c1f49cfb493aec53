// The inference side of the model host (runs in the child): loads models with node-llama-cpp, keeps one
// context per model with parallel sequences, and one long-lived sequence per session so that successive
// completions of a file reuse the KV cache of their shared prefix.
import type {
  ChatHistoryItem,
  ChatWrapper,
  Llama,
  LlamaCompletion,
  LlamaContext,
  LlamaContextSequence,
  LlamaModel,
  Token,
} from 'node-llama-cpp';
import { ErrorCodes } from '../../shared/protocol';
import { GearboxError, type LocalModelConfig } from '../engine-types';
import type {
  ChatMessageRequest,
  ChatResult,
  ChildStatus,
  CompleteMessage,
  CompleteResult,
  ConfigureMessage,
  PrefillMessage,
  PrefillResult,
} from './messages';
import { checkGgufHeader, resolveModelSource } from './resolve';

type Nlc = typeof import('node-llama-cpp');
export type LogFn = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
export type ProgressFn = (phase: 'download' | 'load', progress: number) => void;

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

interface LoadedModel {
  config: LocalModelConfig;
  path: string;
  model: LlamaModel;
  context: LlamaContext;
  /** Resolved on first chat: matching the Jinja template against known wrappers takes about a second. */
  chatWrapper?: ChatWrapper;
  sessions: Map<string, Session>;
  /** Woken whenever a sequence goes back to the context. */
  sequenceWaiters: (() => void)[];
  active: number;
  idleTimer?: NodeJS.Timeout;
}

interface ModelSlot {
  ready: Promise<LoadedModel>;
  loaded?: LoadedModel;
  progress: Set<ProgressFn>;
  unloading?: boolean;
}

export class InferenceEngine {
  private nlc?: Promise<Nlc>;
  private llama?: Promise<Llama>;
  private readonly slots = new Map<string, ModelSlot>();
  private readonly models: Map<string, LocalModelConfig>;
  /** Recent llama.cpp warnings and errors: node-llama-cpp's load error says only "Failed to load model". */
  private readonly llamaProblems: { n: number; text: string }[] = [];
  private llamaLogCount = 0;

  constructor(
    private readonly cfg: ConfigureMessage,
    private readonly log: LogFn,
  ) {
    this.models = new Map(cfg.models.map((m) => [m.id, m]));
  }

  private getNlc(): Promise<Nlc> {
    // node-llama-cpp is ESM-only with top-level await: a dynamic import keeps this module loadable anywhere.
    return (this.nlc ??= import('node-llama-cpp'));
  }

  getLlama(): Promise<Llama> {
    this.llama ??= this.initLlama();
    return this.llama;
  }

  private async initLlama(): Promise<Llama> {
    const nlc = await this.getNlc();
    const common = {
      build: 'never' as const,
      skipDownload: true,
      progressLogs: false,
      maxThreads: this.cfg.threads,
      logLevel: nlc.LlamaLogLevel.warn,
      logger: (level: string, message: string) => {
        const text = message.trim();
        if (!text) return;
        const problem = level === 'error' || level === 'fatal' || level === 'warn';
        if (problem) {
          this.llamaProblems.push({ n: ++this.llamaLogCount, text });
          if (this.llamaProblems.length > 50) this.llamaProblems.shift();
        }
        this.log(level === 'error' || level === 'fatal' ? 'warn' : 'debug', `llama.cpp: ${text}`);
      },
    };
    if (this.cfg.gpu === false) return nlc.getLlama({ ...common, gpu: false });
    try {
      return await nlc.getLlama({ ...common, gpu: 'auto' });
    } catch (err) {
      this.log('warn', 'GPU initialisation failed; using the CPU', { error: errorMessage(err) });
      return nlc.getLlama({ ...common, gpu: false });
    }
  }

  private config(modelId: string): LocalModelConfig {
    const config = this.models.get(modelId);
    if (!config) {
      const known = [...this.models.keys()];
      throw new GearboxError(
        ErrorCodes.NoModelAvailable,
        `Unknown local model "${modelId}"${known.length ? ` (configured: ${known.join(', ')})` : ' (no local models are configured)'}.`,
      );
    }
    return config;
  }

  /** Ensures the model is loaded; like any use, it (re)arms the idle unload. */
  async load(modelId: string, onProgress?: ProgressFn): Promise<void> {
    await this.use(modelId, onProgress, async () => undefined);
  }

  /** Loads the model once; concurrent callers share the load and all get its progress. */
  private async loadShared(modelId: string, onProgress?: ProgressFn): Promise<LoadedModel> {
    const config = this.config(modelId);
    let slot = this.slots.get(modelId);
    if (!slot) {
      const created: ModelSlot = { progress: new Set(), ready: undefined as unknown as Promise<LoadedModel> };
      created.ready = this.loadModel(config, created);
      created.ready.then(
        (m) => (created.loaded = m),
        () => {
          if (this.slots.get(modelId) === created) this.slots.delete(modelId);
        },
      );
      this.slots.set(modelId, created);
      slot = created;
    }
    if (onProgress) slot.progress.add(onProgress);
    try {
      return await slot.ready;
    } finally {
      if (onProgress) slot.progress.delete(onProgress);
    }
  }

  private async loadModel(config: LocalModelConfig, slot: ModelSlot): Promise<LoadedModel> {
    const emit: ProgressFn = (phase, p) => {
      for (const fn of slot.progress) fn(phase, p);
    };
    const file = await resolveModelSource(config.source, {
      modelsDir: this.cfg.modelsDir,
      modelId: config.id,
      onProgress: (p) => emit('download', p),
      connectTimeoutMs: this.cfg.downloadConnectTimeoutMs,
    });
    // A hostile or corrupt header must not reach the native loader (or node-llama-cpp's JS reader).
    const bad = checkGgufHeader(file);
    if (bad) {
      throw new GearboxError(
        ErrorCodes.ModelLoadFailed,
        `Cannot load model ${config.id} from ${file}: ${bad}. The file may be truncated or corrupt, or not a GGUF model llama.cpp supports.`,
        { path: file },
      );
    }
    const llama = await this.getLlama();
    const started = Date.now();
    const logMark = this.llamaLogCount;
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath: file, gpuLayers: 'auto', onLoadProgress: (p) => emit('load', p) });
    } catch (err) {
      const why = await this.llamaLoadProblems(logMark);
      throw new GearboxError(
        ErrorCodes.ModelLoadFailed,
        `Cannot load model ${config.id} from ${file}: ${errorMessage(err).replace(/\.+$/, '')}${why ? ` (llama.cpp: ${why})` : ''}. ` +
          'The file may be truncated or corrupt, or not a GGUF model llama.cpp supports.',
        { path: file },
      );
    }
    const loadedAt = Date.now();
    let context: LlamaContext;
    try {
      const cap = Math.min(config.contextSize ?? this.cfg.defaultContextSize, model.trainContextSize);
      // {max} lets node-llama-cpp shrink the context to what fits in memory next to the weights.
      context = await model.createContext({
        sequences: this.cfg.sequencesPerModel,
        contextSize: { min: Math.min(512, cap), max: cap },
        threads: this.cfg.threads,
      });
    } catch (err) {
      await model.dispose().catch(() => {});
      throw new GearboxError(
        ErrorCodes.ModelLoadFailed,
        `Cannot create a context for model ${config.id}: ${errorMessage(err)}`,
        { path: file },
      );
    }
    this.log('info', 'model loaded', {
      model: config.id,
      path: file,
      loadMs: loadedAt - started,
      contextMs: Date.now() - loadedAt,
      gpuLayers: model.gpuLayers,
      contextSize: context.contextSize,
      sequences: context.totalSequences,
      infill: model.tokens.infill.prefix != null && model.tokens.infill.suffix != null,
    });
    return { config, path: file, model, context, sessions: new Map(), sequenceWaiters: [], active: 0 };
  }

  /** llama.cpp's own explanation of a failed load, e.g. "tensor 'x' data is not within the file bounds". */
  private async llamaLoadProblems(since: number): Promise<string> {
    // llama.cpp logs from its own thread; its lines can arrive just after the rejection.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const lines = this.llamaProblems
      .filter(
        (p) =>
          p.n > since && /error|corrupt|invalid|failed to read/i.test(p.text) && !/failed to load model$/.test(p.text),
      )
      .map((p) => p.text.replace(/^[a-z_]+: (error loading model: )?/, '').replace(/^[a-z_]+: /, ''));
    return [...new Set(lines)].join('; ').slice(0, 400);
  }

  async unload(modelId: string): Promise<void> {
    const slot = this.slots.get(modelId);
    if (!slot) return;
    this.slots.delete(modelId);
    const loaded = await slot.ready.catch(() => undefined);
    if (!loaded) return;
    clearTimeout(loaded.idleTimer);
    for (const s of loaded.sessions.values()) s.completion.dispose({ disposeSequence: false });
    loaded.sessions.clear();
    await loaded.context.dispose().catch(() => {});
    await loaded.model.dispose().catch(() => {});
    for (const wake of loaded.sequenceWaiters.splice(0)) wake();
    this.log('info', 'model unloaded', { model: modelId });
  }

  /** Marks the model busy for the duration of `task`, and schedules the idle unload afterwards. */
  private async use<T>(
    modelId: string,
    onProgress: ProgressFn | undefined,
    task: (m: LoadedModel) => Promise<T>,
  ): Promise<T> {
    const m = await this.loadShared(modelId, onProgress);
    clearTimeout(m.idleTimer);
    m.active++;
    try {
      return await task(m);
    } finally {
      m.active--;
      if (m.active === 0 && this.cfg.idleUnloadMs > 0 && this.slots.get(modelId)?.loaded === m) {
        m.idleTimer = setTimeout(() => {
          if (m.active === 0) void this.unload(modelId);
        }, this.cfg.idleUnloadMs);
      }
    }
  }

  /** A free sequence, evicting the least recently used idle session when all are taken. */
  private async acquireSequence(m: LoadedModel, signal: AbortSignal): Promise<LlamaContextSequence> {
    for (;;) {
      if (signal.aborted) throw signal.reason;
      if (m.context.disposed) throw new GearboxError(ErrorCodes.ModelLoadFailed, `Model ${m.config.id} was unloaded`);
      if (m.context.sequencesLeft > 0) return m.context.getSequence();
      let lru: Session | undefined;
      for (const s of m.sessions.values()) if (s.busy === 0 && (!lru || s.lastUsed < lru.lastUsed)) lru = s;
      if (lru) {
        m.sessions.delete(lru.key);
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
        m.sequenceWaiters.push(wake);
        signal.addEventListener('abort', wake, { once: true });
      });
    }
  }

  private wakeSequenceWaiters(m: LoadedModel): void {
    for (const wake of m.sequenceWaiters.splice(0)) wake();
  }

  async complete(
    req: CompleteMessage['req'],
    onDelta: (text: string) => void,
    signal: AbortSignal,
    onProgress?: ProgressFn,
  ): Promise<CompleteResult> {
    return this.use(req.modelId, onProgress, async (m) => {
      const s = await this.takeSession(m, req.sessionKey, signal);
      // What a prefill already evaluated stays in the KV cache; the rest is this request's to do.
      s.prefillAbort?.abort();
      try {
        return await s.mutex.run(() => this.runCompletion(m, s, req, onDelta, signal));
      } finally {
        s.busy--;
        s.lastUsed = Date.now();
        if (s.busy === 0) this.wakeSequenceWaiters(m);
      }
    });
  }

  /**
   * The long-lived session of a (client, file), created on a free sequence when it has none, marked
   * busy in the same tick it is found (an idle session can be evicted at any await); the caller
   * decrements `busy` when done.
   */
  private async takeSession(m: LoadedModel, key: string, signal: AbortSignal): Promise<Session> {
    const found = m.sessions.get(key);
    if (found) {
      found.busy++;
      return found;
    }
    const nlc = await this.getNlc();
    const sequence = await this.acquireSequence(m, signal);
    // another request for the same key may have created it while we waited
    const existing = m.sessions.get(key);
    if (existing) {
      existing.busy++;
      await sequence.dispose();
      this.wakeSequenceWaiters(m);
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
    m.sessions.set(key, created);
    return created;
  }

  /**
   * Evaluates a completion prompt into the session's KV cache without generating (llama.vim's
   * `n_predict: 0`), so the completion request that follows an edit only evaluates what changed
   * after it. Runs only on a loaded model and an idle session, in small chunks: a real request
   * for the session stops it at the next chunk, keeping what was evaluated.
   */
  async prefill(req: PrefillMessage['req'], signal: AbortSignal): Promise<PrefillResult> {
    const m = this.slots.get(req.modelId)?.loaded;
    if (!m || m.context.disposed) return { evaluatedTokens: 0, skipped: 'model not loaded' };
    const existing = m.sessions.get(req.sessionKey);
    // A completion running or queued on the session comes first; an older prefill gives way.
    if (existing && existing.busy > (existing.prefillAbort ? 1 : 0))
      return { evaluatedTokens: 0, skipped: 'session busy' };
    // Never evict another file's warm session for a guess: only a free sequence or this file's own.
    if (!existing && m.context.sequencesLeft === 0) return { evaluatedTokens: 0, skipped: 'no free sequence' };
    return this.use(req.modelId, undefined, async () => {
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
        return await s.mutex.run(() => this.runPrefill(m, s, req, abort.signal));
      } finally {
        signal.removeEventListener('abort', stop);
        if (s.prefillAbort === abort) s.prefillAbort = undefined;
        s.busy--;
        s.lastUsed = Date.now();
        if (s.busy === 0) this.wakeSequenceWaiters(m);
      }
    });
  }

  private async runPrefill(
    m: LoadedModel,
    s: Session,
    req: PrefillMessage['req'],
    signal: AbortSignal,
  ): Promise<PrefillResult> {
    if (signal.aborted) return { evaluatedTokens: 0, skipped: 'cancelled' };
    const seq = s.sequence;
    const tokens = this.promptTokens(m, s, req.prefix, req.suffix);
    // The request that follows decodes the last prompt token itself (to sample from it): leave it.
    tokens.pop();
    if (tokens.length === 0 || tokens.length >= seq.contextSize)
      return { evaluatedTokens: 0, skipped: 'prompt does not fit' };
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

  /** The token layout LlamaCompletion builds for this prompt ([BOS] PRE prefix SUF suffix MID, or the plain prefix). */
  private promptTokens(m: LoadedModel, s: Session, prefix: string, suffix: string | undefined): Token[] {
    const { model } = m;
    const tokenize = (text: string): Token[] => model.tokenize(text, false, 'trimLeadingSpace');
    const t = model.tokens;
    const bos: Token[] = t.shouldPrependBosToken && t.bos != null ? [t.bos] : [];
    if (suffix === undefined || !s.completion.infillSupported) return [...bos, ...tokenize(prefix)];
    const pre = t.infill.prefix!;
    const suf = t.infill.suffix!;
    if (t.infill.middle != null) return [...bos, pre, ...tokenize(prefix), suf, ...tokenize(suffix), t.infill.middle];
    return [...bos, suf, ...tokenize(suffix), pre, ...tokenize(prefix)];
  }

  private async runCompletion(
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

  async chat(
    req: ChatMessageRequest['req'],
    onDelta: (text: string) => void,
    signal: AbortSignal,
    onProgress?: ProgressFn,
  ): Promise<ChatResult> {
    return this.use(req.modelId, onProgress, async (m) => {
      const nlc = await this.getNlc();
      // A fresh sequence per chat: a chat shares no prefix with a file's completions worth keeping.
      if (!m.chatWrapper) {
        m.chatWrapper = nlc.resolveChatWrapper(m.model);
        this.log('debug', 'chat wrapper resolved', { model: m.config.id, chatWrapper: m.chatWrapper.wrapperName });
      }
      const chatWrapper = m.chatWrapper;
      const sequence = await this.acquireSequence(m, signal);
      const chat = new nlc.LlamaChat({ contextSequence: sequence, chatWrapper });
      try {
        const history = toChatHistory(req.messages);
        const promptTokens = chatWrapper
          .generateContextState({ chatHistory: history })
          .contextText.tokenize(m.model.tokenizer).length;
        let outputTokens = 0;
        const res = await chat.generateResponse(history, {
          maxTokens: req.maxTokens,
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
        this.wakeSequenceWaiters(m);
      }
    });
  }

  /** Drops the sessions whose key starts with the prefix (a client disconnected or closed a file). */
  async releaseSession(prefix: string): Promise<number> {
    let released = 0;
    for (const slot of this.slots.values()) {
      const m = slot.loaded;
      if (!m) continue;
      for (const s of [...m.sessions.values()]) {
        if (!s.key.startsWith(prefix)) continue;
        m.sessions.delete(s.key);
        released++;
        // A running request keeps its sequence until it ends; then it goes back to the pool.
        void s.mutex.run(async () => {
          s.completion.dispose({ disposeSequence: false });
          await s.sequence.dispose();
          this.wakeSequenceWaiters(m);
        });
      }
    }
    return released;
  }

  async status(): Promise<ChildStatus> {
    let gpu: string;
    try {
      const llama = await this.getLlama();
      gpu = llama.gpu === false ? 'cpu' : llama.gpu;
    } catch (err) {
      gpu = `unavailable (${errorMessage(err)})`;
    }
    const loaded: ChildStatus['loaded'] = [];
    for (const slot of this.slots.values()) {
      const m = slot.loaded;
      if (!m) continue;
      loaded.push({
        id: m.config.id,
        path: m.path,
        sizeBytes: m.model.size,
        gpuLayers: m.model.gpuLayers,
        sequences: m.context.totalSequences,
        sequencesInUse: m.context.disposed ? 0 : m.context.totalSequences - m.context.sequencesLeft,
        sessions: m.sessions.size,
        activeRequests: m.active,
      });
    }
    const liveSequences = loaded.reduce((n, m) => n + m.sequencesInUse, 0);
    return {
      pid: process.pid,
      rssBytes: process.memoryUsage().rss,
      gpu,
      threads: this.cfg.threads,
      loaded,
      liveSequences,
      inFlight: 0,
    };
  }

  async dispose(): Promise<void> {
    for (const id of [...this.slots.keys()]) await this.unload(id);
    const llama = await this.llama?.catch(() => undefined);
    await llama?.dispose().catch(() => {});
  }
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

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
