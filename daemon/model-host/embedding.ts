// The model host's `embed` request: vectors for code search from a local model configured with the
// 'embedding' task, through node-llama-cpp's LlamaEmbeddingContext. Embedding models get their own
// load (a context created for embeddings cannot generate), unloaded after the same idle time.
import type { Llama, LlamaEmbeddingContext, LlamaModel } from 'node-llama-cpp';
import { ErrorCodes } from '../../shared/protocol';
import type { LocalModelConfig } from '../config';
import { GearboxError } from '../gearbox-error';
import type { LogFn } from './model-loader';
import type { ConfigureMessage, EmbedMessage, EmbedResult } from './messages';
import { checkGgufHeader, resolveModelSource } from './resolve';

/** Chunks are a few hundred tokens; a bigger context only costs memory. */
const MAX_EMBEDDING_CONTEXT = 2048;

interface Embedder {
  model: LlamaModel;
  context: LlamaEmbeddingContext;
  /** Tokens one input may have (the context less the BOS/EOS node-llama-cpp adds). */
  maxTokens: number;
  active: number;
  idleTimer?: NodeJS.Timeout;
}

export class EmbeddingHost {
  private readonly loads = new Map<string, Promise<Embedder>>();

  constructor(
    private readonly cfg: ConfigureMessage,
    private readonly log: LogFn,
    private readonly getLlama: () => Promise<Llama>,
  ) {}

  async embed(req: EmbedMessage['req'], signal: AbortSignal): Promise<EmbedResult> {
    const e = await this.load(req.modelId);
    clearTimeout(e.idleTimer);
    e.active++;
    try {
      const vectors: number[][] = [];
      for (const text of req.texts) {
        if (signal.aborted) throw signal.reason;
        // Longer inputs are cut: the start of a chunk (its signature and doc comment) says most.
        const tokens = e.model.tokenize(text).slice(0, e.maxTokens);
        const { vector } = await e.context.getEmbeddingFor(tokens);
        vectors.push(normalise(vector));
      }
      const dims = vectors[0]?.length ?? 0;
      if (!dims || vectors.some((v) => v.length !== dims))
        throw new GearboxError(ErrorCodes.InternalError, `Model ${req.modelId} returned empty or uneven embeddings`);
      return { dims, vectors };
    } finally {
      e.active--;
      if (e.active === 0 && this.cfg.idleUnloadMs > 0)
        e.idleTimer = setTimeout(() => void this.unload(req.modelId), this.cfg.idleUnloadMs);
    }
  }

  private load(modelId: string): Promise<Embedder> {
    let loading = this.loads.get(modelId);
    if (!loading) {
      loading = this.create(this.config(modelId));
      this.loads.set(modelId, loading);
      loading.catch(() => this.loads.delete(modelId));
    }
    return loading;
  }

  private config(modelId: string): LocalModelConfig {
    const config = this.cfg.models.find((m) => m.id === modelId);
    if (!config?.tasks?.includes('embedding'))
      throw new GearboxError(
        ErrorCodes.NoModelAvailable,
        config
          ? `Local model "${modelId}" is not configured for the 'embedding' task.`
          : `Unknown local model "${modelId}".`,
      );
    return config;
  }

  private async create(config: LocalModelConfig): Promise<Embedder> {
    const file = await resolveModelSource(config.source, { modelsDir: this.cfg.modelsDir, modelId: config.id });
    const bad = checkGgufHeader(file);
    if (bad)
      throw new GearboxError(ErrorCodes.ModelLoadFailed, `Cannot load embedding model ${config.id}: ${bad}`, {
        path: file,
      });
    const llama = await this.getLlama();
    const model = await llama.loadModel({ modelPath: file, gpuLayers: 'auto' });
    try {
      const cap = Math.min(config.contextSize ?? MAX_EMBEDDING_CONTEXT, MAX_EMBEDDING_CONTEXT, model.trainContextSize);
      // One batch holds a whole input: pooled embeddings need every token of it in the same batch.
      // A fixed size (small next to a chat context), so that the token cap below is exact.
      const context = await model.createEmbeddingContext({
        contextSize: cap,
        batchSize: cap,
        threads: this.cfg.threads,
      });
      this.log('info', 'embedding model loaded', { model: config.id, path: file, contextSize: cap });
      return { model, context, maxTokens: Math.max(1, cap - 4), active: 0 };
    } catch (err) {
      await model.dispose().catch(() => {});
      throw new GearboxError(
        ErrorCodes.ModelLoadFailed,
        `Cannot create an embedding context for ${config.id}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
  }

  /** A new model list from the daemon (a model added, removed or downloaded); stale embedders go. */
  async setModels(models: LocalModelConfig[]): Promise<void> {
    const before = new Map(this.cfg.models.map((m) => [m.id, m.source]));
    this.cfg.models = models;
    for (const id of [...this.loads.keys()])
      if (models.find((m) => m.id === id)?.source !== before.get(id)) await this.unload(id);
  }

  private async unload(modelId: string): Promise<void> {
    const loading = this.loads.get(modelId);
    if (!loading) return;
    const e = await loading.catch(() => undefined);
    if (!e || e.active > 0) return;
    this.loads.delete(modelId);
    await e.context.dispose().catch(() => {});
    await e.model.dispose().catch(() => {});
    this.log('info', 'embedding model unloaded', { model: modelId });
  }

  async dispose(): Promise<void> {
    for (const id of [...this.loads.keys()]) {
      const e = await this.loads.get(id)?.catch(() => undefined);
      this.loads.delete(id);
      if (!e) continue;
      clearTimeout(e.idleTimer);
      await e.context.dispose().catch(() => {});
      await e.model.dispose().catch(() => {});
    }
  }
}

function normalise(v: readonly number[]): number[] {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum);
  return norm > 0 ? v.map((x) => x / norm) : [...v];
}
