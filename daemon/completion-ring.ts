// The extra context of inline completions: a ring of chunks of other files the user opened, edited
// or selected and looked at (llama.vim / llama.vscode's design). The chunks go into the prompt before the
// file's own prefix, so their KV cache stays warm across keystrokes, as long as the ring does not
// change: new chunks wait in a queue and enter the ring together once the user has been idle for
// a while (one re-evaluation of the prompt for all of them, done by the warm-up then) or moves on
// to complete in another file (whose prompt is not the one being typed into); a chunk much
// like a new one is replaced, not kept twice. The ring is bounded in chunks and characters and
// drops its oldest chunks first.
import type { ContextSnippet } from './completion-context';

/**
 * Why a chunk was picked: llama.vscode's opened, edited and yanked regions. VS Code tells no one of a
 * copy: the editor reports what the user selected or had the cursor in when leaving a file instead.
 */
export const ChunkSource = { Opened: 'opened', Edited: 'edited', Selected: 'selected', Viewed: 'viewed' } as const;
export type ChunkSource = (typeof ChunkSource)[keyof typeof ChunkSource];

export interface RingChunk extends ContextSnippet {
  source: ChunkSource;
}

export interface RingOptions {
  /** Chunks in the ring at most. */
  maxChunks: number;
  /** Characters of all chunks together at most (~4 chars a token). */
  maxChars: number;
  /** Lines of a chunk at most (a chunk around an edit is centred on it). */
  chunkLines: number;
  /** Characters of a chunk at most. */
  maxChunkChars: number;
  /** Chunks waiting to enter the ring at most (the oldest waiting one is dropped). */
  maxQueued: number;
  /** The user must be idle this long before a queued chunk enters the ring. */
  idleMs: number;
  /** Chunks more alike than this (share of common lines) count as one. */
  similar: number;
}

export const DEFAULT_RING_OPTIONS: RingOptions = {
  maxChunks: 16,
  maxChars: 4000,
  chunkLines: 32,
  maxChunkChars: 1200,
  maxQueued: 16,
  idleMs: 1000,
  similar: 0.9,
};

/**
 * Share of lines two chunks have in common, 0..1 (llama.vim's chunk_sim: twice the common lines
 * over all lines), so an edited copy of a chunk counts as the same chunk.
 */
export function chunkSimilarity(a: string, b: string): number {
  const la = a.split('\n');
  const lb = b.split('\n');
  if (la.length + lb.length === 0) return 1;
  const counts = new Map<string, number>();
  for (const l of lb) counts.set(l, (counts.get(l) ?? 0) + 1);
  let common = 0;
  for (const l of la) {
    const n = counts.get(l) ?? 0;
    if (n > 0) {
      common++;
      counts.set(l, n - 1);
    }
  }
  return (2 * common) / (la.length + lb.length);
}

export class ContextRing {
  private readonly ring: RingChunk[] = [];
  private readonly queue: RingChunk[] = [];
  private lastActivity = Number.NEGATIVE_INFINITY;
  /** The file the user last typed in. */
  private activeUri?: string;
  private readonly opts: RingOptions;

  constructor(opts: Partial<RingOptions> = {}) {
    this.opts = { ...DEFAULT_RING_OPTIONS, ...opts };
  }

  /** The user typed in `uri`: the ring holds still for `idleMs` for completions there. */
  touch(now: number, uri: string): void {
    this.lastActivity = now;
    this.activeUri = uri;
  }

  /** Lines a chunk should have: the caller cuts this many lines around the region it picks. */
  get chunkLines(): number {
    return this.opts.chunkLines;
  }

  /**
   * Queues a chunk (lines of a document; whole lines are dropped from its end past `maxChunkChars`).
   * Blank chunks and ones already held are skipped.
   */
  pick(uri: string, text: string, source: ChunkSource): void {
    const chunk = this.fit(text);
    if (chunk.trim() === '') return;
    if ([...this.ring, ...this.queue].some((c) => c.uri === uri && c.text === chunk)) return;
    // A newer take of a waiting chunk replaces it (typing re-picks the same region at every key).
    for (let i = this.queue.length - 1; i >= 0; i--)
      if (chunkSimilarity(this.queue[i]!.text, chunk) > this.opts.similar) this.queue.splice(i, 1);
    this.queue.push({ uri, text: chunk, source });
    if (this.queue.length > this.opts.maxQueued) this.queue.shift();
  }

  /** How long the user must be idle before queued chunks enter the ring. */
  get idleMs(): number {
    return this.opts.idleMs;
  }

  /**
   * Moves the queued chunks into the ring, oldest first, once the user has been idle for `idleMs`
   * or the completion is for a file other than the one being typed in (`completing`); a ring chunk
   * much like a new one leaves, and the oldest leave while the ring is over its bounds. Returns
   * whether the ring changed (the prompts' start is then evaluated afresh).
   */
  update(now: number, completing?: string): boolean {
    if (this.queue.length === 0) return false;
    const typing = now - this.lastActivity < this.opts.idleMs;
    if (typing && (completing === undefined || completing === this.activeUri)) return false;
    for (const next of this.queue.splice(0)) {
      for (let i = this.ring.length - 1; i >= 0; i--)
        if (chunkSimilarity(this.ring[i]!.text, next.text) > this.opts.similar) this.ring.splice(i, 1);
      this.ring.push(next);
    }
    let chars = this.ring.reduce((n, c) => n + c.text.length, 0);
    while (this.ring.length > this.opts.maxChunks || chars > this.opts.maxChars)
      chars -= this.ring.shift()!.text.length;
    return true;
  }

  /** The ring's chunks for a completion in `uri`, oldest first; the file's own are left out (its text is there). */
  chunks(uri: string): RingChunk[] {
    return this.ring.filter((c) => c.uri !== uri);
  }

  /** Chunks waiting to enter the ring (oldest first). */
  queued(): readonly RingChunk[] {
    return this.queue;
  }

  /** Forgets every chunk of `uri` (a document refused for its size, or a file gone private). */
  forget(uri: string): void {
    for (const list of [this.ring, this.queue])
      for (let i = list.length - 1; i >= 0; i--) if (list[i]!.uri === uri) list.splice(i, 1);
  }

  private fit(text: string): string {
    const lines = text.split('\n').slice(0, this.opts.chunkLines);
    let out = lines.join('\n');
    // Drop whole lines from the end until it fits: the chunk stays readable code.
    while (out.length > this.opts.maxChunkChars && lines.length > 1) {
      lines.pop();
      out = lines.join('\n');
    }
    return out.length > this.opts.maxChunkChars ? out.slice(0, this.opts.maxChunkChars) : out;
  }
}
