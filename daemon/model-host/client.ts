// The daemon's side of the model host: forks the child lazily, talks to it over Node IPC, restarts it
// after a crash, and turns crashes, timeouts and aborts into clear per-request errors.
import { fork, type ChildProcess } from 'node:child_process';
import * as readline from 'node:readline';
import type { z } from 'zod';
import { ErrorCodes } from '../../shared/protocol';
import type { LocalModelConfig } from '../config';
import { GearboxError } from '../gearbox-error';
import type {
  GenerateUsage,
  HardwareInfo,
  LocalChatRequest,
  LocalCompletionRequest,
  LocalPrefillRequest,
  ModelHostApi,
  ModelHostStatus,
} from '../model-host-api';
import type { Logger } from '../log';
import { buildChildEnv } from './child-env';
import {
  ChatResult,
  ChildMessage,
  ChildStatus,
  CompleteResult,
  EmbedResult,
  EmptyResult,
  HardwareResult,
  PrefillResult,
  type ConfigureMessage,
  type ParentMessage,
} from './messages';
import { resolveThreadCount } from './threads';
import { TokenizeResult } from './tokenize-messages';

export interface ModelHostClientOptions {
  /** Path of the child script (daemon/model-host/main.ts, or the bundled model-host.mjs). */
  entry: string;
  /**
   * Node flags for the child; tests pass ['--import', 'tsx'] to run main.ts directly.
   * Default: that for a .ts entry, else none.
   */
  execArgv?: string[];
  models: LocalModelConfig[];
  modelsDir: string;
  /** Inference threads; default: physical cores (at most 4); never above the physical cores. */
  threads?: number;
  gpu?: 'auto' | false;
  /** Unload a model after this long without requests; 0 keeps models loaded. Default 15 min. */
  idleUnloadMs?: number;
  /** Per request; download and load progress restart the clock. Default 120 s. */
  requestTimeoutMs?: number;
  logger: Logger;
  /** Environment the child's env is picked from (allowlist only, no secrets). Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Parallel sequences (sessions that keep their KV cache) per loaded model. Default 4. */
  sequencesPerModel?: number;
  /** Context size cap per sequence for models whose config sets none. Default 8192. */
  defaultContextSize?: number;
  /** Grace period for a clean child exit on dispose before SIGKILL. Default 5 s. */
  shutdownTimeoutMs?: number;
}

export type LocalCompletionResult = CompleteResult;

export type LoadedModelsChange = 'model-loaded' | 'model-unloaded';

/** A request this client aborted, as the child reports it once its work really stopped. */
export interface AbortStopped {
  id: number;
  kind: string;
  /**
   * Epoch ms (sub-ms precision): the parent sent the abort, the child received it, the work had
   * settled, the parent heard of it.
   */
  sentAt: number;
  abortAt: number;
  stoppedAt: number;
  reportedAt: number;
}

/** status() plus the child's own bookkeeping, for leak checks (null while the child is not running). */
export type ModelHostClientStatus = ModelHostStatus & {
  /** Sequences in use in the child over all models (sessions and running chats). */
  liveSequences: number | null;
  /** Requests running in the child. */
  inFlight: number | null;
  /** Requests this client is waiting on. */
  pending: number;
};

interface Pending {
  kind: string;
  schema: z.ZodType;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  onDelta?: (text: string) => void;
  onProgress?: (phase: 'download' | 'load', progress: number) => void;
  timer: NodeJS.Timeout;
}

type RequestBody = ParentMessage extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never;

const START_TIMEOUT_MS = 30_000;

export function abortError(): Error {
  const err = new Error('The request was aborted');
  err.name = 'AbortError';
  return err;
}

