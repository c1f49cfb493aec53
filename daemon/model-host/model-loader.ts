// Model loading in the model host (runs in the child): the llama.cpp backend (GPU or CPU), the registry of
// loaded models (one context per model, with parallel sequences), loading them on first use (header
// check, native load; the daemon has downloaded the file) and unloading them when idle or asked to.
import type { Llama, LlamaContext, LlamaModel } from 'node-llama-cpp';
import { ErrorCodes } from '../../shared/protocol';
import type { LocalModelConfig } from '../config';
import { GearboxError } from '../gearbox-error';
import type { ChildStatus, ConfigureMessage, HardwareResult } from './messages';
import { checkGgufHeader, resolveModelSource } from './resolve';

export type Nlc = typeof import('node-llama-cpp');
export type LogFn = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>) => void;
export type ProgressFn = (phase: 'download' | 'load', progress: number) => void;

export interface LoadedModel {
  config: LocalModelConfig;
  path: string;
  model: LlamaModel;
  context: LlamaContext;
  /** Requests using the model; the idle unload waits for none. */
  active: number;
  idleTimer?: NodeJS.Timeout;
}

/** What holds a model's sequences is told around its unload: it must let go of them first. */
export interface UnloadListener {
  /** Before the context is disposed: drop what holds its sequences. */
  unloading(m: LoadedModel): void;
  /** After: wake whoever waits for a sequence, so that they see the model is gone. */
  unloaded(m: LoadedModel): void;
}

interface ModelSlot {
  ready: Promise<LoadedModel>;
  loaded?: LoadedModel;
  progress: Set<ProgressFn>;
}

export class ModelLoader {
  private nlc?: Promise<Nlc>;
  private llama?: Promise<Llama>;
  private readonly slots = new Map<string, ModelSlot>();
  private readonly models: Map<string, LocalModelConfig>;
  private readonly listeners: UnloadListener[] = [];
  /** Told whenever the set of loaded models changed (the daemon's catalog shows what is loaded). */
  private readonly loadedListeners: (() => void)[] = [];
  /** Recent llama.cpp warnings and errors: node-llama-cpp's load error says only "Failed to load model". */
  private readonly llamaProblems: { n: number; text: string }[] = [];
  private llamaLogCount = 0;

  constructor(
    private readonly cfg: ConfigureMessage,
    private readonly log: LogFn,
  ) {
    this.models = new Map(cfg.models.map((m) => [m.id, m]));
  }

  onUnload(listener: UnloadListener): void {
    this.listeners.push(listener);
  }

  onLoadedChanged(listener: () => void): void {
    this.loadedListeners.push(listener);
  }

  private loadedChanged(): void {
    for (const l of this.loadedListeners) l();
  }

