// Where each chunk of the index lies: its file and its first and last line, one slot per chunk
// number (bm25.ts numbers them). Lines sit in typed arrays; the path is a reference to the one
// string its file entry holds, so a chunk costs about 12 bytes here. Snippets are not kept: they
// are read from the file when a result is shown (search-hits.ts).

export interface ChunkLocation {
  rel: string;
  /** 0-based, inclusive. */
  startLine: number;
  endLine: number;
}

export class ChunkTable {
  private rels: string[];
  private starts: Uint32Array;
  private ends: Uint32Array;

  private constructor(rels: string[], starts: Uint32Array, ends: Uint32Array) {
    this.rels = rels;
    this.starts = starts;
    this.ends = ends;
  }

  static create(): ChunkTable {
    return new ChunkTable([], new Uint32Array(16), new Uint32Array(16));
  }

  /** From saved lines: `rels[i]` is chunk i's file. */
  static from(rels: string[], starts: Uint32Array, ends: Uint32Array): ChunkTable {
    if (starts.length !== rels.length || ends.length !== rels.length)
      throw new Error(`${rels.length} chunks in the file list, ${starts.length} line ranges`);
    for (let i = 0; i < starts.length; i++)
      if (starts[i]! > ends[i]!) throw new Error(`chunk ${i} ends before it starts`);
    return new ChunkTable(rels, starts, ends);
  }

  get length(): number {
    return this.rels.length;
  }

  /** Appends a chunk; returns its number. */
  add(rel: string, startLine: number, endLine: number): number {
    const at = this.rels.length;
    if (at >= this.starts.length) {
      this.starts = grow(this.starts, at * 2);
      this.ends = grow(this.ends, at * 2);
    }
    this.rels.push(rel);
    this.starts[at] = startLine;
    this.ends[at] = endLine;
    return at;
  }

  get(chunk: number): ChunkLocation | undefined {
    const rel = this.rels[chunk];
    return rel === undefined ? undefined : { rel, startLine: this.starts[chunk]!, endLine: this.ends[chunk]! };
  }

  /** Renumbers after a compaction: `remap[old]` is the new number, -1 for a dropped chunk. */
  remap(remap: Int32Array): void {
    const rels: string[] = [];
    const starts = new Uint32Array(Math.max(16, this.rels.length));
    const ends = new Uint32Array(starts.length);
    for (let old = 0; old < this.rels.length; old++) {
      const to = remap[old]!;
      if (to < 0) continue;
      if (to !== rels.length) throw new Error('a compaction must keep the chunks in order');
      rels.push(this.rels[old]!);
      starts[to] = this.starts[old]!;
      ends[to] = this.ends[old]!;
    }
    this.rels = rels;
    this.starts = starts;
    this.ends = ends;
  }

  /** The line arrays as they are saved. */
  lines(): { starts: Uint32Array; ends: Uint32Array } {
    return { starts: this.starts.subarray(0, this.length), ends: this.ends.subarray(0, this.length) };
  }
}

function grow(a: Uint32Array, capacity: number): Uint32Array {
  const out = new Uint32Array(Math.max(16, capacity));
  out.set(a);
  return out;
}
