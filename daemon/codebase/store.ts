// The index on disk, one folder per workspace folder (named by a hash of its path): meta.json (the
// files, in chunk order, with how many chunks each has), index-<generation>.bin (the BM25 arrays
// and each chunk's lines, index-file.ts) and the vectors of that generation. A save writes the
// new generation's files first and meta.json last (rename), so a crash mid-save leaves the last
// complete index; anything unreadable, invalid or inconsistent on load is reported, never used.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { IndexProblem } from '../../shared/protocol';
import { Bm25Index, FIELDS, type Bm25Arrays, type FieldPostings } from './bm25';
import { ChunkTable } from './chunk-table';
import { decodeSections, encodeSections, type Section } from './index-file';
import { VectorStore } from './vectors';

/** Bump when chunks, terms or the file layout change: an index of another format is rebuilt, not read. */
export const INDEX_FORMAT = 2;

const count = z.number().int().nonnegative();

const IndexMetaSchema = z.object({
  format: z.number().int(),
  root: z.string(),
  generation: z.string().regex(/^[a-z0-9]{1,40}$/),
  builtAt: z.string().nullable(),
  complete: z.boolean(),
  truncated: z.boolean(),
  skipped: z.object({ tooLarge: count, binary: count, overCap: count }),
  embedding: z.object({ model: z.string(), dims: z.number().int().positive() }).nullable(),
  /** Chunks in the index: the sum of the files' chunk counts. */
  chunks: count,
  /** [path, size, mtimeMs, cut on syntax, chunk count], in chunk order (a file's chunks are consecutive). */
  files: z.array(z.tuple([z.string(), count, z.number(), z.boolean(), count])),
});
export type IndexMeta = z.infer<typeof IndexMetaSchema>;

export interface PersistedIndex {
  meta: IndexMeta;
  bm25: Bm25Index;
  chunks: ChunkTable;
  vectors?: VectorStore;
  /** Bytes on disk. */
  bytes: number;
}

export type LoadOutcome =
  | { kind: 'loaded'; index: PersistedIndex }
  | { kind: 'missing' }
  | { kind: 'problem'; reason: IndexProblem; message: string };

export function indexDirFor(baseDir: string, root: string): string {
  return path.join(baseDir, crypto.createHash('sha256').update(path.resolve(root)).digest('hex').slice(0, 24));
}

const META = 'meta.json';
const indexFile = (generation: string) => `index-${generation}.bin`;
const vectorsFile = (generation: string) => `vectors-${generation}.bin`;
const GENERATION_FILE = /^(index|vectors)-[a-z0-9]+\.bin$/;

