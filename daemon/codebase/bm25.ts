// Full-text ranking of chunks: BM25+ (k1 1.2, b 0.7, δ 0.5) over three fields, the chunk's text,
// the names it defines (boost 3) and its file's path (boost 1.5), times the number of distinct
// query terms a chunk matches: the scoring MiniSearch gave this index before, kept so rankings
// stay the same. MiniSearch held each posting as a Map entry (about 4 KB of heap per chunk, 400+
// MiB for a large tree); here postings live in typed arrays (7 bytes each) and terms in one sorted
// byte string, so the index costs tens of MiB and is written and read as plain buffers.
//
// Chunks are numbered 0, 1, 2, ... in the order they are added ("docs"). Added chunks go to a
// small mutable delta; removed ones are only marked dead. compact() merges the delta into the
// sealed arrays and drops dead chunks, renumbering the rest (in order) and returning the mapping.

/** The fields and their boosts (a match in a defined name counts most). */
export const FIELDS = ['text', 'symbols', 'path'] as const;
const BOOST = [1, 3, 1.5] as const;
const K1 = 1.2;
const B = 0.7;
const DELTA = 0.5;
/** Term frequencies saturate long before this (BM25); clamping keeps one byte per posting. */
const MAX_TF = 255;
const MAX_LENGTH = 0xffff;

/** A chunk's terms per field, with repeats (terms.ts). */
export type ChunkTerms = Record<(typeof FIELDS)[number], readonly string[]>;

export interface FieldPostings {
  /** Per term: where its postings start in `docs` and `tfs` (one more entry than terms). */
  start: Uint32Array;
  docs: Uint32Array;
  tfs: Uint8Array;
}

/** The sealed index as plain arrays: what is saved and loaded. */
export interface Bm25Arrays {
  /** Terms in ascending byte order, concatenated (terms are ASCII: see terms.ts). */
  terms: Uint8Array;
  /** Where each term starts in `terms` (one more entry than terms). */
  termOffsets: Uint32Array;
  fields: [FieldPostings, FieldPostings, FieldPostings];
  /** Per chunk and field: its number of distinct terms. */
  lengths: [Uint16Array, Uint16Array, Uint16Array];
}

export interface ScoredDoc {
  doc: number;
  score: number;
}

export class Bm25Index {
  private terms: Buffer;
  private termOffsets: Uint32Array;
  private sealed: FieldPostings[];
  /** Chunks below this number are in the sealed arrays; the rest in the delta. */
  private sealedDocs: number;
  /** Per field: term → [doc, tf, doc, tf, ...] of chunks added since the last compaction. */
  private delta: Map<string, number[]>[] = [new Map(), new Map(), new Map()];
  private lengths: Uint16Array[];
  private live: Uint8Array;
  private docs: number;
  private liveDocs: number;
  private readonly totalLength = [0, 0, 0];
  /** Scratch space for queries, one slot per chunk (reused: a query allocates nothing per chunk). */
  private scores = new Float64Array(0);
  private matched = new Uint16Array(0);
  private lastTerm = new Int32Array(0);

  private constructor(arrays: Bm25Arrays, docCount: number) {
    this.terms = Buffer.from(arrays.terms.buffer, arrays.terms.byteOffset, arrays.terms.byteLength);
    this.termOffsets = arrays.termOffsets;
    this.sealed = arrays.fields;
    this.sealedDocs = docCount;
    this.docs = docCount;
    this.liveDocs = docCount;
    this.lengths = arrays.lengths.map((l) => grow(l, Math.max(16, docCount), Uint16Array));
    this.live = new Uint8Array(Math.max(16, docCount)).fill(1, 0, docCount);
    for (let f = 0; f < FIELDS.length; f++) {
      const lengths = arrays.lengths[f]!;
      let sum = 0;
      for (let d = 0; d < docCount; d++) sum += lengths[d]!;
      this.totalLength[f] = sum;
    }
  }

  static create(): Bm25Index {
    const empty = (): FieldPostings => ({
      start: new Uint32Array(1),
      docs: new Uint32Array(0),
      tfs: new Uint8Array(0),
    });
    return new Bm25Index(
      {
        terms: new Uint8Array(0),
        termOffsets: new Uint32Array(1),
        fields: [empty(), empty(), empty()],
        lengths: [new Uint16Array(0), new Uint16Array(0), new Uint16Array(0)],
      },
      0,
    );
  }

  /** From what arrays() returned (after checking they hold together); throws on anything else. */
  static fromArrays(arrays: Bm25Arrays): Bm25Index {
    const docCount = arrays.lengths[0].length;
    checkArrays(arrays, docCount);
    return new Bm25Index(arrays, docCount);
  }

