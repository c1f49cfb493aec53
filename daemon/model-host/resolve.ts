// Where a local model's GGUF comes from: a path on disk, or an `hf:` URI (node-llama-cpp's formats,
// `hf:owner/repo/file.gguf` or `hf:owner/repo:quant`) downloaded once into the models dir.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ErrorCodes } from '../../shared/protocol';
import { GearboxError } from '../engine-types';

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
  if (!st.isFile()) throw new GearboxError(ErrorCodes.ModelLoadFailed, `The source of ${label} is not a file: ${file}`, { path: file });
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
        onProgress: ({ totalSize, downloadedSize }) => opts.onProgress?.(totalSize > 0 ? Math.min(1, downloadedSize / totalSize) : 0),
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
    const why = timeout.aborted ? `no answer from ${origin} within ${opts.connectTimeoutMs ?? 10_000} ms` : errorText(err);
    throw offlineError(uri, opts.modelsDir, why);
  }
}

function offlineError(uri: string, modelsDir: string, why: string): GearboxError {
  return new GearboxError(
    ErrorCodes.Offline,
    `Cannot download ${uri}: no network connection (${why}). Download the GGUF on a connected machine and set its path, or place it in ${modelsDir}.`,
    { uri, modelsDir },
  );
}

const NETWORK_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT']);

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
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(onTimeout()), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
