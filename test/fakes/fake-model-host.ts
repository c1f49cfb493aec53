// An in-process ModelHostApi for daemon tests that are about the server, not about llama.cpp.
// It records every request and streams a scripted answer, honouring abort signals.
import type {
  GenerateUsage,
  LocalChatRequest,
  LocalCompletionRequest,
  LocalPrefillRequest,
  ModelHostApi,
  ModelHostStatus,
} from '../../daemon/model-host-api';

export interface FakeHostCall {
  kind: 'complete' | 'chat';
  req: LocalCompletionRequest | LocalChatRequest;
  aborted: boolean;
  /** Characters streamed to the caller before the answer ended (or was aborted). */
  streamedChars: number;
}

export class FakeModelHost implements ModelHostApi {
  readonly calls: FakeHostCall[] = [];
  /** Cache warm-ups the daemon asked for, in order. */
  readonly prefills: LocalPrefillRequest[] = [];
  private prefillListeners: ((req: LocalPrefillRequest) => void)[] = [];
  readonly loaded = new Set<string>();
  /** Text streamed back, split into chunks; a function sees the request. */
  reply: (req: LocalCompletionRequest | LocalChatRequest) => string = () => 'fake answer';
  /** Delay between chunks (ms); 0 streams synchronously. */
  chunkDelayMs = 0;
  /** When set, generation waits for this promise before answering (to test cancellation). */
  gate: Promise<void> | undefined;
  private abortListeners: ((call: FakeHostCall) => void)[] = [];
  private startListeners: ((call: FakeHostCall) => void)[] = [];

  onAbort(fn: (call: FakeHostCall) => void): void {
    this.abortListeners.push(fn);
  }

  onStart(fn: (call: FakeHostCall) => void): void {
    this.startListeners.push(fn);
  }

  private loadedListeners = new Set<(change: 'model-loaded' | 'model-unloaded') => void>();

  onLoadedModelsChanged(fn: (change: 'model-loaded' | 'model-unloaded') => void): () => void {
    this.loadedListeners.add(fn);
    return () => this.loadedListeners.delete(fn);
  }

  async load(modelId: string, onProgress?: (phase: 'download' | 'load', progress: number) => void): Promise<void> {
    if (!this.loaded.has(modelId)) {
      onProgress?.('load', 0);
      onProgress?.('load', 1);
      this.loaded.add(modelId);
      for (const fn of this.loadedListeners) fn('model-loaded');
    }
  }

  complete(req: LocalCompletionRequest, onDelta: (t: string) => void, signal?: AbortSignal) {
    return this.run('complete', req, onDelta, signal);
  }

  chat(req: LocalChatRequest, onDelta: (t: string) => void, signal?: AbortSignal) {
    return this.run('chat', req, onDelta, signal);
  }

  onPrefill(fn: (req: LocalPrefillRequest) => void): void {
    this.prefillListeners.push(fn);
  }

  async prefill(req: LocalPrefillRequest) {
    this.prefills.push(req);
    for (const l of this.prefillListeners) l(req);
    return { evaluatedTokens: 10 };
  }

  private async run(
    kind: FakeHostCall['kind'],
    req: LocalCompletionRequest | LocalChatRequest,
    onDelta: (t: string) => void,
    signal?: AbortSignal,
  ) {
    const call: FakeHostCall = { kind, req, aborted: false, streamedChars: 0 };
    this.calls.push(call);
    for (const l of this.startListeners) l(call);
    const abortError = () => Object.assign(new Error('aborted'), { name: 'AbortError' });
    const waitAbort = new Promise<never>((_, reject) => {
      if (signal?.aborted) return reject(abortError());
      signal?.addEventListener('abort', () => {
        call.aborted = true;
        for (const l of this.abortListeners) l(call);
        reject(abortError());
      });
    });
    waitAbort.catch(() => {});
    if (this.gate) await Promise.race([this.gate, waitAbort]);
    const text = this.reply(req);
    const chunks = text.match(/.{1,4}/gs) ?? [];
    for (const c of chunks) {
      if (signal?.aborted) throw abortError();
      if (this.chunkDelayMs) await Promise.race([new Promise((r) => setTimeout(r, this.chunkDelayMs)), waitAbort]);
      call.streamedChars += c.length;
      onDelta(c);
    }
    const usage: GenerateUsage = { inputTokens: 10, outputTokens: chunks.length, evaluatedPromptTokens: 10 };
    return { text, usage };
  }

  async unload(modelId: string) {
    if (this.loaded.delete(modelId)) for (const fn of this.loadedListeners) fn('model-unloaded');
  }
  async releaseSession() {}
  async status(): Promise<ModelHostStatus> {
    return {
      pid: null,
      state: 'running',
      restarts: 0,
      rssBytes: null,
      gpu: 'fake',
      loaded: [...this.loaded].map((id) => ({
        id,
        path: `/fake/${id}.gguf`,
        sizeBytes: 1,
        gpuLayers: 0,
        sequences: 1,
      })),
    };
  }
  async dispose() {}
}
