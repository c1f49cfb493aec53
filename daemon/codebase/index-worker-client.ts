// The daemon's end of one code-index worker thread (index-worker.ts): starts it, numbers requests
// and matches answers, turns an abort into a cancel the worker acknowledges once it has stopped,
// runs the embedding model for it, and reports its end. A worker that crashes (an uncaught error,
// running out of its heap cap) or does not stop within a grace period after a cancel is gone:
// every request waiting on it fails with IndexWorkerFailed, and the daemon carries on.
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ErrorCodes } from '../../shared/protocol';
import { GearboxError } from '../gearbox-error';
import type { Logger } from '../log';
import {
  type AnswerTo,
  FromWorker,
  type ProgressMessage,
  type ToWorker,
  type WorkerInit,
  type WorkerRequest,
} from './worker-protocol';

export interface IndexWorkerClientOptions {
  /** index-worker.mjs next to the bundle, or index-worker.ts from source (tests, tsx). */
  entry: string;
  init: WorkerInit;
  logger: Logger;
  /** Runs the local embedding model (the worker has no model host of its own). */
  embed?: (texts: string[], signal: AbortSignal) => Promise<number[][]>;
  onProgress(e: Omit<ProgressMessage, 'type'>): void;
  /** The worker has read its saved index (or found none). */
  onLoaded(): void;
  /** The worker ended without stop() (a crash): every pending request has failed with `error`. */
  onCrash(error: GearboxError): void;
  /** The worker's heap cap: beyond it the worker stops (reported as a crash), never the daemon. */
  maxHeapMb: number;
  /** A request not answered this long after its cancel means a hung worker, which is stopped. */
  cancelGraceMs?: number;
}

interface Pending {
  type: WorkerRequest['type'];
  resolve(answer: unknown): void;
  reject(err: Error): void;
  /** Set when its deadline passed: the cancel's answer then becomes a timeout error. */
  timedOut?: GearboxError;
  cleanup(): void;
}

const DEFAULT_CANCEL_GRACE_MS = 30_000;

export class IndexWorkerClient {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private readonly embeds = new Map<number, AbortController>();
  private nextId = 0;
  private ended?: GearboxError;
  private stopping = false;
  /** What ended it, when known before its exit (an uncaught error, a hang, a bad message). */
  private cause?: string;
  /** Given up on: whatever it still sends is ignored until it has exited. */
  private killed = false;

  constructor(private readonly opts: IndexWorkerClientOptions) {
    this.worker = startIndexWorker(opts.entry, opts.init, opts.maxHeapMb);
    this.worker.on('message', (raw: unknown) => this.onMessage(raw));
    this.worker.on('error', (err: Error & { code?: string }) => {
      this.cause ??=
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `ran out of its ${opts.maxHeapMb} MiB heap`
          : `crashed: ${err.message}`;
    });
    this.worker.on('exit', (code) => this.onExit(code));
  }

  /** Sends a request; its answer, or the worker's failure. An abort (or the deadline) cancels it in the worker. */
  request<R extends WorkerRequest>(
    req: R,
    opts: { signal?: AbortSignal; timeoutMs: number; what: string },
  ): Promise<AnswerTo<R>> {
    if (this.ended) return Promise.reject(this.ended);
    const id = this.nextId++;
    return new Promise<AnswerTo<R>>((resolve, reject) => {
      let grace: NodeJS.Timeout | undefined;
      const cancel = () => {
        if (!this.pending.has(id) || grace) return;
        this.post({ type: 'cancel', id });
        grace = setTimeout(() => this.kill(`did not stop within ${this.graceMs / 1000} s of a cancel`), this.graceMs);
        grace.unref?.();
      };
      const deadline = setTimeout(() => {
        const entry = this.pending.get(id);
        if (entry)
          entry.timedOut = new GearboxError(
            ErrorCodes.Timeout,
            `${opts.what} timed out after ${Math.round(opts.timeoutMs / 1000)} s`,
          );
        cancel();
      }, opts.timeoutMs);
      deadline.unref?.();
      opts.signal?.addEventListener('abort', cancel, { once: true });
      this.pending.set(id, {
        type: req.type,
        resolve: resolve as (a: unknown) => void,
        reject,
        cleanup: () => {
          clearTimeout(deadline);
          clearTimeout(grace);
          opts.signal?.removeEventListener('abort', cancel);
        },
      });
      this.post({ ...req, id } as ToWorker);
      if (opts.signal?.aborted) cancel();
    });
  }

