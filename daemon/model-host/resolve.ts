// Where a local model's GGUF comes from: a path on disk, or an `hf:` URI (node-llama-cpp's formats,
// `hf:owner/repo/file.gguf` or `hf:owner/repo:quant`) downloaded once into the models dir.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorCodes } from '../../shared/protocol';
import { GearboxError } from '../gearbox-error';

export interface ResolveOptions {
  modelsDir: string;
  /** For messages only. */
  modelId?: string;
  /** Download progress, 0..1. */
  onProgress?: (progress: number) => void;
  signal?: AbortSignal;
  /** How long the network may take to answer before we call it offline. Default 10 s. */
  connectTimeoutMs?: number;
}

export function isRemoteSource(source: string): boolean {
  return /^(hf:|huggingface:|https?:\/\/)/i.test(source);
}

/** Returns an absolute path to an existing GGUF file, downloading it first when needed. */
export async function resolveModelSource(source: string, opts: ResolveOptions): Promise<string> {
  return isRemoteSource(source) ? resolveRemote(source, opts) : resolveLocalPath(source, opts);
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

async function resolveRemote(uri: string, opts: ResolveOptions): Promise<string> {
  const nlc = await import('node-llama-cpp');
  const label = opts.modelId ? `model ${opts.modelId} (${uri})` : uri;
  // Already downloaded: no network needed.
  try {
    return await nlc.resolveModelFile(uri, { directory: opts.modelsDir, download: false, cli: false });
  } catch {
    // not present yet
  }
  if (opts.signal?.aborted) throw opts.signal.reason;

  // node-llama-cpp's downloader retries network errors for minutes; a quick probe tells "offline" apart first.
  await probeNetwork(downloadHost(uri), uri, opts);

  fs.mkdirSync(opts.modelsDir, { recursive: true });
  let downloader: Awaited<ReturnType<typeof nlc.createModelDownloader>>;
  try {
    downloader = await withTimeout(
      nlc.createModelDownloader({
        modelUri: uri,
        dirPath: opts.modelsDir,
        showCliProgress: false,
        skipExisting: true,
        deleteTempFileOnCancel: false,
        onProgress: ({ totalSize, downloadedSize }) =>
          opts.onProgress?.(totalSize > 0 ? Math.min(1, downloadedSize / totalSize) : 0),
      }),
      Math.max(opts.connectTimeoutMs ?? 10_000, 30_000),
      () => offlineError(uri, opts.modelsDir, 'the download did not start in time'),
    );
  } catch (err) {
    if (err instanceof GearboxError) throw err;
    throw new GearboxError(ErrorCodes.ModelLoadFailed, `Cannot download ${label}: ${errorText(err)}`);
  }
  try {
    await downloader.download({ signal: opts.signal });
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    if (isNetworkError(err)) throw offlineError(uri, opts.modelsDir, errorText(err));
    throw new GearboxError(ErrorCodes.ModelLoadFailed, `Downloading ${label} failed: ${errorText(err)}`);
  }
  return downloader.entrypointFilePath;
}

function downloadHost(uri: string): string {
  if (/^https?:\/\//i.test(uri)) return new URL(uri).origin;
  return 'https://huggingface.co';
}

async function probeNetwork(origin: string, uri: string, opts: ResolveOptions): Promise<void> {
  const timeout = AbortSignal.timeout(opts.connectTimeoutMs ?? 10_000);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  try {
    // Any HTTP answer, even an error status, means we are online; the downloader reports those itself.
    await fetch(origin, { method: 'HEAD', signal, redirect: 'manual' });
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    const why = timeout.aborted
      ? `no answer from ${origin} within ${opts.connectTimeoutMs ?? 10_000} ms`
      : errorText(err);
    throw offlineError(uri, opts.modelsDir, why);
  }
}

function offlineError(uri: string, modelsDir: string, why: string): GearboxError {
  return new GearboxError(
    ErrorCodes.Offline,
    `Cannot download ${uri}: no network connection (${why}). ` +
      `Download the GGUF on a connected machine and set its path, or place it in ${modelsDir}.`,
    { uri, modelsDir },
  );
}

const NETWORK_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

function isNetworkError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  }
  return false;
}

/** The message with its causes, e.g. "fetch failed: getaddrinfo ENOTFOUND huggingface.co". */
function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const msg = e instanceof Error ? e.message : String(e);
    if (msg && !parts.includes(msg)) parts.push(msg);
  }
  return parts.join(': ') || 'unknown error';
}

async function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  // The loser of the race may still reject later; that must not become an unhandled rejection.
  promise.catch(() => {});
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => (timer = setTimeout(() => reject(onTimeout()), ms))),
    ]);
  } finally {
    clearTimeout(timer);
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
