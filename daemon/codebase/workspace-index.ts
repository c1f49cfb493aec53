// The code-search index of one workspace folder: builds it (only new, changed and removed files
// after the first time), applies file-change notifications, ranks chunks for a query (BM25, fused
// with embedding similarity when a local embedding model is configured), and keeps itself on disk.
// Work on the index runs one job at a time; searches run beside a build, on what is indexed so far.
// It runs in a worker thread (index-worker.ts), one per workspace folder: nothing here touches the
// daemon's event loop. Indexing still yields after every file so that searches, cancels and file
// changes are heard while a build runs. In memory: the BM25 arrays, each chunk's file and lines,
// and the vectors; never a chunk's text (snippets are read from the file when shown).
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  ErrorCodes,
  type EmbeddingState,
  type IndexPhase,
  type IndexProblem,
  type IndexState,
  type IndexStatus,
} from '../../shared/protocol';
import type { CodebaseIndexConfig } from '../config';
import { GearboxError } from '../gearbox-error';
import type { Logger } from '../log';
import { Bm25Index } from './bm25';
import { ChunkTable } from './chunk-table';
import { chunkFile } from './chunker';
import { reciprocalRankFusion } from './rank-fusion';
import { loadIndex, removeIndex, saveIndex, type IndexMeta } from './store';
import { forgetStems, terms } from './terms';
import { Parsers } from './tree-sitter';
import { VectorStore } from './vectors';
import { isIndexable, walkWorkspace, type WalkedFile } from './walker';

/** A local model that embeds text (through the model host). */
export interface Embedder {
  model: string;
  embed(texts: string[], signal?: AbortSignal): Promise<number[][]>;
}

export interface WorkspaceIndexOptions {
  root: string;
  /** This workspace's folder in the index cache. */
  dir: string;
  config: CodebaseIndexConfig;
  embedder?: Embedder;
  logger: Logger;
  /** Unsaved changes are written this long after the last one (and on flush). Default 5 s. */
  saveDelayMs?: number;
}

export interface ProgressEvent {
  phase: IndexPhase;
  done: number;
  total: number;
  filesIndexed: number;
}

export interface BuildOutcome {
  filesIndexed: number;
  filesRemoved: number;
  filesUnchanged: number;
  durationMs: number;
}

export interface IndexHit {
  rel: string;
  startLine: number;
  endLine: number;
  score: number;
  matchedBy: ('bm25' | 'embedding')[];
}

export interface FileChange {
  rel: string;
  deleted: boolean;
}

interface FileEntry {
  size: number;
  mtimeMs: number;
  syntax: boolean;
  /** Its chunks are numbers first .. first + count - 1 (added together, renumbered together). */
  first: number;
  count: number;
}

/** Texts per embed request: big enough to amortise the IPC, small enough to cancel promptly. */
const EMBED_BATCH = 16;
/** What an embedding sees of a chunk (its path, then its start). */
const EMBED_CHARS = 4000;
/** Builds that (re)index more files than this save before they answer; smaller ones save a little later. */
const SAVE_NOW_AFTER_FILES = 100;
/** Git's test for binary content: a NUL byte in the first 8000 bytes. */
const SNIFF_BYTES = 8000;

