// One workspace folder's code index as the daemon sees it: a handle on the worker thread that
// holds and builds it (index-worker-client.ts), started on first use and stopped when unused for
// a while (its memory goes back; the next use loads the saved index in the worker, under a
// second for 100k chunks). A build that parsed many files has grown the worker's heap and
// tree-sitter's memory (which never shrinks): that worker is replaced soon after, once idle, by
// one that holds only the loaded index. After a crash the next use starts a new worker on the
// saved index (or on nothing, when the crash came while loading it) and brings it up to date
// with a build in the background, once: a crash during that rebuild waits for an explicit build,
// so a file that crashes the chunker cannot crash the worker in a loop.
import type { IndexStatus, WorkspaceSettings } from '../../shared/protocol';
import type { CodebaseIndexConfig } from '../config';
import type { GearboxError } from '../gearbox-error';
import type { Logger } from '../log';
import { IndexWorkerClient } from './index-worker-client';
import type { BuildOutcome, WorkerHit } from './worker-protocol';
import type { Embedder, ProgressEvent } from './workspace-index';

export interface FolderIndexOptions {
  root: string;
  /** This folder's directory in the index cache. */
  dir: string;
  config: CodebaseIndexConfig;
  embedder?: Embedder;
  logger: Logger;
  /** The worker's entry (index-worker.mjs or .ts). */
  workerEntry: string;
  saveDelayMs?: number;
}

/** Status and flush wait at most this long (loading or saving a very large index). */
const HOUSEKEEPING_TIMEOUT_MS = 120_000;
/** A build that indexed this many files leaves a worker worth replacing (see above)... */
const RECYCLE_AFTER_FILES = 1000;
/** ...this long after its last use. */
const RECYCLE_IDLE_MS = 30_000;

interface Crash {
  message: string;
  /** It came before the worker had read its saved index: the index may be what crashes it. */
  whileLoading: boolean;
  /** A background rebuild after it was started (at most one per crash). */
  rebuildStarted: boolean;
}

export class FolderIndex {
  readonly root: string;
  private client?: IndexWorkerClient;
  /** The current worker has read its saved index. */
  private loaded = false;
  private crash?: Crash;
  /** The excludes of the last build asked for: a rebuild after a crash uses them. */
  private lastExclude?: string[];
  private readonly listeners = new Set<(e: ProgressEvent) => void>();
  private readonly rebuild = new AbortController();
  private disposed = false;
  /** Requests the worker has not answered yet: it is not idle while there are any. */
  private inFlight = 0;
  private idleTimer?: NodeJS.Timeout;
  /** The idle time after which the worker stops next (shorter after a large build). */
  private idleMs: number;

  constructor(private readonly opts: FolderIndexOptions) {
    this.root = opts.root;
    this.idleMs = this.configuredIdleMs();
  }

  /** A worker is running now (it stops when idle, and starts again on the next use). */
  get running(): boolean {
    return !!this.client?.alive;
  }

  onProgress(fn: (e: ProgressEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  async status(): Promise<IndexStatus> {
    const { status } = await this.ask({ type: 'status' }, { timeoutMs: HOUSEKEEPING_TIMEOUT_MS, what: 'Index status' });
    return this.withCrash(status);
  }

  /** Indexes new and changed files, drops removed ones (everything again with `force`). */
  async build(opts: {
    force?: boolean;
    exclude: string[];
    signal: AbortSignal;
  }): Promise<{ status: IndexStatus; outcome: BuildOutcome }> {
    this.lastExclude = [...opts.exclude];
    const answer = await this.ask(
      { type: 'build', force: !!opts.force, exclude: opts.exclude },
      { signal: opts.signal, timeoutMs: this.opts.config.buildTimeoutMs, what: 'Indexing' },
    );
    this.crash = undefined;
    if (answer.outcome.filesIndexed >= RECYCLE_AFTER_FILES) {
      const configured = this.configuredIdleMs();
      this.idleMs = configured ? Math.min(configured, RECYCLE_IDLE_MS) : RECYCLE_IDLE_MS;
      this.armIdle();
    }
    return { status: answer.status, outcome: answer.outcome };
  }

  /** The best `k` chunks with their snippets and privacy; throws IndexNotBuilt before the first build. */
  async search(
    query: string,
    k: number,
    privacy: Pick<WorkspaceSettings, 'privatePaths' | 'privateCode'>,
    signal: AbortSignal,
  ): Promise<{ hits: WorkerHit[]; ranking: 'bm25' | 'hybrid'; state: IndexStatus['state'] }> {
    const answer = await this.ask(
      { type: 'search', query, k, privacy: { privatePaths: privacy.privatePaths, privateCode: privacy.privateCode } },
      { signal, timeoutMs: this.opts.config.searchTimeoutMs, what: 'Code search' },
    );
    return { hits: answer.hits, ranking: answer.ranking, state: answer.state };
  }

  /** File-change notifications (workspace-relative paths). */
  notifyChanges(changes: { rel: string; deleted: boolean }[]): void {
    if (this.disposed) return;
    this.worker().notifyChanges(changes);
    this.armIdle();
  }

  /** Writes unsaved changes now (when a worker is running). */
  async flush(): Promise<void> {
    if (!this.client?.alive) return;
    await this.ask({ type: 'flush' }, { timeoutMs: HOUSEKEEPING_TIMEOUT_MS, what: 'Saving the index' });
  }

  /** Saves what is unsaved and ends the worker. */
  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.idleTimer);
    this.rebuild.abort();
    await this.flush().catch((err) =>
      this.opts.logger.warn('code index not saved', { root: this.root, error: (err as Error).message }),
    );
    await this.client?.stop();
    this.client = undefined;
    this.listeners.clear();
  }

