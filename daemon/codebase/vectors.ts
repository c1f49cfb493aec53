// Chunk embeddings in memory, searched by brute force (unit vectors: cosine = dot product), and
// their file format: a small header, then per chunk its id and `dims` float32s, little-endian.
// Ids are the index's chunk numbers (bm25.ts), renumbered with them when the index compacts.
const MAGIC = 0x47425643; // "GBVC"
const HEADER_BYTES = 12;

export class VectorStore {
  private readonly vectors = new Map<number, Float32Array>();

  constructor(readonly dims: number) {}

  get size(): number {
    return this.vectors.size;
  }

  has(id: number): boolean {
    return this.vectors.has(id);
  }

  set(id: number, vector: readonly number[]): void {
    if (vector.length !== this.dims) throw new Error(`embedding of ${vector.length} dims, expected ${this.dims}`);
    this.vectors.set(id, Float32Array.from(vector));
  }

  delete(id: number): void {
    this.vectors.delete(id);
  }

  ids(): IterableIterator<number> {
    return this.vectors.keys();
  }

  /** Renumbers after the index's compaction: `remap[id]` is the new id, -1 for a dropped chunk. */
  remap(remap: Int32Array): void {
    const old = [...this.vectors];
    this.vectors.clear();
    for (const [id, v] of old) {
      const to = remap[id] ?? -1;
      if (to >= 0) this.vectors.set(to, v);
    }
  }

  /** The `limit` chunks most similar to the (unit) query vector, best first. */
  nearest(query: readonly number[], limit: number): { id: number; score: number }[] {
    if (query.length !== this.dims) return [];
    const q = Float32Array.from(query);
    const top: { id: number; score: number }[] = [];
    for (const [id, v] of this.vectors) {
      let dot = 0;
      for (let i = 0; i < v.length; i++) dot += v[i]! * q[i]!;
      if (top.length < limit) {
        top.push({ id, score: dot });
        if (top.length === limit) top.sort((a, b) => b.score - a.score);
      } else if (dot > top[limit - 1]!.score) {
        // Insertion into the sorted list: limit is small (tens).
        let i = limit - 1;
        while (i > 0 && top[i - 1]!.score < dot) {
          top[i] = top[i - 1]!;
          i--;
        }
        top[i] = { id, score: dot };
      }
    }
    return top.sort((a, b) => b.score - a.score);
  }

  toBuffer(): Buffer {
    const recordBytes = 4 + this.dims * 4;
    const buf = Buffer.alloc(HEADER_BYTES + this.vectors.size * recordBytes);
    buf.writeUInt32LE(MAGIC, 0);
    buf.writeUInt32LE(this.vectors.size, 4);
    buf.writeUInt32LE(this.dims, 8);
    let at = HEADER_BYTES;
    for (const [id, v] of this.vectors) {
      buf.writeUInt32LE(id, at);
      for (let i = 0; i < v.length; i++) buf.writeFloatLE(v[i]!, at + 4 + i * 4);
      at += recordBytes;
    }
    return buf;
  }

  /** Reads what toBuffer() wrote; throws on a wrong header or size. */
  static fromBuffer(buf: Buffer): VectorStore {
    if (buf.length < HEADER_BYTES || buf.readUInt32LE(0) !== MAGIC) throw new Error('not a vector file');
    const count = buf.readUInt32LE(4);
    const dims = buf.readUInt32LE(8);
    const recordBytes = 4 + dims * 4;
    if (dims === 0 || buf.length !== HEADER_BYTES + count * recordBytes)
      throw new Error(`vector file of ${buf.length} bytes does not hold ${count} × ${dims} dims`);
    const store = new VectorStore(dims);
    for (let n = 0, at = HEADER_BYTES; n < count; n++, at += recordBytes) {
      const v = new Float32Array(dims);
      for (let i = 0; i < dims; i++) v[i] = buf.readFloatLE(at + 4 + i * 4);
      store.vectors.set(buf.readUInt32LE(at), v);
    }
    return store;
  }
}