class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task);
    this.tail = result.catch(() => {});
    return result;
  }
}

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class WorkspaceIndex {
  readonly root: string;
  private state: IndexState = 'none';
  private loading?: Promise<void>;
  private files = new Map<string, FileEntry>();
  private bm25 = Bm25Index.create();
  private chunks = ChunkTable.create();
  private vectors?: VectorStore;
  private sourceBytes = 0;
  private builtAt: string | null = null;
  private complete = false;
  private truncated = false;
  private skipped = { tooLarge: 0, binary: 0, overCap: 0 };
  private exclude: string[] = [];
  private indexBytes = 0;
  private problem?: { reason: IndexProblem; message: string };
  private progress?: { phase: IndexPhase; done: number; total: number };
  private embeddingState: EmbeddingState;
  private readonly mutex = new Mutex();
  private readonly listeners = new Set<(e: ProgressEvent) => void>();
  private readonly pending = new Map<string, boolean>();
  private updateTimer?: NodeJS.Timeout;
  private saveTimer?: NodeJS.Timeout;
  private dirty = false;
  private disposed = false;
  private readonly parsers: Parsers;
  private readonly log: Logger;

  constructor(private readonly opts: WorkspaceIndexOptions) {
    this.root = opts.root;
    this.log = opts.logger;
    this.embeddingState = opts.embedder ? 'partial' : 'no-model';
    this.parsers = new Parsers((grammar, err) =>
      this.log.warn('tree-sitter grammar failed to load; its files are cut by lines', {
        grammar,
        error: (err as Error).message,
      }),
    );
  }

  onProgress(fn: (e: ProgressEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Reads the index from disk once; a missing one leaves the state 'none', a bad one is removed. */
  ensureLoaded(): Promise<void> {
    this.loading ??= this.load();
    return this.loading;
  }

  private async load(): Promise<void> {
    this.state = 'loading';
    const outcome = await loadIndex(this.opts.dir, this.root);
    if (outcome.kind === 'loaded') {
      const { meta, bm25, chunks, vectors, bytes } = outcome.index;
      this.bm25 = bm25;
      this.chunks = chunks;
      let first = 0;
      for (const [rel, size, mtimeMs, syntax, count] of meta.files) {
        this.files.set(rel, { size, mtimeMs, syntax, first, count });
        this.sourceBytes += size;
        first += count;
      }
      this.builtAt = meta.builtAt;
      this.complete = meta.complete;
      this.truncated = meta.truncated;
      this.skipped = meta.skipped;
      this.indexBytes = bytes;
      // Vectors of another model are not comparable with this one's query vectors.
      if (vectors && meta.embedding?.model === this.opts.embedder?.model) this.vectors = vectors;
      this.state = 'ready';
      this.log.info('code index loaded', { root: this.root, files: this.files.size, chunks: this.bm25.size });
    } else {
      if (outcome.kind === 'problem') {
        this.problem = { reason: outcome.reason, message: outcome.message };
        this.log.warn('code index unusable; it will be rebuilt', { root: this.root, ...this.problem });
        await removeIndex(this.opts.dir).catch(() => {});
      }
      this.state = 'none';
    }
    this.updateEmbeddingState();
  }

  status(): IndexStatus {
    return {
      root: this.root,
      state: this.state,
      files: this.files.size,
      chunks: this.bm25.size,
      sourceBytes: this.sourceBytes,
      indexBytes: this.indexBytes,
      skipped: { ...this.skipped },
      truncated: this.truncated,
      complete: this.complete,
      builtAt: this.builtAt,
      embeddings: {
        model: this.opts.embedder?.model ?? null,
        state: this.embeddingState,
        chunks: this.vectors?.size ?? 0,
      },
      ...(this.progress ? { progress: { ...this.progress } } : {}),
      ...(this.problem ? { problem: { ...this.problem } } : {}),
    };
  }

  /** Indexes new and changed files, drops removed ones (everything again with `force`). */
  async build(opts: { force?: boolean; exclude: string[]; signal: AbortSignal }): Promise<BuildOutcome> {
    await this.ensureLoaded();
    return this.mutex.run(() => this.runBuild(opts));
  }

  private async runBuild(opts: { force?: boolean; exclude: string[]; signal: AbortSignal }): Promise<BuildOutcome> {
    const started = performance.now();
    const { config } = this.opts;
    const outcome: BuildOutcome = { filesIndexed: 0, filesRemoved: 0, filesUnchanged: 0, durationMs: 0 };
    this.exclude = [...opts.exclude];
    if (opts.force) this.reset();
    this.state = 'indexing';
    this.problem = undefined;
    this.emit('scanning', 0, 0, 0, true);
    try {
      const walk = await walkWorkspace(this.root, {
        maxFileBytes: config.maxFileBytes,
        maxFiles: config.maxFiles,
        maxTotalBytes: config.maxTotalBytes,
        exclude: this.exclude,
        signal: opts.signal,
        onProgress: (found) => this.emit('scanning', found, 0, 0),
      }).catch((err) => {
        if (opts.signal.aborted) throw err;
        this.problem = { reason: 'walk-failed', message: (err as Error).message };
        throw new GearboxError(ErrorCodes.InternalError, `Cannot walk ${this.root}: ${(err as Error).message}`);
      });
      const seen = new Set(walk.files.map((f) => f.rel));
      for (const rel of [...this.files.keys()]) {
        if (seen.has(rel)) continue;
        this.removeFile(rel);
        outcome.filesRemoved++;
      }
      const todo = walk.files.filter((f) => {
        const e = this.files.get(f.rel);
        return !e || e.size !== f.size || e.mtimeMs !== f.mtimeMs;
      });
      outcome.filesUnchanged = walk.files.length - todo.length;
      this.skipped = { ...walk.skipped };
      this.truncated = walk.truncated;
      this.complete = false;
      for (const [i, f] of todo.entries()) {
        if (opts.signal.aborted) throw opts.signal.reason;
        if (await this.indexFile(f)) outcome.filesIndexed++;
        this.emit('indexing', i + 1, todo.length, outcome.filesIndexed, i === 0);
        await yieldToEventLoop();
      }
      this.dirty = this.dirty || outcome.filesIndexed + outcome.filesRemoved > 0 || !!opts.force;
      await this.embedPending(opts.signal, outcome.filesIndexed);
      // A build that changed nothing leaves the saved index as it is.
      if (!this.complete || !this.builtAt) this.dirty = true;
      this.complete = true;
      this.builtAt = new Date().toISOString();
      // Serialising a big index holds the event loop for seconds: a build that changed a few files
      // leaves it to the debounced save (the index is a cache: a crash before then costs a rebuild).
      const firstOrLarge = !this.indexBytes || outcome.filesIndexed + outcome.filesRemoved > SAVE_NOW_AFTER_FILES;
      if (firstOrLarge) await this.save(true);
      else if (this.dirty) this.scheduleSave();
      this.state = 'ready';
      this.emit('done', todo.length, todo.length, outcome.filesIndexed, true);
      outcome.durationMs = performance.now() - started;
      this.log.info('code index built', {
        root: this.root,
        ...outcome,
        files: this.files.size,
        chunks: this.bm25.size,
      });
      return outcome;
    } catch (err) {
      // What was indexed before a cancel or a failure stays usable, and is saved right after this
      // build lets go (the cancel is answered now; the next job waits for the save).
      const cancelled = opts.signal.aborted;
      this.state = this.files.size > 0 || this.builtAt ? 'ready' : cancelled ? 'none' : 'failed';
      this.dirty = true;
      void this.mutex.run(() => this.save());
      this.emit(cancelled ? 'cancelled' : 'failed', 0, 0, outcome.filesIndexed, true);
      throw err;
    } finally {
      this.progress = undefined;
      forgetStems();
    }
  }

  /** File-change notifications (workspace/didChangeWatchedFiles): applied together, after a short pause. */
  notifyChanges(changes: readonly FileChange[]): void {
    if (this.disposed || this.state === 'none' || this.state === 'failed') return;
    for (const c of changes) this.pending.set(c.rel, c.deleted);
    clearTimeout(this.updateTimer);
    this.updateTimer = setTimeout(() => {
      this.updateTimer = undefined;
      void this.mutex
        .run(() => this.applyChanges())
        .catch((err) => this.log.warn('code index update failed', { root: this.root, error: (err as Error).message }));
    }, this.opts.config.updateDelayMs);
  }

  private async applyChanges(): Promise<void> {
    if (this.disposed || this.pending.size === 0) return;
    const batch = [...this.pending];
    this.pending.clear();
    // New .gitignore rules or a new folder: a walk decides (it skips what is unchanged).
    const rewalk = batch.some(([rel]) => path.posix.basename(rel) === '.gitignore');
    let indexed = 0;
    let touched = 0;
    for (const [rel, deleted] of batch) {
      if (rewalk) break;
      const abs = path.join(this.root, rel);
      const st = deleted ? undefined : await fs.stat(abs).catch(() => undefined);
      if (st?.isDirectory()) return void (await this.runBuild({ exclude: this.exclude, signal: neverAborted() }));
      if (!st?.isFile()) {
        touched += this.removeTree(rel);
        continue;
      }
      const keep = await isIndexable(this.root, rel, st.size, {
        maxFileBytes: this.opts.config.maxFileBytes,
        exclude: this.exclude,
      });
      const entry = this.files.get(rel);
      if (!keep) {
        if (entry) touched += this.removeTree(rel);
        continue;
      }
      if (entry && entry.size === st.size && entry.mtimeMs === st.mtimeMs) continue;
      if (await this.indexFile({ rel, size: st.size, mtimeMs: st.mtimeMs })) indexed++;
      touched++;
      await yieldToEventLoop();
    }
    if (rewalk) return void (await this.runBuild({ exclude: this.exclude, signal: neverAborted() }));
    if (touched === 0) return;
    await this.embedPending(undefined, indexed).catch(() => {});
    forgetStems();
    this.dirty = true;
    this.scheduleSave();
    this.emit('updated', touched, batch.length, indexed, true);
    this.progress = undefined;
    this.log.debug('code index updated', { root: this.root, changes: batch.length, indexed });
  }

  /** Reads, chunks and indexes one file; false when it turned out binary, minified or gone. */
  private async indexFile(f: WalkedFile): Promise<boolean> {
    let buf: Buffer;
    try {
      buf = await fs.readFile(path.join(this.root, f.rel));
    } catch {
      this.removeFile(f.rel);
      return false;
    }
    if (buf.subarray(0, SNIFF_BYTES).includes(0)) {
      this.removeFile(f.rel);
      this.skipped.binary++;
      return false;
    }
    const text = buf.toString('utf8');
    const lines = text.split('\n');
    if (text.length > 20_000 && text.length / lines.length > 300) {
      // Minified or generated: one line is too long to be a useful snippet.
      this.removeFile(f.rel);
      this.skipped.tooLarge++;
      return false;
    }
    const { chunks, syntax } = await chunkFile(f.rel, text, this.parsers);
    this.removeFile(f.rel);
    const pathTerms = terms(f.rel);
    const first = this.chunks.length;
    for (const c of chunks) {
      const doc = this.bm25.add({
        text: terms(lines.slice(c.startLine, c.endLine + 1).join('\n')),
        symbols: terms(c.symbols.join(' ')),
        path: pathTerms,
      });
      if (this.chunks.add(f.rel, c.startLine, c.endLine) !== doc) throw new Error('chunk numbers out of step');
    }
    this.files.set(f.rel, { size: f.size, mtimeMs: f.mtimeMs, syntax, first, count: chunks.length });
    this.sourceBytes += f.size;
    if (this.bm25.needsCompaction) this.compact();
    return true;
  }

  private removeFile(rel: string): boolean {
    const entry = this.files.get(rel);
    if (!entry) return false;
    for (let doc = entry.first; doc < entry.first + entry.count; doc++) {
      this.bm25.remove(doc);
      this.vectors?.delete(doc);
    }
    this.files.delete(rel);
    this.sourceBytes -= entry.size;
    return true;
  }

  /** Merges recent additions into the compact arrays and drops removed chunks; chunks are renumbered. */
  private compact(): void {
    const remap = this.bm25.compact();
    this.chunks.remap(remap);
    this.vectors?.remap(remap);
    for (const entry of this.files.values()) entry.first = entry.count > 0 ? remap[entry.first]! : 0;
  }

  /** Removes a file, or every file under a removed folder; returns how many. */
  private removeTree(rel: string): number {
    let n = this.removeFile(rel) ? 1 : 0;
    const prefix = `${rel}/`;
    for (const other of [...this.files.keys()]) if (other.startsWith(prefix) && this.removeFile(other)) n++;
    return n;
  }

  private reset(): void {
    this.files.clear();
    this.bm25 = Bm25Index.create();
    this.chunks = ChunkTable.create();
    this.vectors = undefined;
    this.sourceBytes = 0;
    this.builtAt = null;
  }

  /** Embeds chunks that have no vector yet (up to the cap); a failing model leaves BM25 alone. */
  private async embedPending(signal: AbortSignal | undefined, filesIndexed: number): Promise<void> {
    const embedder = this.opts.embedder;
    if (!embedder) return;
    const room = Math.max(0, this.opts.config.maxEmbeddedChunks - (this.vectors?.size ?? 0));
    // Chunks are named by file and place: their numbers change if a compaction runs while the
    // model embeds (an update beside this build), so a batch looks its chunks up again when it lands.
    const byFile = new Map<string, number[]>();
    let total = 0;
    for (const [rel, entry] of this.files) {
      if (total >= room) break;
      const missing: number[] = [];
      for (let i = 0; i < entry.count && total + missing.length < room; i++)
        if (!this.vectors?.has(entry.first + i)) missing.push(i);
      if (!missing.length) continue;
      byFile.set(rel, missing);
      total += missing.length;
    }
    let done = 0;
    let batch: { rel: string; nth: number; size: number; text: string }[] = [];
    const send = async () => {
      if (!batch.length) return;
      const vectors = await embedder.embed(
        batch.map((b) => b.text),
        signal,
      );
      if (vectors.length !== batch.length) throw new Error(`${vectors.length} vectors for ${batch.length} texts`);
      const dims = vectors[0]!.length;
      if (!this.vectors || this.vectors.dims !== dims) this.vectors = new VectorStore(dims);
      batch.forEach((b, i) => {
        // A file re-indexed or removed meanwhile has other chunks now (embedded by its own update).
        const entry = this.files.get(b.rel);
        if (entry && entry.size === b.size && b.nth < entry.count) this.vectors!.set(entry.first + b.nth, vectors[i]!);
      });
      done += batch.length;
      batch = [];
      this.emit('embedding', done, total, filesIndexed);
    };
    try {
      for (const [rel, nths] of byFile) {
        if (signal?.aborted) throw signal.reason;
        const text = await fs.readFile(path.join(this.root, rel), 'utf8').catch(() => undefined);
        const entry = this.files.get(rel);
        if (text === undefined || !entry) continue;
        const lines = text.split('\n');
        const size = entry.size;
        const places = nths.map((nth) => ({ nth, at: this.chunks.get(entry.first + nth) }));
        for (const { nth, at } of places) {
          if (!at) continue;
          const body = lines.slice(at.startLine, at.endLine + 1).join('\n');
          batch.push({ rel, nth, size, text: `${rel}\n${body}`.slice(0, EMBED_CHARS) });
          if (batch.length >= EMBED_BATCH) await send();
        }
      }
      await send();
      this.dirty = this.dirty || done > 0;
    } catch (err) {
      if (signal?.aborted) throw err;
      this.problem = { reason: 'embedding-failed', message: (err as Error).message };
      this.embeddingState = 'unavailable';
      this.log.warn('embedding chunks failed; search ranks by BM25 alone', { error: (err as Error).message });
      return;
    }
    this.updateEmbeddingState();
  }

  private updateEmbeddingState(): void {
    if (!this.opts.embedder) this.embeddingState = 'no-model';
    else if (this.embeddingState === 'unavailable' && !this.vectors?.size) return;
    else this.embeddingState = this.bm25.size > 0 && this.vectors?.size === this.bm25.size ? 'ready' : 'partial';
  }

  /** The best `k` chunks for the query; throws IndexNotBuilt before the first build. */
  async search(
    query: string,
    k: number,
    signal: AbortSignal,
  ): Promise<{ hits: IndexHit[]; ranking: 'bm25' | 'hybrid'; state: IndexState }> {
    await this.ensureLoaded();
    if (this.state === 'none' || (this.state === 'failed' && this.bm25.size === 0))
      throw new GearboxError(
        ErrorCodes.IndexNotBuilt,
        `${this.root} has no code index yet: build it first (gearbox/index/build)`,
      );
    const pool = Math.max(50, k * 5);
    let queryVector: number[] | undefined;
    const embedder = this.opts.embedder;
    if (embedder && this.vectors?.size) {
      try {
        [queryVector] = await embedder.embed([query], signal);
      } catch (err) {
        if (signal.aborted) throw err;
        this.log.warn('query embedding failed; ranking by BM25 alone', { error: (err as Error).message });
      }
    }
    if (signal.aborted) throw signal.reason;
    // From here on nothing awaits: a build beside this search could compact and renumber chunks.
    const lexical = this.bm25.query(terms(query), pool).map((h) => ({ id: h.doc, score: h.score }));
    const semantic = queryVector && this.vectors ? this.vectors.nearest(queryVector, pool) : [];
    const hybrid = semantic.length > 0;
    const ranked = hybrid
      ? reciprocalRankFusion({ bm25: lexical, embedding: semantic })
      : lexical.map((h) => ({ ...h, matchedBy: ['bm25' as const] }));
    const hits: IndexHit[] = [];
    for (const h of ranked) {
      const at = this.bm25.isLive(h.id) ? this.chunks.get(h.id) : undefined;
      if (!at) continue;
      hits.push({ ...at, score: h.score, matchedBy: h.matchedBy });
      if (hits.length >= k) break;
    }
    return { hits, ranking: hybrid ? 'hybrid' : 'bm25', state: this.state };
  }

  /** Writes unsaved changes now. */
  flush(): Promise<void> {
    clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    return this.mutex.run(() => this.save());
  }

  private scheduleSave(): void {
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => void this.flush(), this.opts.saveDelayMs ?? 5000);
    this.saveTimer.unref?.();
  }

  /** `inBuild`: a build is waiting on it, so the status bar says so. */
  private async save(inBuild = false): Promise<void> {
    if (!this.dirty || (this.files.size === 0 && !this.builtAt)) return;
    if (inBuild) this.emit('saving', 0, 0, 0, true);
    // The file keeps only live chunks, numbered in file order: each file's chunks follow the last's.
    if (this.bm25.hasChanges) this.compact();
    const files = [...this.files].sort((a, b) => a[1].first - b[1].first || a[1].count - b[1].count);
    const meta: Omit<IndexMeta, 'generation' | 'format' | 'chunks'> = {
      root: this.root,
      builtAt: this.builtAt,
      complete: this.complete,
      truncated: this.truncated,
      skipped: this.skipped,
      embedding:
        this.vectors && this.opts.embedder ? { model: this.opts.embedder.model, dims: this.vectors.dims } : null,
      files: files.map(([rel, e]) => [rel, e.size, e.mtimeMs, e.syntax, e.count]),
    };
    try {
      this.indexBytes = await saveIndex(this.opts.dir, meta, this.bm25, this.chunks, this.vectors);
      this.dirty = false;
    } catch (err) {
      this.problem = { reason: 'write-failed', message: (err as Error).message };
      this.log.warn('code index not saved', { root: this.root, error: (err as Error).message });
    }
  }

  private lastEmit = 0;
  private emit(phase: IndexPhase, done: number, total: number, filesIndexed: number, force = false): void {
    this.progress = { phase, done, total };
    const now = performance.now();
    // Progress is for a status bar: ten updates a second are plenty.
    if (!force && now - this.lastEmit < 100 && done !== total) return;
    this.lastEmit = now;
    for (const fn of this.listeners) fn({ phase, done, total, filesIndexed });
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    clearTimeout(this.updateTimer);
    await this.flush().catch(() => {});
    this.parsers.dispose();
    this.listeners.clear();
  }
}

function neverAborted(): AbortSignal {
  return new AbortController().signal;
}