  /** Chunks in the index (not counting removed ones). */
  get size(): number {
    return this.liveDocs;
  }

  /** Numbers handed out since the last compaction (removed chunks included). */
  get docCount(): number {
    return this.docs;
  }

  isLive(doc: number): boolean {
    return doc < this.docs && this.live[doc] === 1;
  }

  /** Adds a chunk; returns its number (one more than the last). */
  add(terms: ChunkTerms): number {
    const doc = this.docs++;
    if (doc >= this.live.length) {
      const capacity = this.live.length * 2;
      this.live = grow(this.live, capacity, Uint8Array);
      this.lengths = this.lengths.map((l) => grow(l, capacity, Uint16Array));
    }
    FIELDS.forEach((field, f) => {
      const counts = new Map<string, number>();
      for (const t of terms[field]) counts.set(t, (counts.get(t) ?? 0) + 1);
      const length = Math.min(counts.size, MAX_LENGTH);
      this.lengths[f]![doc] = length;
      this.totalLength[f]! += length;
      const delta = this.delta[f]!;
      for (const [term, tf] of counts) {
        let list = delta.get(term);
        if (!list) delta.set(term, (list = []));
        list.push(doc, Math.min(tf, MAX_TF));
      }
    });
    this.live[doc] = 1;
    this.liveDocs++;
    return doc;
  }

  /** Marks a chunk removed: it stops matching now, its postings go at the next compaction. */
  remove(doc: number): void {
    if (!this.isLive(doc)) return;
    this.live[doc] = 0;
    this.liveDocs--;
    for (let f = 0; f < FIELDS.length; f++) this.totalLength[f]! -= this.lengths[f]![doc]!;
  }

  /** Worth compacting: the delta or the dead chunks are a large share of the index. */
  get needsCompaction(): boolean {
    const added = this.docs - this.sealedDocs;
    const dead = this.docs - this.liveDocs;
    return added >= Math.max(16_384, this.sealedDocs / 4) || dead >= Math.max(4096, this.docs / 4);
  }

  /** Anything in the delta or dead: compact() would change the arrays. */
  get hasChanges(): boolean {
    return this.docs !== this.sealedDocs || this.liveDocs !== this.docs;
  }

  /**
   * Merges the delta into the sealed arrays and drops dead chunks. Returns each old number's new
   * one (-1: dropped); live chunks keep their order.
   */
  compact(): Int32Array {
    const oldDocs = this.docs;
    const remap = new Int32Array(oldDocs);
    let next = 0;
    for (let d = 0; d < oldDocs; d++) remap[d] = this.live[d] ? next++ : -1;
    const merged = mergeTerms(this.sealedTermList(), this.deltaTermList());
    const fields = FIELDS.map((_, f) => this.mergeField(f, merged, remap)) as Bm25Arrays['fields'];
    // Terms no chunk holds any more are dropped.
    const kept: string[] = [];
    const keptStarts: number[][] = [[], [], []];
    for (let t = 0; t < merged.length; t++) {
      if (fields.every((p) => p.start[t + 1] === p.start[t])) continue;
      kept.push(merged[t]!.term);
      for (let f = 0; f < FIELDS.length; f++) keptStarts[f]!.push(fields[f]!.start[t]!);
    }
    for (let f = 0; f < FIELDS.length; f++) {
      const start = new Uint32Array(kept.length + 1);
      start.set(keptStarts[f]!);
      start[kept.length] = fields[f]!.docs.length;
      fields[f]!.start = start;
    }
    const termOffsets = new Uint32Array(kept.length + 1);
    let at = 0;
    kept.forEach((t, i) => {
      termOffsets[i] = at;
      at += Buffer.byteLength(t);
    });
    termOffsets[kept.length] = at;
    this.terms = Buffer.from(kept.join(''));
    this.termOffsets = termOffsets;
    this.sealed = fields;
    const capacity = Math.max(16, next);
    this.lengths = this.lengths.map((old) => {
      const l = new Uint16Array(capacity);
      for (let d = 0; d < oldDocs; d++) if (remap[d]! >= 0) l[remap[d]!] = old[d]!;
      return l;
    });
    this.live = new Uint8Array(capacity).fill(1, 0, next);
    this.docs = next;
    this.liveDocs = next;
    this.sealedDocs = next;
    this.delta = [new Map(), new Map(), new Map()];
    this.scores = new Float64Array(0);
    this.matched = new Uint16Array(0);
    this.lastTerm = new Int32Array(0);
    return remap;
  }