/** Rejects as soon as the signal aborts, without waiting for the promise (a child that is still starting). */
function withAbort<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        if (signal.aborted) reject(abortError());
        else resolve(v);
      },
      (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

export class ModelHostClient implements ModelHostApi {
  private child?: ChildProcess;
  private starting?: Promise<ChildProcess>;
  private state: ModelHostStatus['state'] = 'stopped';
  private restarts = 0;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private disposed = false;
  private stopping = false;
  private gpu = 'unknown';
  private readonly threads: number;
  /** The local models the child knows: those of the options, then each setModels. */
  private models: LocalModelConfig[];
  /** When each in-flight abort was sent, by request id, until the child reports the stop. */
  private readonly abortsSent = new Map<number, number>();
  private readonly stoppedListeners = new Set<(e: AbortStopped) => void>();
  /** The models the child last said it has loaded. */
  private loadedIds = new Set<string>();
  private readonly loadedListeners = new Set<(change: LoadedModelsChange) => void>();

  constructor(private readonly opts: ModelHostClientOptions) {
    this.threads = resolveThreadCount(opts.threads);
    this.models = opts.models;
  }

  /** The GPU backend and its memory, from llama.cpp in the child (starting it when needed). */
  async hardware(signal?: AbortSignal): Promise<HardwareInfo> {
    return this.request({ type: 'hardware' }, HardwareResult, { signal });
  }

  setModels(models: LocalModelConfig[]): void {
    this.models = models;
    if (this.child && this.state === 'running') this.trySend(this.child, { type: 'setModels', models });
  }

  // ---------- ModelHostApi ----------

  async load(
    modelId: string,
    onProgress?: (phase: 'download' | 'load', progress: number) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.request({ type: 'load', modelId }, EmptyResult, { onProgress, signal });
  }

  /** Resolves with `mode` too: 'infill' when the model's FIM tokens were used. */
  async complete(
    req: LocalCompletionRequest,
    onDelta: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<{ text: string; usage: GenerateUsage; mode: 'infill' | 'completion' }> {
    return this.request({ type: 'complete', req }, CompleteResult, { onDelta, signal });
  }

  async chat(
    req: LocalChatRequest,
    onDelta: (text: string) => void,
    signal?: AbortSignal,
  ): Promise<{ text: string; usage: GenerateUsage }> {
    return this.request({ type: 'chat', req }, ChatResult, { onDelta, signal });
  }

  /** Warms a session's KV cache with a completion prompt; a no-op unless the model is loaded and the child is up. */
  async prefill(req: LocalPrefillRequest, signal?: AbortSignal): Promise<PrefillResult> {
    if (!this.isRunning()) return { evaluatedTokens: 0, skipped: 'model host not running' };
    return this.request({ type: 'prefill', req }, PrefillResult, { signal });
  }

  /** Unit vectors for `texts` from a local model configured for the 'embedding' task. */
  async embed(req: { modelId: string; texts: string[] }, signal?: AbortSignal): Promise<EmbedResult> {
    return this.request({ type: 'embed', req }, EmbedResult, { signal });
  }

  /** Tokens of each text in a local model's own vocabulary (loaded, or read without its weights). */
  async tokenize(
    req: { modelId: string; texts: string[]; open?: 'wait' | 'background' },
    signal?: AbortSignal,
  ): Promise<TokenizeResult> {
    return this.request({ type: 'tokenize', req }, TokenizeResult, {
      signal,
      timeoutMs: Math.min(this.requestTimeoutMs, 15_000),
    });
  }

  async unload(modelId: string): Promise<void> {
    if (!this.isRunning()) return; // nothing is loaded in a child that is not running
    await this.request({ type: 'unload', modelId }, EmptyResult, {});
  }

  async releaseSession(sessionKeyPrefix: string): Promise<void> {
    if (!this.isRunning()) return;
    await this.request({ type: 'releaseSession', sessionKeyPrefix }, EmptyResult, {});
  }

  async status(): Promise<ModelHostClientStatus> {
    const base = { state: this.state, restarts: this.restarts };
    const none = { liveSequences: null, inFlight: null };
    if (!this.isRunning())
      return {
        ...base,
        ...none,
        pending: this.pending.size,
        pid: this.child?.pid ?? null,
        rssBytes: null,
        gpu: this.gpu,
        loaded: [],
      };
    try {
      const st = await this.request({ type: 'status' }, ChildStatus, {
        timeoutMs: Math.min(this.requestTimeoutMs, 10_000),
      });
      this.gpu = st.gpu;
      return {
        ...base,
        state: this.state,
        pid: st.pid,
        rssBytes: st.rssBytes,
        gpu: st.gpu,
        loaded: st.loaded,
        liveSequences: st.liveSequences,
        inFlight: st.inFlight,
        pending: this.pending.size,
      };
    } catch (err) {
      this.opts.logger.warn('model host status failed', { error: err });
      return {
        ...base,
        ...none,
        pending: this.pending.size,
        state: this.state,
        pid: this.child?.pid ?? null,
        rssBytes: null,
        gpu: this.gpu,
        loaded: [],
      };
    }
  }

  /** Calls `fn` whenever a model was loaded or unloaded (an idle unload, a crash too); returns the unsubscribe. */
  onLoadedModelsChanged(fn: (change: LoadedModelsChange) => void): () => void {
    this.loadedListeners.add(fn);
    return () => this.loadedListeners.delete(fn);
  }

  private setLoaded(ids: readonly string[]): void {
    const next = new Set(ids);
    const loaded = ids.some((id) => !this.loadedIds.has(id));
    const unloaded = [...this.loadedIds].some((id) => !next.has(id));
    this.loadedIds = next;
    for (const fn of this.loadedListeners) {
      if (loaded) fn('model-loaded');
      if (unloaded) fn('model-unloaded');
    }
  }

  /** Calls `fn` each time an aborted request has really stopped in the child; returns the unsubscribe. */
  onAbortStopped(fn: (e: AbortStopped) => void): () => void {
    this.stoppedListeners.add(fn);
    return () => this.stoppedListeners.delete(fn);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.starting?.catch(() => undefined);
    const child = this.child;
    if (!child) return;
    this.stopping = true;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.trySend(child, { type: 'shutdown' });
    const timer = setTimeout(() => child.kill('SIGKILL'), this.opts.shutdownTimeoutMs ?? 5_000);
    await exited;
    clearTimeout(timer);
  }

  // ---------- child process ----------

  private get requestTimeoutMs(): number {
    return this.opts.requestTimeoutMs ?? 120_000;
  }

  private isRunning(): boolean {
    return this.state === 'running' && this.child !== undefined;
  }

  private ensureChild(): Promise<ChildProcess> {
    if (this.disposed)
      return Promise.reject(new GearboxError(ErrorCodes.InternalError, 'The local model host has been shut down.'));
    if (this.child && this.state === 'running') return Promise.resolve(this.child);
    this.starting ??= this.spawn().finally(() => (this.starting = undefined));
    return this.starting;
  }

  private spawn(): Promise<ChildProcess> {
    if (this.state === 'crashed') this.restarts++;
    this.state = 'starting';
    const { opts } = this;
    const child = fork(opts.entry, [], {
      // Under Electron this is the Electron binary; the child env then carries ELECTRON_RUN_AS_NODE=1.
      execPath: process.execPath,
      execArgv: opts.execArgv ?? (opts.entry.endsWith('.ts') ? ['--import', 'tsx'] : []),
      env: buildChildEnv(opts.env ?? process.env),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    this.child = child;
    const log = opts.logger;
    // llama.cpp may print straight to the terminal; keep it in the daemon's log instead. The last lines
    // go with the crash report: a native abort explains itself there.
    const outputTail: string[] = [];
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      readline.createInterface({ input: stream }).on('line', (line) => {
        if (!line.trim()) return;
        log.debug('model host output', { line });
        outputTail.push(line);
        if (outputTail.length > 20) outputTail.shift();
      });
    }

    return new Promise<ChildProcess>((resolve, reject) => {
      let started = false;
      const startTimer = setTimeout(() => {
        if (started) return;
        log.error('model host did not start in time; killing it', { pid: child.pid });
        child.kill('SIGKILL');
      }, START_TIMEOUT_MS);

      child.on('message', (raw: unknown) => {
        const parsed = ChildMessage.safeParse(raw);
        if (!parsed.success) {
          log.error('invalid message from the model host', { issues: parsed.error.issues.slice(0, 5) });
          return;
        }
        const msg = parsed.data;
        if (msg.type === 'hello') {
          if (started) return;
          started = true;
          clearTimeout(startTimer);
          const configure: ConfigureMessage = {
            type: 'configure',
            models: this.models,
            modelsDir: opts.modelsDir,
            threads: this.threads,
            gpu: opts.gpu ?? 'auto',
            idleUnloadMs: opts.idleUnloadMs ?? 15 * 60_000,
            sequencesPerModel: opts.sequencesPerModel ?? 4,
            defaultContextSize: opts.defaultContextSize ?? 8192,
          };
          this.trySend(child, configure);
          this.state = 'running';
          log.info('model host started', { pid: msg.pid, restarts: this.restarts, threads: this.threads });
          resolve(child);
          return;
        }
        this.onChildMessage(msg);
      });

      child.on('error', (err) => {
        // fork failures (bad execPath) and IPC send failures; 'exit' follows when the process existed
        log.error('model host process error', { error: err });
        if (!started) {
          clearTimeout(startTimer);
          if (this.child === child) {
            this.child = undefined;
            this.state = 'crashed';
          }
          reject(
            new GearboxError(ErrorCodes.ModelHostCrashed, `The local model host could not be started: ${err.message}`),
          );
        }
      });

      child.on('exit', (code, signal) => {
        clearTimeout(startTimer);
        if (this.child !== child) return;
        this.child = undefined;
        // Whatever it had loaded is gone with it.
        this.setLoaded([]);
        const how = signal ? `signal ${signal}` : `exit code ${code}`;
        if (this.stopping) {
          this.state = 'stopped';
          this.failAll(
            () =>
              new GearboxError(
                ErrorCodes.RequestCancelled,
                'The local model host was shut down while running this request.',
              ),
          );
          return;
        }
        this.state = 'crashed';
        log.error('model host exited unexpectedly', { how, inFlight: this.pending.size, output: outputTail.slice() });
        if (!started)
          reject(
            new GearboxError(
              ErrorCodes.ModelHostCrashed,
              `The local model host failed to start (${how}); see the daemon log.`,
            ),
          );
        this.failAll(
          () =>
            new GearboxError(
              ErrorCodes.ModelHostCrashed,
              `The local model host crashed (${how}) while running this request; it has been restarted — retry.`,
              { how },
            ),
        );
      });
    });
  }

  private onChildMessage(msg: Exclude<ChildMessage, { type: 'hello' }>): void {
    if (msg.type === 'log') {
      this.opts.logger[msg.level](msg.msg, { ...msg.fields, from: 'model-host' });
      return;
    }
    if (msg.type === 'loadedModels') {
      this.setLoaded(msg.ids);
      return;
    }
    if (msg.type === 'stopped') {
      const reportedAt = performance.timeOrigin + performance.now();
      const sentAt = this.abortsSent.get(msg.id) ?? msg.abortAt;
      this.abortsSent.delete(msg.id);
      const e: AbortStopped = {
        id: msg.id,
        kind: msg.kind,
        sentAt,
        abortAt: msg.abortAt,
        stoppedAt: msg.stoppedAt,
        reportedAt,
      };
      this.opts.logger.debug('model host request stopped after abort', {
        id: e.id,
        kind: e.kind,
        stopMs: Math.round((e.stoppedAt - e.sentAt) * 10) / 10,
      });
      for (const fn of this.stoppedListeners) fn(e);
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) {
      // answered already (aborted or timed out); its `stopped` report, if any, came before this reply
      if (msg.type === 'result' || msg.type === 'error') this.abortsSent.delete(msg.id);
      return;
    }
    switch (msg.type) {
      case 'delta':
        p.onDelta?.(msg.text);
        return;
      case 'progress':
        // A load or download that is moving is not stuck: give it a full timeout again.
        p.timer.refresh();
        p.onProgress?.(msg.phase, msg.progress);
        return;
      case 'result': {
        const parsed = p.schema.safeParse(msg.value);
        if (parsed.success) p.resolve(parsed.data);
        else
          p.reject(
            new GearboxError(
              ErrorCodes.InternalError,
              `Invalid ${p.kind} result from the model host: ${parsed.error.message}`,
            ),
          );
        return;
      }
      case 'error': {
        const err = msg.name === 'AbortError' ? abortError() : new GearboxError(msg.code, msg.message);
        p.reject(err);
        return;
      }
    }
  }

  private failAll(makeError: () => Error): void {
    for (const p of [...this.pending.values()]) p.reject(makeError());
    this.abortsSent.clear();
  }

  private sendAbort(child: ChildProcess, id: number): void {
    this.abortsSent.set(id, performance.timeOrigin + performance.now());
    this.trySend(child, { type: 'abort', id });
  }

  private trySend(child: ChildProcess, msg: ParentMessage): void {
    if (!child.connected) return;
    child.send(msg, (err) => {
      if (err) this.opts.logger.debug('model host send failed', { type: msg.type, error: err });
    });
  }

  private async request<S extends z.ZodType>(
    body: RequestBody,
    schema: S,
    opts: {
      onDelta?: (text: string) => void;
      onProgress?: (phase: 'download' | 'load', progress: number) => void;
      signal?: AbortSignal;
      timeoutMs?: number;
    },
  ): Promise<z.infer<S>> {
    if (opts.signal?.aborted) throw abortError();
    const child = await withAbort(this.ensureChild(), opts.signal);
    const id = this.nextId++;
    const timeoutMs = opts.timeoutMs ?? this.requestTimeoutMs;
    const signal = opts.signal;
    return new Promise<z.infer<S>>((resolve, reject) => {
      const settle = () => {
        clearTimeout(p.timer);
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
      };
      const onAbort = () => {
        settle();
        this.sendAbort(child, id);
        reject(abortError());
      };
      const p: Pending = {
        kind: body.type,
        schema,
        onDelta: opts.onDelta,
        onProgress: opts.onProgress,
        resolve: (value) => {
          settle();
          resolve(value as z.infer<S>);
        },
        reject: (err) => {
          settle();
          reject(err);
        },
        timer: setTimeout(() => {
          settle();
          this.sendAbort(child, id);
          reject(
            new GearboxError(
              ErrorCodes.Timeout,
              `The local model host did not finish ${body.type} within ${timeoutMs} ms.`,
            ),
          );
        }, timeoutMs),
      };
      this.pending.set(id, p);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.trySend(child, { ...body, id } as ParentMessage);
    });
  }
}
