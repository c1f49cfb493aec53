// The index on disk, one folder per workspace folder (named by a hash of its path): meta.json (the
// files and their chunks), the BM25 index and the vectors of one generation. A save writes the
// new generation's files first and meta.json last (rename), so a crash mid-save leaves the last
// complete index; anything unreadable, invalid or inconsistent on load is reported, never used.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { IndexProblem } from '../../shared/protocol';
import { Bm25Index } from './bm25';
import { VectorStore } from './vectors';

/** Bump when chunks or terms change: an index of another format is rebuilt, not read. */
export const INDEX_FORMAT = 1;

const count = z.number().int().nonnegative();

const IndexMetaSchema = z.object({
  format: z.number().int(),
  root: z.string(),
  generation: z.string().regex(/^[a-z0-9]{1,40}$/),
  builtAt: z.string().nullable(),
  complete: z.boolean(),
  truncated: z.boolean(),
  skipped: z.object({ tooLarge: count, binary: count, overCap: count }),
  nextChunkId: count,
  embedding: z.object({ model: z.string(), dims: z.number().int().positive() }).nullable(),
  /** [path, size, mtimeMs, cut on syntax, [[chunk id, start line, end line], ...]] */
  files: z.array(z.tuple([z.string(), count, z.number(), z.boolean(), z.array(z.tuple([count, count, count]))])),
});
export type IndexMeta = z.infer<typeof IndexMetaSchema>;

export interface PersistedIndex {
  meta: IndexMeta;
  bm25: Bm25Index;
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
const bm25File = (generation: string) => `bm25-${generation}.json`;
const vectorsFile = (generation: string) => `vectors-${generation}.bin`;

export async function loadIndex(dir: string, root: string): Promise<LoadOutcome> {
  let raw: string;
  try {
    raw = await fs.readFile(path.join(dir, META), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'problem', reason: 'corrupt-index', message: `cannot read ${META}: ${(err as Error).message}` };
  }
  let meta: IndexMeta;
  try {
    meta = IndexMetaSchema.parse(JSON.parse(raw));
  } catch (err) {
    return { kind: 'problem', reason: 'corrupt-index', message: `${META} is invalid: ${short(err)}` };
  }
  if (meta.format !== INDEX_FORMAT)
    return {
      kind: 'problem',
      reason: 'incompatible-index',
      message: `index format ${meta.format}, this daemon reads ${INDEX_FORMAT}`,
    };
  if (path.resolve(meta.root) !== path.resolve(root))
    return { kind: 'problem', reason: 'incompatible-index', message: `index of ${meta.root}, not ${root}` };
  try {
    const bm25Raw = await fs.readFile(path.join(dir, bm25File(meta.generation)), 'utf8');
    const bm25 = Bm25Index.fromJSON(bm25Raw);
    const chunks = meta.files.reduce((n, f) => n + f[4].length, 0);
    if (bm25.size !== chunks) throw new Error(`the BM25 index holds ${bm25.size} chunks, the file list ${chunks}`);
    let vectors: VectorStore | undefined;
    let bytes = Buffer.byteLength(raw) + Buffer.byteLength(bm25Raw);
    if (meta.embedding) {
      const buf = await fs.readFile(path.join(dir, vectorsFile(meta.generation)));
      vectors = VectorStore.fromBuffer(buf);
      if (vectors.dims !== meta.embedding.dims) throw new Error('vector dims differ from meta.json');
      bytes += buf.length;
    }
    return { kind: 'loaded', index: { meta, bm25, vectors, bytes } };
  } catch (err) {
    return { kind: 'problem', reason: 'corrupt-index', message: short(err) };
  }
}

/** Writes a new generation; returns its size in bytes. */
export async function saveIndex(
  dir: string,
  meta: Omit<IndexMeta, 'generation' | 'format'>,
  bm25Json: string,
  vectors: VectorStore | undefined,
): Promise<number> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  const generation = `${Date.now().toString(36)}${crypto.randomBytes(4).toString('hex')}`;
  const full: IndexMeta = {
    ...meta,
    format: INDEX_FORMAT,
    generation,
    embedding: vectors && vectors.size > 0 ? meta.embedding : null,
  };
  const metaJson = JSON.stringify(full);
  let bytes = Buffer.byteLength(metaJson) + Buffer.byteLength(bm25Json);
  await writeAtomic(path.join(dir, bm25File(generation)), bm25Json);
  if (full.embedding && vectors) {
    const buf = vectors.toBuffer();
    bytes += buf.length;
    await writeAtomic(path.join(dir, vectorsFile(generation)), buf);
  }
  await writeAtomic(path.join(dir, META), metaJson);
  // Older generations are garbage now.
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    if (/^(bm25|vectors)-[a-z0-9]+\.(json|bin)$/.test(name) && !name.includes(`-${generation}.`))
      await fs.rm(path.join(dir, name), { force: true });
  }
  return bytes;
}

export async function removeIndex(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
}

async function writeAtomic(file: string, data: string | Buffer): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, data, { mode: 0o600 });
  await fs.rename(tmp, file);
}

function short(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).slice(0, 300);
}