  /** The sealed arrays (call compact() first: the delta and dead chunks are not in them). */
  arrays(): Bm25Arrays {
    if (this.hasChanges) throw new Error('compact the BM25 index before reading its arrays');
    return {
      terms: this.terms,
      termOffsets: this.termOffsets,
      fields: this.sealed as Bm25Arrays['fields'],
      lengths: this.lengths.map((l) => l.subarray(0, this.docs)) as Bm25Arrays['lengths'],
    };
  }

  /** The best `limit` chunks for the query's terms, best first (ties: the older chunk first). */
  query(queryTerms: readonly string[], limit: number): ScoredDoc[] {
    const n = this.liveDocs;
    if (n === 0 || limit <= 0) return [];
    const repeats = new Map<string, number>();
    for (const t of queryTerms) repeats.set(t, (repeats.get(t) ?? 0) + 1);
    if (this.scores.length < this.docs) {
      this.scores = new Float64Array(this.live.length);
      this.matched = new Uint16Array(this.live.length);
      this.lastTerm = new Int32Array(this.live.length).fill(-1);
    }
    const { scores, matched, lastTerm, live } = this;
    const touched: number[] = [];
    let termIndex = 0;
    for (const [term, times] of repeats) {
      const sealedAt = this.findTerm(term);
      for (let f = 0; f < FIELDS.length; f++) {
        const p = this.sealed[f]!;
        const from = sealedAt < 0 ? 0 : p.start[sealedAt]!;
        const to = sealedAt < 0 ? 0 : p.start[sealedAt + 1]!;
        const added = this.delta[f]!.get(term);
        let df = 0;
        for (let i = from; i < to; i++) df += live[p.docs[i]!]!;
        if (added) for (let i = 0; i < added.length; i += 2) df += live[added[i]!]!;
        if (df === 0) continue;
        const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
        const avg = this.totalLength[f]! / n || 1;
        const lengths = this.lengths[f]!;
        const weight = times * BOOST[f]!;
        const score = (doc: number, tf: number) => {
          if (!live[doc]) return;
          const norm = K1 * (1 - B + (B * lengths[doc]!) / avg);
          if (lastTerm[doc] === -1 && matched[doc] === 0) touched.push(doc);
          scores[doc]! += weight * idf * (DELTA + (tf * (K1 + 1)) / (tf + norm));
          if (lastTerm[doc] !== termIndex) {
            lastTerm[doc] = termIndex;
            matched[doc]!++;
          }
        };
        for (let i = from; i < to; i++) score(p.docs[i]!, p.tfs[i]!);
        if (added) for (let i = 0; i < added.length; i += 2) score(added[i]!, added[i + 1]!);
      }
      termIndex++;
    }
    const top = topK(touched, (d) => scores[d]! * matched[d]!, limit);
    for (const d of touched) {
      scores[d] = 0;
      matched[d] = 0;
      lastTerm[d] = -1;
    }
    return top;
  }

