// Where a local model's GGUF is: a path on disk. The daemon downloads hf: models and hands this
// process their paths; an hf: source that reaches here was not downloaded (only a file fetched by
// an older version into node-llama-cpp's layout of the models dir is still found).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorCodes } from '../../shared/protocol';
import { GearboxError } from '../gearbox-error';

export interface ResolveOptions {
  modelsDir: string;
  /** For messages only. */
  modelId?: string;
}

export function isRemoteSource(source: string): boolean {
  return /^(hf:|huggingface:|https?:\/\/)/i.test(source);
}

/** Returns an absolute path to an existing GGUF file; never touches the network. */
export async function resolveModelSource(source: string, opts: ResolveOptions): Promise<string> {
  return isRemoteSource(source) ? resolveDownloaded(source, opts) : resolveLocalPath(source, opts);
}

function resolveLocalPath(source: string, opts: ResolveOptions): string {
  const expanded = source === '~' || source.startsWith('~/') ? path.join(os.homedir(), source.slice(1)) : source;
  // Relative paths are relative to the models dir, so a config can name a file it placed there.
  const file = path.resolve(opts.modelsDir, expanded);
  const label = opts.modelId ? `model ${opts.modelId}` : 'the model';
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? String(err)})`;
    throw new GearboxError(ErrorCodes.ModelLoadFailed, `The GGUF file for ${label} ${why}: ${file}`, { path: file });
  }
  if (!st.isFile())
    throw new GearboxError(ErrorCodes.ModelLoadFailed, `The source of ${label} is not a file: ${file}`, { path: file });
  return file;
}

async function resolveDownloaded(uri: string, opts: ResolveOptions): Promise<string> {
  const nlc = await import('node-llama-cpp');
  try {
    return await nlc.resolveModelFile(uri, { directory: opts.modelsDir, download: false, cli: false });
  } catch {
    const label = opts.modelId ?? uri;
    throw new GearboxError(
      ErrorCodes.ModelNotDownloaded,
      `Model ${label} (${uri}) is not downloaded yet; the daemon fetches it: gearbox models download ${label}`,
      { modelId: opts.modelId, fixes: [] },
    );
  }
}

// ---------- GGUF header sanity check ----------
// Before llama.cpp (and node-llama-cpp's own JS GGUF reader) touch a file, its header is walked
// here with every count and length checked against the bytes that are really left, so a hostile
// or corrupt header (absurd tensor/kv counts, string or array lengths) is a clear error instead
// of a huge allocation, a hang or a native crash. Tensor data bounds are left to llama.cpp.

const GGUF_MAGIC = 0x46554747; // "GGUF"
const GGML_MAX_DIMS = 4;
const GGML_TYPE_LIMIT = 64;
/** Smallest encoded size of one value of each GGUF type (strings: the 8-byte length). */
const VALUE_SIZE: Record<number, number> = {
  0: 1,
  1: 1,
  2: 2,
  3: 2,
  4: 4,
  5: 4,
  6: 4,
  7: 1,
  8: 8,
  10: 8,
  11: 8,
  12: 8,
};
const ARRAY = 9;
const STRING = 8;
const MAX_STRING_BYTES = 64 * 1024 * 1024;

class GgufHeaderError extends Error {}

class HeaderReader {
  private buf = Buffer.alloc(0);
  private bufStart = 0;
  pos = 0;
  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}
  get left(): number {
    return this.size - this.pos;
  }
  private ensure(n: number): void {
    if (n > this.left)
      throw new GgufHeaderError(
        `the header needs ${n} more bytes at offset ${this.pos} but the file ends ${this.left} bytes later`,
      );
    const have = this.bufStart + this.buf.length - this.pos;
    if (have >= n) return;
    const want = Math.min(Math.max(n, 1 << 20), this.left);
    const next = Buffer.alloc(want);
    const got = fs.readSync(this.fd, next, 0, want, this.pos);
    if (got < n) throw new GgufHeaderError(`short read at offset ${this.pos}`);
    this.buf = next.subarray(0, got);
    this.bufStart = this.pos;
  }
  private at(n: number): number {
    this.ensure(n);
    const off = this.pos - this.bufStart;
    this.pos += n;
    return off;
  }
  u32(): number {
    const off = this.at(4);
    return this.buf.readUInt32LE(off);
  }
  u64(what: string): number {
    const off = this.at(8);
    const v = this.buf.readBigUInt64LE(off);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new GgufHeaderError(`${what} is absurd (${v})`);
    return Number(v);
  }
  skip(n: number): void {
    if (n > this.left)
      throw new GgufHeaderError(`a value of ${n} bytes at offset ${this.pos} runs past the end of the file`);
    this.pos += n;
  }
  skipString(arrayKey: string): void {
    const len = this.u64(`a string length in "${arrayKey}"`);
    if (len > this.left || len > MAX_STRING_BYTES)
      throw new GgufHeaderError(`a string in "${arrayKey}" claims ${len} bytes (${this.left} left in the file)`);
    this.pos += len;
  }
  string(what: string): string {
    const len = this.u64(`the length of ${what}`);
    if (len > this.left || len > MAX_STRING_BYTES)
      throw new GgufHeaderError(`${what} claims ${len} bytes (${this.left} left in the file)`);
    if (len > 4096) {
      this.skip(len);
      return '';
    }
    const off = this.at(len);
    return this.buf.toString('utf8', off, off + len);
  }
}

/** Walks the GGUF header; returns why it is unusable, or undefined when it looks sound. */
export function checkGgufHeader(file: string): string | undefined {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    return `cannot open it (${(err as NodeJS.ErrnoException).code ?? String(err)})`;
  }
  try {
    const r = new HeaderReader(fd, fs.fstatSync(fd).size);
    if (r.size < 24) return `it is too small to be a GGUF file (${r.size} bytes)`;
    if (r.u32() !== GGUF_MAGIC) return 'it is not a GGUF file (bad magic number)';
    const version = r.u32();
    if (version !== 2 && version !== 3) return `unsupported GGUF version ${version}`;
    const nTensors = r.u64('the tensor count');
    const nKv = r.u64('the metadata count');
    // Each tensor info takes at least 8 (name) + 4 + 8 + 4 + 8 bytes, each kv at least 8 + 4 + 1.
    if (nTensors * 32 > r.size)
      return `the header claims ${nTensors} tensors, more than a ${r.size}-byte file can hold`;
    if (nKv * 13 > r.size) return `the header claims ${nKv} metadata entries, more than a ${r.size}-byte file can hold`;
    for (let i = 0; i < nKv; i++) {
      const key = r.string(`metadata key #${i}`);
      const type = r.u32();
      if (type === ARRAY) {
        const itemType = r.u32();
        if (itemType === ARRAY) return `metadata "${key}" is a nested array, which GGUF readers do not support`;
        const size = VALUE_SIZE[itemType];
        if (size === undefined) return `metadata "${key}" has an unknown array item type ${itemType}`;
        const count = r.u64(`the length of array "${key}"`);
        if (count * size > r.left)
          return `array "${key}" claims ${count} items, more than the ${r.left} bytes left in the file`;
        if (itemType === STRING) for (let j = 0; j < count; j++) r.skipString(key);
        else r.skip(count * size);
      } else if (type === STRING) {
        r.string(`metadata "${key}"`);
      } else {
        const size = VALUE_SIZE[type];
        if (size === undefined) return `metadata "${key}" has an unknown type ${type}`;
        r.skip(size);
      }
    }
    for (let i = 0; i < nTensors; i++) {
      const name = r.string(`the name of tensor #${i}`);
      const nDims = r.u32();
      if (nDims < 1 || nDims > GGML_MAX_DIMS)
        return `tensor "${name}" has ${nDims} dimensions (at most ${GGML_MAX_DIMS})`;
      let elements = 1;
      for (let d = 0; d < nDims; d++) {
        const dim = r.u64(`dimension ${d} of tensor "${name}"`);
        elements *= dim;
        if (elements > 2 ** 52) return `tensor "${name}" claims an absurd number of elements`;
      }
      const type = r.u32();
      if (type >= GGML_TYPE_LIMIT) return `tensor "${name}" has an unknown type ${type}`;
      r.u64(`the offset of tensor "${name}"`);
    }
    return undefined;
  } catch (err) {
    if (err instanceof GgufHeaderError) return `its header is corrupt: ${err.message}`;
    throw err;
  } finally {
    fs.closeSync(fd);
  }
}