export async function loadIndex(dir: string, root: string): Promise<LoadOutcome> {
  let raw: string;
  try {
    raw = await fs.readFile(path.join(dir, META), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'problem', reason: 'corrupt-index', message: `cannot read ${META}: ${(err as Error).message}` };
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (err) {
    return { kind: 'problem', reason: 'corrupt-index', message: `${META} is invalid: ${short(err)}` };
  }
  const format = (json as { format?: unknown } | null)?.format;
  if (typeof format === 'number' && format !== INDEX_FORMAT)
    return {
      kind: 'problem',
      reason: 'incompatible-index',
      message: `index format ${format}, this daemon reads ${INDEX_FORMAT}`,
    };
  let meta: IndexMeta;
  try {
    meta = IndexMetaSchema.parse(json);
  } catch (err) {
    return { kind: 'problem', reason: 'corrupt-index', message: `${META} is invalid: ${short(err)}` };
  }
  if (path.resolve(meta.root) !== path.resolve(root))
    return { kind: 'problem', reason: 'incompatible-index', message: `index of ${meta.root}, not ${root}` };
  try {
    const file = await fs.readFile(path.join(dir, indexFile(meta.generation)));
    const sections = decodeSections(file);
    const bm25 = Bm25Index.fromArrays(bm25Arrays(sections));
    const listed = meta.files.reduce((n, f) => n + f[4], 0);
    if (listed !== meta.chunks || bm25.size !== meta.chunks)
      throw new Error(`the BM25 index holds ${bm25.size} chunks, the file list ${listed} (of ${meta.chunks})`);
    const rels: string[] = [];
    for (const [rel, , , , chunks] of meta.files) for (let i = 0; i < chunks; i++) rels.push(rel);
    const chunks = ChunkTable.from(
      rels,
      take(sections, 'chunks.start', Uint32Array),
      take(sections, 'chunks.end', Uint32Array),
    );
    let vectors: VectorStore | undefined;
    let bytes = Buffer.byteLength(raw) + file.length;
    if (meta.embedding) {
      const buf = await fs.readFile(path.join(dir, vectorsFile(meta.generation)));
      vectors = VectorStore.fromBuffer(buf);
      if (vectors.dims !== meta.embedding.dims) throw new Error('vector dims differ from meta.json');
      for (const id of vectors.ids()) if (id >= meta.chunks) throw new Error(`a vector for chunk ${id}, past the last`);
      bytes += buf.length;
    }
    return { kind: 'loaded', index: { meta, bm25, chunks, vectors, bytes } };
  } catch (err) {
    return { kind: 'problem', reason: 'corrupt-index', message: short(err) };
  }
}

/** Writes a new generation of a compacted index; returns its size in bytes. */
export async function saveIndex(
  dir: string,
  meta: Omit<IndexMeta, 'generation' | 'format' | 'chunks'>,
  bm25: Bm25Index,
  chunks: ChunkTable,
  vectors: VectorStore | undefined,
): Promise<number> {
  const listed = meta.files.reduce((n, f) => n + f[4], 0);
  if (listed !== bm25.size || chunks.length !== bm25.size)
    throw new Error(`cannot save: ${bm25.size} chunks indexed, ${listed} listed, ${chunks.length} located`);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const generation = `${Date.now().toString(36)}${crypto.randomBytes(4).toString('hex')}`;
  const full: IndexMeta = {
    ...meta,
    format: INDEX_FORMAT,
    generation,
    chunks: bm25.size,
    embedding: vectors && vectors.size > 0 ? meta.embedding : null,
  };
  const a = bm25.arrays();
  const lines = chunks.lines();
  const sections: Record<string, Section> = {
    terms: a.terms,
    termOffsets: a.termOffsets,
    'chunks.start': lines.starts,
    'chunks.end': lines.ends,
  };
  FIELDS.forEach((field, f) => {
    const postings = a.fields[f]!;
    sections[`${field}.start`] = postings.start;
    sections[`${field}.docs`] = postings.docs;
    sections[`${field}.tfs`] = postings.tfs;
    sections[`${field}.lengths`] = a.lengths[f]!;
  });
  const parts = encodeSections(sections);
  const metaJson = JSON.stringify(full);
  let bytes = Buffer.byteLength(metaJson) + parts.reduce((n, p) => n + p.length, 0);
  await writeAtomic(path.join(dir, indexFile(generation)), parts);
  if (full.embedding && vectors) {
    const buf = vectors.toBuffer();
    bytes += buf.length;
    await writeAtomic(path.join(dir, vectorsFile(generation)), [buf]);
  }
  await writeAtomic(path.join(dir, META), [Buffer.from(metaJson)]);
  // Older generations (and files of an older format) are garbage now.
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    const old = GENERATION_FILE.test(name) || /^bm25-[a-z0-9]+\.json$/.test(name);
    if (old && !name.includes(`-${generation}.`)) await fs.rm(path.join(dir, name), { force: true });
  }
  return bytes;
}

export async function removeIndex(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}

function bm25Arrays(sections: Map<string, Section>): Bm25Arrays {
  const field = (name: string): FieldPostings => ({
    start: take(sections, `${name}.start`, Uint32Array),
    docs: take(sections, `${name}.docs`, Uint32Array),
    tfs: take(sections, `${name}.tfs`, Uint8Array),
  });
  const lengths = (name: string) => take(sections, `${name}.lengths`, Uint16Array);
  return {
    terms: take(sections, 'terms', Uint8Array),
    termOffsets: take(sections, 'termOffsets', Uint32Array),
    fields: [field(FIELDS[0]), field(FIELDS[1]), field(FIELDS[2])],
    lengths: [lengths(FIELDS[0]), lengths(FIELDS[1]), lengths(FIELDS[2])],
  };
}

function take<T extends Section>(sections: Map<string, Section>, name: string, Type: new (...a: never[]) => T): T {
  const s = sections.get(name);
  if (!(s instanceof Type)) throw new Error(`index file lacks ${name}`);
  return s;
}

async function writeAtomic(file: string, parts: Buffer[]): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  const handle = await fs.open(tmp, 'w', 0o600);
  try {
    for (const part of parts)
      for (let at = 0; at < part.length; ) at += (await handle.write(part, at, part.length - at)).bytesWritten;
  } finally {
    await handle.close();
  }
  await fs.rename(tmp, file);
}

function short(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 300);
}