  getNlc(): Promise<Nlc> {
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
      const configured = known.length ? ` (configured: ${known.join(', ')})` : ' (no local models are configured)';
      throw new GearboxError(ErrorCodes.NoModelAvailable, `Unknown local model "${modelId}"${configured}.`);
    }
    return config;
  }

  /** The model if it is loaded now; never starts a load. */
  loaded(modelId: string): LoadedModel | undefined {
    return this.slots.get(modelId)?.loaded;
  }

  loadedModels(): LoadedModel[] {
    return [...this.slots.values()].flatMap((slot) => (slot.loaded ? [slot.loaded] : []));
  }

  /** Ensures the model is loaded; like any use, it (re)arms the idle unload. */
  async load(modelId: string, onProgress?: ProgressFn): Promise<void> {
    await this.use(modelId, onProgress, async () => undefined);
  }

  /** Marks the model busy for the duration of `task`, and schedules the idle unload afterwards. */
  async use<T>(modelId: string, onProgress: ProgressFn | undefined, task: (m: LoadedModel) => Promise<T>): Promise<T> {
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

  /** Loads the model once; concurrent callers share the load and all get its progress. */
  private async loadShared(modelId: string, onProgress?: ProgressFn): Promise<LoadedModel> {
    const config = this.config(modelId);
    let slot = this.slots.get(modelId);
    if (!slot) {
      const created: ModelSlot = { progress: new Set(), ready: undefined as unknown as Promise<LoadedModel> };
      created.ready = this.loadModel(config, created);
      created.ready.then(
        (m) => {
          created.loaded = m;
          this.loadedChanged();
        },
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
    const file = await resolveModelSource(config.source, { modelsDir: this.cfg.modelsDir, modelId: config.id });
    const unsupported = 'The file may be truncated or corrupt, or not a GGUF model llama.cpp supports.';
    // A hostile or corrupt header must not reach the native loader (or node-llama-cpp's JS reader).
    const bad = checkGgufHeader(file);
    if (bad) {
      throw new GearboxError(
        ErrorCodes.ModelLoadFailed,
        `Cannot load model ${config.id} from ${file}: ${bad}. ${unsupported}`,
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
      const reason = errorMessage(err).replace(/\.+$/, '') + (why ? ` (llama.cpp: ${why})` : '');
      throw new GearboxError(
        ErrorCodes.ModelLoadFailed,
        `Cannot load model ${config.id} from ${file}: ${reason}. ${unsupported}`,
        { path: file },
      );
    }
    const loadedAt = Date.now();
    let context: LlamaContext;
    try {
      // A configured contextSize is what the catalog promises the router (its contextWindow): it is
      // honoured, past the training context too (llama.cpp allows it; the user asked). Only the
      // default is capped at the training context.
      const cap = config.contextSize ?? Math.min(this.cfg.defaultContextSize, model.trainContextSize);
      if (cap > model.trainContextSize)
        this.log('warn', 'contextSize is beyond what the model was trained on; answers may degrade past it', {
          model: config.id,
          contextSize: cap,
          trainContextSize: model.trainContextSize,
        });
      // {max} lets node-llama-cpp shrink the context to what fits in memory next to the weights; it
      // never goes past the training context, so a larger configured size is asked for as a number.
      context = await model.createContext({
        sequences: this.cfg.sequencesPerModel,
        contextSize: cap > model.trainContextSize ? cap : { min: Math.min(512, cap), max: cap },
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
    return { config, path: file, model, context, active: 0 };
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
    for (const l of this.listeners) l.unloading(loaded);
    await loaded.context.dispose().catch(() => {});
    await loaded.model.dispose().catch(() => {});
    for (const l of this.listeners) l.unloaded(loaded);
    this.log('info', 'model unloaded', { model: modelId });
    this.loadedChanged();
  }

  /** The GPU backend and its memory (null on the CPU): what the daemon's recommendations are sized by. */
  async hardware(): Promise<HardwareResult> {
    const llama = await this.getLlama();
    if (llama.gpu === false) return { gpu: null, vramTotalBytes: null, vramFreeBytes: null };
    const vram = await llama.getVramState();
    return { gpu: llama.gpu, vramTotalBytes: vram.total, vramFreeBytes: vram.free };
  }

  /** A new model list from the daemon; a model that left it, or whose file changed, is unloaded. */
  async setModels(models: LocalModelConfig[]): Promise<void> {
    const next = new Map(models.map((m) => [m.id, m]));
    const stale = [...this.slots.keys()].filter((id) => next.get(id)?.source !== this.models.get(id)?.source);
    this.models.clear();
    for (const [id, m] of next) this.models.set(id, m);
    for (const id of stale) await this.unload(id);
  }

  /** The host's status; `sessions` counts the long-lived sessions of a model, which its sequences' owner keeps. */
  async status(sessions: (m: LoadedModel) => number): Promise<ChildStatus> {
    let gpu: string;
    try {
      const llama = await this.getLlama();
      gpu = llama.gpu === false ? 'cpu' : llama.gpu;
    } catch (err) {
      gpu = `unavailable (${errorMessage(err)})`;
    }
    const loaded: ChildStatus['loaded'] = this.loadedModels().map((m) => ({
      id: m.config.id,
      path: m.path,
      sizeBytes: m.model.size,
      gpuLayers: m.model.gpuLayers,
      sequences: m.context.totalSequences,
      sequencesInUse: m.context.disposed ? 0 : m.context.totalSequences - m.context.sequencesLeft,
      sessions: sessions(m),
      activeRequests: m.active,
    }));
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

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
