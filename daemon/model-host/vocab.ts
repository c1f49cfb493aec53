// The model host's `tokenize` request (tokenize-messages.ts): token counts in a local model's own
// vocabulary. A loaded model counts with itself. One that is not loaded has its GGUF opened with
// `vocabOnly`: the vocabulary without the weights, not a multi-GB load for a request the router
// may send elsewhere. Opening one still costs llama.cpp about a second of CPU and ~100 MiB for a
// 150k-token vocabulary (bench/tokens.ts), so routing does not wait for it ('background': the
// caller counts with its stand-in meanwhile), at most MAX_VOCABS stay open, and each closes after
// the idle time of a loaded model.
import type { Llama, LlamaModel } from 'node-llama-cpp';
import { ErrorCodes } from '../../shared/protocol';
import type { LocalModelConfig } from '../config';
import { GearboxError } from '../gearbox-error';
import type { ConfigureMessage } from './messages';
import type { LogFn } from './model-loader';
import { errorMessage } from './model-loader';
import { checkGgufHeader, resolveModelSource } from './resolve';
import type { TokenizeMessage, TokenizeResult } from './tokenize-messages';

const MAX_VOCABS = 3;

interface Vocab {
  model: Promise<LlamaModel>;
  /** Set once the vocabulary is open. */
  open?: LlamaModel;
  source: string;
  idleTimer?: NodeJS.Timeout;
}

export class Vocabularies {
  private readonly vocabs = new Map<string, Vocab>();
  private readonly models: Map<string, LocalModelConfig>;
  /** Models whose background open failed and was logged (once each, until the model list changes). */
  private readonly warned = new Set<string>();

  constructor(
    private readonly cfg: ConfigureMessage,
    private readonly log: LogFn,
    /** The model if it is loaded for generation now (never starts a load). */
    private readonly loaded: (modelId: string) => LlamaModel | undefined,
    private readonly getLlama: () => Promise<Llama>,
  ) {
    this.models = new Map(cfg.models.map((m) => [m.id, m]));
  }

  async tokenize(req: TokenizeMessage['req'], signal: AbortSignal): Promise<TokenizeResult> {
    const loaded = this.loaded(req.modelId);
    if (loaded && !loaded.disposed) return { counts: countAll(loaded, req.texts, signal), source: 'loaded' };
    const ready = this.vocabs.get(req.modelId)?.open;
    if (req.open === 'background' && !ready) {
      this.open(req.modelId).catch((err) => {
        if (this.warned.has(req.modelId)) return;
        this.warned.add(req.modelId);
        this.log('warn', 'cannot open a model vocabulary to count tokens', {
          model: req.modelId,
          error: errorMessage(err),
        });
      });
      return { counts: [], source: 'opening' };
    }
    let vocab = await this.open(req.modelId);
    // Closed meanwhile (evicted, or its file changed): open it again.
    if (vocab.disposed) vocab = await this.open(req.modelId);
    return { counts: countAll(vocab, req.texts, signal), source: 'vocab-only' };
  }

  /** A new model list from the daemon: vocabularies of models that left it, or whose file changed, close. */
  async setModels(models: LocalModelConfig[]): Promise<void> {
    this.models.clear();
    this.warned.clear();
    for (const m of models) this.models.set(m.id, m);
    for (const [id, v] of [...this.vocabs]) if (this.models.get(id)?.source !== v.source) await this.close(id);
  }

  async dispose(): Promise<void> {
    for (const id of [...this.vocabs.keys()]) await this.close(id);
  }

  private async open(modelId: string): Promise<LlamaModel> {
    let v = this.vocabs.get(modelId);
    if (v)
      this.vocabs.delete(modelId); // re-inserted below: the map's first entry is the least recently used
    else {
      const config = this.models.get(modelId);
      if (!config) throw new GearboxError(ErrorCodes.NoModelAvailable, `Unknown local model "${modelId}".`);
      const created: Vocab = { source: config.source, model: this.read(config) };
      created.model.then(
        (m) => (created.open = m),
        () => {
          if (this.vocabs.get(modelId) === created) this.vocabs.delete(modelId);
        },
      );
      v = created;
    }
    this.vocabs.set(modelId, v);
    while (this.vocabs.size > MAX_VOCABS) void this.close(this.vocabs.keys().next().value as string);
    clearTimeout(v.idleTimer);
    if (this.cfg.idleUnloadMs > 0) {
      v.idleTimer = setTimeout(() => void this.close(modelId), this.cfg.idleUnloadMs);
      v.idleTimer.unref();
    }
    return v.model;
  }

  private async read(config: LocalModelConfig): Promise<LlamaModel> {
    const file = await resolveModelSource(config.source, { modelsDir: this.cfg.modelsDir, modelId: config.id });
    // A hostile or corrupt header must not reach the native reader, as for a full load.
    const bad = checkGgufHeader(file);
    if (bad)
      throw new GearboxError(ErrorCodes.ModelLoadFailed, `Cannot read the vocabulary of ${config.id}: ${bad}`, {
        path: file,
      });
    const llama = await this.getLlama();
    const started = Date.now();
    try {
      const model = await llama.loadModel({ modelPath: file, vocabOnly: true, gpuLayers: 0 });
      this.log('debug', 'model vocabulary opened', { model: config.id, ms: Date.now() - started });
      return model;
    } catch (err) {
      throw new GearboxError(
        ErrorCodes.ModelLoadFailed,
        `Cannot read the vocabulary of ${config.id} from ${file}: ${errorMessage(err)}`,
        { path: file },
      );
    }
  }

  private async close(modelId: string): Promise<void> {
    const v = this.vocabs.get(modelId);
    if (!v) return;
    this.vocabs.delete(modelId);
    clearTimeout(v.idleTimer);
    const model = await v.model.catch(() => undefined);
    await model?.dispose().catch(() => {});
  }
}

/** Tokens of each text, without BOS/EOS and with special-token text as plain text (what a prompt's parts add up to). */
function countAll(model: LlamaModel, texts: readonly string[], signal: AbortSignal): number[] {
  return texts.map((text) => {
    if (signal.aborted) throw signal.reason;
    return model.tokenize(text, false).length;
  });
}