  /** Watched-file changes; the worker applies them after a short pause. */
  notifyChanges(changes: { rel: string; deleted: boolean }[]): void {
    if (!this.ended) this.post({ type: 'changes', changes });
  }

  get alive(): boolean {
    return !this.ended;
  }

  /** Ends the worker (unsaved changes are the caller's to flush first). */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.worker.terminate();
  }

  private get graceMs(): number {
    return this.opts.cancelGraceMs ?? DEFAULT_CANCEL_GRACE_MS;
  }

  private post(m: ToWorker): void {
    this.worker.postMessage(m);
  }

  /** Stops a worker that misbehaves; its exit reports it like a crash. */
  private kill(why: string): void {
    if (this.killed) return;
    this.killed = true;
    this.cause ??= why;
    this.opts.logger.error('code index worker stopped', { root: this.opts.init.root, why });
    void this.worker.terminate();
  }

  private onMessage(raw: unknown): void {
    if (this.killed) return;
    const parsed = FromWorker.safeParse(raw);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
      return this.kill(`sent an invalid message (${issues})`);
    }
    const m = parsed.data;
    switch (m.type) {
      case 'progress': {
        const { type: _, ...event } = m;
        this.opts.onProgress(event);
        return;
      }
      case 'log':
        this.opts.logger[m.level](m.msg, m.fields);
        return;
      case 'loaded':
        this.opts.onLoaded();
        return;
      case 'embed':
        return void this.runEmbed(m.id, m.texts);
      case 'embedCancel':
        this.embeds.get(m.id)?.abort();
        this.embeds.delete(m.id);
        return;
      case 'failed':
        return this.settle(m.id, (p) =>
          p.reject(
            m.code === ErrorCodes.RequestCancelled && p.timedOut ? p.timedOut : new GearboxError(m.code, m.message),
          ),
        );
      default:
        return this.settle(m.id, (p) => {
          if (p.type === m.type) p.resolve(m);
          else
            p.reject(new GearboxError(ErrorCodes.InternalError, `the index worker answered ${p.type} with ${m.type}`));
        });
    }
  }

  private settle(id: number, fn: (p: Pending) => void): void {
    const p = this.pending.get(id);
    if (!p) return; // answered after its worker was given up on
    this.pending.delete(id);
    p.cleanup();
    fn(p);
  }

  private async runEmbed(id: number, texts: string[]): Promise<void> {
    const ctrl = new AbortController();
    this.embeds.set(id, ctrl);
    try {
      if (!this.opts.embed) throw new Error('no embedding model is configured');
      const vectors = await this.opts.embed(texts, ctrl.signal);
      if (!ctrl.signal.aborted && !this.ended) this.post({ type: 'embedded', id, vectors });
    } catch (err) {
      if (!ctrl.signal.aborted && !this.ended) this.post({ type: 'embedFailed', id, message: (err as Error).message });
    } finally {
      this.embeds.delete(id);
    }
  }

  private onExit(code: number): void {
    const why = this.cause ?? (this.stopping ? 'was stopped' : `exited with code ${code}`);
    this.ended = new GearboxError(
      ErrorCodes.IndexWorkerFailed,
      `The code index worker for ${this.opts.init.root} ${why}; the daemon is fine, and the next use of ` +
        'the index reloads it and brings it up to date',
    );
    for (const ctrl of this.embeds.values()) ctrl.abort();
    this.embeds.clear();
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const p of waiting) {
      p.cleanup();
      p.reject(this.ended);
    }
    if (!this.stopping || this.cause) this.opts.onCrash(this.ended);
  }
}

/** A worker on the bundle, or on the TypeScript source through tsx (whose hooks a worker must register itself). */
export function startIndexWorker(entry: string, init: WorkerInit, maxHeapMb: number): Worker {
  const options = { workerData: init, resourceLimits: { maxOldGenerationSizeMb: maxHeapMb } };
  if (!entry.endsWith('.ts')) return new Worker(entry, options);
  // tsx's ESM API by path: its exports give `require` a CommonJS build that cannot register hooks here.
  const tsxDir = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsx = pathToFileURL(path.join(tsxDir, 'dist', 'esm', 'api', 'index.mjs')).href;
  const source = pathToFileURL(path.resolve(entry)).href;
  const bootstrap =
    `import(${JSON.stringify(tsx)})` + `.then((api) => { api.register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(bootstrap, { ...options, eval: true });
}