  /** The term's place in the sealed list, or -1 (binary search over bytes). */
  private findTerm(term: string): number {
    const key = Buffer.from(term);
    let lo = 0;
    let hi = this.termOffsets.length - 2;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const cmp = this.terms.compare(key, 0, key.length, this.termOffsets[mid]!, this.termOffsets[mid + 1]!);
      if (cmp === 0) return mid;
      if (cmp < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private sealedTermList(): string[] {
    const out: string[] = new Array(this.termOffsets.length - 1);
    for (let t = 0; t < out.length; t++)
      out[t] = this.terms.toString('utf8', this.termOffsets[t]!, this.termOffsets[t + 1]!);
    return out;
  }

  private deltaTermList(): string[] {
    const all = new Set<string>();
    for (const d of this.delta) for (const t of d.keys()) all.add(t);
    return [...all].sort(byBytes);
  }

  /** One field's postings over the merged term list, dead chunks left out, numbers remapped. */
  private mergeField(f: number, merged: MergedTerm[], remap: Int32Array): FieldPostings {
    const p = this.sealed[f]!;
    const delta = this.delta[f]!;
    const start = new Uint32Array(merged.length + 1);
    let total = 0;
    merged.forEach((m, t) => {
      start[t] = total;
      if (m.sealed >= 0)
        for (let i = p.start[m.sealed]!; i < p.start[m.sealed + 1]!; i++) if (remap[p.docs[i]!]! >= 0) total++;
      const added = delta.get(m.term);
      if (added) for (let i = 0; i < added.length; i += 2) if (remap[added[i]!]! >= 0) total++;
    });
    start[merged.length] = total;
    const docs = new Uint32Array(total);
    const tfs = new Uint8Array(total);
    let at = 0;
    for (const m of merged) {
      // Sealed chunks are numbered below delta ones: each term's list stays in ascending order.
      if (m.sealed >= 0)
        for (let i = p.start[m.sealed]!; i < p.start[m.sealed + 1]!; i++) {
          const to = remap[p.docs[i]!]!;
          if (to < 0) continue;
          docs[at] = to;
          tfs[at++] = p.tfs[i]!;
        }
      const added = delta.get(m.term);
      if (added)
        for (let i = 0; i < added.length; i += 2) {
          const to = remap[added[i]!]!;
          if (to < 0) continue;
          docs[at] = to;
          tfs[at++] = added[i + 1]!;
        }
    }
    return { start, docs, tfs };
  }
}

interface MergedTerm {
  term: string;
  /** Its place in the sealed list, or -1. */
  sealed: number;
}

/** Both lists ascending; the union, ascending, each term once. */
function mergeTerms(sealed: string[], added: string[]): MergedTerm[] {
  const out: MergedTerm[] = [];
  let i = 0;
  let j = 0;
  while (i < sealed.length || j < added.length) {
    const a = sealed[i];
    const b = added[j];
    if (b === undefined || (a !== undefined && byBytes(a, b) < 0)) out.push({ term: a!, sealed: i++ });
    else if (a === undefined || byBytes(a, b) > 0) out.push({ term: added[j++]!, sealed: -1 });
    else {
      out.push({ term: a, sealed: i++ });
      j++;
    }
  }
  return out;
}

/** Terms are ASCII (terms.ts), where UTF-16 order is byte order. */
function byBytes(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The `limit` best of `docs` by `score`, best first; equal scores: the lower number first. */
function topK(docs: readonly number[], score: (d: number) => number, limit: number): ScoredDoc[] {
  // A min-heap of the best so far: O(n log k) instead of sorting every match of a common word.
  const heap: ScoredDoc[] = [];
  const worse = (a: ScoredDoc, b: ScoredDoc) => a.score < b.score || (a.score === b.score && a.doc > b.doc);
  const swap = (i: number, j: number) => {
    const t = heap[i]!;
    heap[i] = heap[j]!;
    heap[j] = t;
  };
  for (const doc of docs) {
    const entry = { doc, score: score(doc) };
    if (heap.length < limit) {
      heap.push(entry);
      for (let i = heap.length - 1; i > 0; ) {
        const parent = (i - 1) >> 1;
        if (!worse(heap[i]!, heap[parent]!)) break;
        swap(i, parent);
        i = parent;
      }
    } else if (worse(heap[0]!, entry)) {
      heap[0] = entry;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && worse(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && worse(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        swap(i, m);
        i = m;
      }
    }
  }
  return heap.sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
}

type TypedArrayOf<T> = { new (n: number): T };
function grow<T extends Uint8Array | Uint16Array>(a: T, capacity: number, Type: TypedArrayOf<T>): T {
  if (a.length >= capacity) return a;
  const out = new Type(capacity);
  out.set(a);
  return out;
}

/** Throws unless the arrays describe a consistent index of `docCount` chunks (a file could be damaged). */
function checkArrays(a: Bm25Arrays, docCount: number): void {
  const termCount = a.termOffsets.length - 1;
  if (termCount < 0 || a.termOffsets[0] !== 0 || a.termOffsets[termCount] !== a.terms.length)
    throw new Error('BM25 term offsets do not cover the term list');
  const terms = Buffer.from(a.terms.buffer, a.terms.byteOffset, a.terms.byteLength);
  for (let t = 0; t < termCount; t++) {
    const s = a.termOffsets[t]!;
    const e = a.termOffsets[t + 1]!;
    if (e <= s) throw new Error('BM25 term list holds an empty term');
    if (t > 0 && terms.compare(terms, a.termOffsets[t - 1]!, s, s, e) <= 0)
      throw new Error('BM25 terms are not in ascending order');
  }
  for (const lengths of a.lengths)
    if (lengths.length !== docCount) throw new Error('BM25 field lengths do not match the chunk count');
  for (const p of a.fields) {
    if (p.start.length !== termCount + 1 || p.start[0] !== 0 || p.start[termCount] !== p.docs.length)
      throw new Error('BM25 postings do not cover the term list');
    if (p.tfs.length !== p.docs.length) throw new Error('BM25 term frequencies do not match the postings');
    for (let t = 0; t < termCount; t++) {
      const from = p.start[t]!;
      const to = p.start[t + 1]!;
      if (to < from) throw new Error('BM25 postings start out of order');
      for (let i = from; i < to; i++) {
        if (p.docs[i]! >= docCount || (i > from && p.docs[i]! <= p.docs[i - 1]!))
          throw new Error('BM25 postings name chunks out of order or out of range');
        if (p.tfs[i] === 0) throw new Error('BM25 posting with a zero term frequency');
      }
    }
  }
}
