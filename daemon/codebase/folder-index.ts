// One workspace folder's code index as the daemon sees it: a handle on the worker thread that
// holds and builds it (index-worker-client.ts), started on first use. After a crash the next use
// starts a new worker on the saved index (or on nothing, when the crash came while loading it) and
// brings it up to date with a build in the background, once: a crash during that rebuild waits
// for an explicit build, so a file that crashes the chunker cannot crash the worker in a loop.
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

interface Crash {
  message: string;
  /** It came before the worker had answered anything: while loading the saved index. */
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

  constructor(private readonly opts: FolderIndexOptions) {
    this.root = opts.root;
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
    if (!this.disposed) this.worker().notifyChanges(changes);
  }

  /** Writes unsaved changes now (when a worker is running). */
  async flush(): Promise<void> {
    if (!this.client?.alive) return;
    await this.ask({ type: 'flush' }, { timeoutMs: HOUSEKEEPING_TIMEOUT_MS, what: 'Saving the index' });
  }

  /** Saves what is unsaved and ends the worker. */
  async dispose(): Promise<void> {
    this.disposed = true;
    this.rebuild.abort();
    await this.flush().catch((err) =>
      this.opts.logger.warn('code index not saved', { root: this.root, error: (err as Error).message }),
    );
    await this.client?.stop();
    this.client = undefined;
    this.listeners.clear();
  }

  private ask<R extends Parameters<IndexWorkerClient['request']>[0]>(
    req: R,
    opts: Parameters<IndexWorkerClient['request']>[1],
  ) {
    return this.worker().request(req, opts);
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