  private async ask<R extends Parameters<IndexWorkerClient['request']>[0]>(
    req: R,
    opts: Parameters<IndexWorkerClient['request']>[1],
  ) {
    const client = this.worker();
    this.inFlight++;
    clearTimeout(this.idleTimer);
    try {
      return await client.request(req, opts);
    } finally {
      this.inFlight--;
      this.armIdle();
    }
  }

  private configuredIdleMs(): number {
    return this.opts.config.workerIdleMinutes * 60_000;
  }

  /** (Re)starts the countdown to stopping an idle worker. */
  private armIdle(): void {
    clearTimeout(this.idleTimer);
    if (!this.client || this.inFlight || !this.idleMs || this.disposed) return;
    // Watched-file changes wait updateDelayMs in the worker before they are applied: never cut that short.
    const delay = Math.max(this.idleMs, this.opts.config.updateDelayMs + 1000);
    this.idleTimer = setTimeout(() => void this.stopIdle(), delay);
    this.idleTimer.unref?.();
  }

  /** Saves what is unsaved and stops the worker, unless a request came meanwhile. */
  private async stopIdle(): Promise<void> {
    const client = this.client;
    if (!client || this.inFlight) return;
    try {
      await client.request({ type: 'flush' }, { timeoutMs: HOUSEKEEPING_TIMEOUT_MS, what: 'Saving the index' });
    } catch (err) {
      return this.opts.logger.warn('idle code index worker kept: saving failed', { error: (err as Error).message });
    }
    if (client !== this.client || this.inFlight) return;
    this.client = undefined;
    this.idleMs = this.configuredIdleMs();
    await client.stop();
    this.opts.logger.info('idle code index worker stopped', { root: this.root });
  }

  private worker(): IndexWorkerClient {
    if (this.client) return this.client;
    const { opts } = this;
    const client = new IndexWorkerClient({
      entry: opts.workerEntry,
      init: {
        root: opts.root,
        dir: opts.dir,
        config: opts.config,
        embeddingModel: opts.embedder?.model ?? null,
        discardSaved: !!this.crash?.whileLoading,
        saveDelayMs: opts.saveDelayMs,
      },
      logger: opts.logger,
      embed: opts.embedder && ((texts, signal) => opts.embedder!.embed(texts, signal)),
      onProgress: (e) => {
        for (const fn of this.listeners) fn(e);
      },
      onLoaded: () => {
        if (client === this.client) this.loaded = true;
      },
      onCrash: (err) => this.onCrash(client, err),
      maxHeapMb: opts.config.workerMaxHeapMb,
    });
    this.client = client;
    this.loaded = false;
    const crash = this.crash;
    if (crash && !crash.rebuildStarted && this.lastExclude) {
      crash.rebuildStarted = true;
      const exclude = this.lastExclude;
      void this.ask(
        { type: 'build', force: false, exclude },
        { signal: this.rebuild.signal, timeoutMs: opts.config.buildTimeoutMs, what: 'Rebuilding the index' },
      ).then(
        () => {
          if (this.crash === crash) this.crash = undefined;
          opts.logger.info('code index rebuilt after a worker crash', { root: opts.root });
        },
        (err) => opts.logger.warn('code index rebuild failed', { root: opts.root, error: (err as Error).message }),
      );
    }
    return client;
  }

  private onCrash(client: IndexWorkerClient, err: GearboxError): void {
    if (client !== this.client) return;
    this.client = undefined;
    const previous = this.crash;
    this.crash = {
      message: err.message,
      whileLoading: !this.loaded,
      // A crash during the rebuild after a crash: wait for an explicit build.
      rebuildStarted: !!previous?.rebuildStarted,
    };
    this.opts.logger.error('code index worker crashed', { root: this.root, error: err.message });
    // Status bars waiting on a build hear that it ended.
    for (const fn of this.listeners) fn({ phase: 'failed', done: 0, total: 0, filesIndexed: 0 });
  }

  private withCrash(status: IndexStatus): IndexStatus {
    if (!this.crash || status.problem) return status;
    return { ...status, problem: { reason: 'worker-crashed', message: this.crash.message } };
  }
}
