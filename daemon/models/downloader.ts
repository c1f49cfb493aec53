// One file from the hub onto disk, the careful way: free space checked before the first byte, bytes
// written to <file>.partial (never a name that looks complete), resumed with an HTTP Range after a
// cancel or a dropped connection (what is on disk is not fetched again), a connection that stalls is
// dropped and retried, and the size and sha256 are checked before the file is renamed into place.
import { createHash, type Hash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../log';
import { DownloadError, errorText, isNetworkError } from './download-error';
import type { RemoteFile } from './hub';

export interface DownloadFileOptions {
  remote: RemoteFile;
  /** Final path; the download lives at `${target}.partial` until it is verified. */
  target: string;
  /** For messages: the model's URI. */
  label: string;
  signal: AbortSignal;
  /** No byte for this long: drop the connection and resume. */
  stallMs: number;
  /** Attempts in a row that fetch nothing before giving up. */
  retries: number;
  retryDelayMs: number;
  onProgress: (receivedBytes: number, totalBytes: number) => void;
  logger: Logger;
}

/** Free space kept on top of the file, for the metadata and everything else on that disk. */
const DISK_MARGIN_BYTES = 64 * 1024 * 1024;

export function partialPath(target: string): string {
  return `${target}.partial`;
}

interface PartialMeta {
  url: string;
  size: number;
  sha256: string | null;
}

class StallError extends Error {}

/** Bytes free for this user on the file system holding `dir` (or its nearest existing parent). */
export async function freeBytes(dir: string): Promise<number | null> {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try {
      const st = await fs.promises.statfs(d);
      return st.bavail * st.bsize;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || path.dirname(d) === d) return null;
    }
  }
}

export function formatBytes(n: number): string {
  if (n >= 1024 ** 3) return `${(n / 1024 ** 3).toFixed(1)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

export async function downloadFile(opts: DownloadFileOptions): Promise<void> {
  const { remote, target, signal } = opts;
  const partial = partialPath(target);
  const metaFile = `${partial}.json`;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const have = keepOrDropPartial(partial, metaFile, remote, opts.logger);

  const free = await freeBytes(path.dirname(target));
  const needed = remote.size - have + DISK_MARGIN_BYTES;
  if (free !== null && free < needed) {
    throw new DownloadError(
      'not-enough-disk',
      `Not enough disk space for ${opts.label}: it needs ${formatBytes(remote.size - have)} more in ` +
        `${path.dirname(target)}, which has ${formatBytes(free)} free`,
      { neededBytes: needed, freeBytes: free },
    );
  }
  fs.writeFileSync(metaFile, JSON.stringify({ url: remote.url, size: remote.size, sha256: remote.sha256 }));

  // The hash covers the bytes already on disk too, so a resumed file is checked whole.
  const hash = createHash('sha256');
  if (have > 0) await hashFile(partial, hash);
  const state = { hash, have };
  let fruitless = 0;
  while (state.have < remote.size) {
    const before = state.have;
    try {
      await fetchRest(opts, partial, state);
      // A response that ended early without an error is retried like a dropped connection.
      if (state.have < remote.size) throw Object.assign(new Error('the response ended early'), { code: 'ECONNRESET' });
    } catch (err) {
      if (signal.aborted)
        throw new DownloadError('cancelled', `Download of ${opts.label} cancelled; ${resumeNote(state.have)}`);
      if (err instanceof DownloadError) {
        // Bytes that do not match what the hub announced are worthless: nothing is kept to resume.
        if (err.reason === 'size-mismatch') for (const f of [partial, metaFile]) fs.rmSync(f, { force: true });
        throw err;
      }
      const stalled = err instanceof StallError;
      if (!stalled && !isNetworkError(err)) throw new DownloadError('write-failed', `${opts.label}: ${errorText(err)}`);
      fruitless = state.have > before ? 0 : fruitless + 1;
      const why = stalled ? `no data for ${opts.stallMs / 1000} s` : errorText(err);
      if (fruitless > opts.retries) {
        throw new DownloadError(
          state.have > 0 ? 'network' : 'offline',
          `Download of ${opts.label} failed: ${why}; ${resumeNote(state.have)}`,
        );
      }
      opts.logger.info('download interrupted; resuming', { model: opts.label, at: state.have, why });
      if (fruitless > 0) await sleep(opts.retryDelayMs * 2 ** (fruitless - 1), signal);
    }
  }
  if (signal.aborted)
    throw new DownloadError('cancelled', `Download of ${opts.label} cancelled; ${resumeNote(state.have)}`);
  verifyAndPlace(opts, partial, metaFile, state.hash.digest('hex'));
}

function resumeNote(have: number): string {
  return have > 0
    ? `the ${formatBytes(have)} already fetched are kept and the next download resumes there`
    : 'nothing was kept';
}

/** Bytes of a partial file that can be resumed; a partial of another file version is deleted. */
function keepOrDropPartial(partial: string, metaFile: string, remote: RemoteFile, logger: Logger): number {
  let size: number;
  try {
    size = fs.statSync(partial).size;
  } catch {
    fs.rmSync(metaFile, { force: true });
    return 0;
  }
  let meta: PartialMeta | undefined;
  try {
    meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as PartialMeta;
  } catch {
    meta = undefined;
  }
  const same = meta && meta.size === remote.size && (meta.sha256 ?? null) === remote.sha256;
  if (same && size <= remote.size) return size;
  logger.info('discarding a partial download of another version of the file', { partial });
  fs.rmSync(partial, { force: true });
  fs.rmSync(metaFile, { force: true });
  return 0;
}

async function hashFile(file: string, hash: Hash): Promise<void> {
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
}

/** One HTTP request for the bytes still missing, appended to the partial file. */
async function fetchRest(
  opts: DownloadFileOptions,
  partial: string,
  state: { hash: Hash; have: number },
): Promise<void> {
  const { remote } = opts;
  const stall = new AbortController();
  // The timer fires late when the daemon itself could not run (a busy machine, a laptop waking up),
  // and timers run before the loop reads its sockets: bytes that arrived meanwhile would be dropped
  // with the connection and fetched again. So the verdict waits for setImmediate, after the loop has
  // read what the socket holds (poke() clears it); only a connection with nothing waiting is stalled.
  let verdict: NodeJS.Immediate | undefined;
  const stalled = () => {
    verdict = setImmediate(() => stall.abort(new StallError()));
  };
  let timer = setTimeout(stalled, opts.stallMs);
  const poke = () => {
    clearTimeout(timer);
    clearImmediate(verdict);
    timer = setTimeout(stalled, opts.stallMs);
  };
  const signal = AbortSignal.any([opts.signal, stall.signal]);
  const fh = await fs.promises.open(partial, 'a');
  try {
    let res: Response;
    try {
      res = await fetch(remote.url, {
        headers: { 'user-agent': 'gearbox', ...(state.have > 0 ? { range: `bytes=${state.have}-` } : {}) },
        signal,
      });
    } catch (err) {
      if (stall.signal.aborted) throw new StallError();
      throw err;
    }
    if (res.status === 404)
      throw new DownloadError('not-found', `${opts.label} is gone from the hub (404 ${remote.url})`);
    if (res.status === 416) {
      // We asked for the bytes after the ones we have: the hub's file is shorter than it announced.
      await res.body?.cancel();
      fs.rmSync(partial, { force: true });
      throw new DownloadError(
        'size-mismatch',
        `${opts.label}: the hub's file is shorter than the ${remote.size} bytes it announced; ` +
          'the download was discarded',
      );
    }
    const rangeStart = Number(/^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '')?.[1] ?? Number.NaN);
    const wrongRange = res.status === 206 && rangeStart !== state.have;
    if ((res.status === 200 && state.have > 0) || wrongRange) {
      // The server will not resume from where we are: start over.
      opts.logger.warn('the hub did not resume the download; fetching the file from the start', {
        model: opts.label,
        status: res.status,
      });
      await fh.truncate(0);
      state.have = 0;
      state.hash = createHash('sha256');
      if (res.status !== 200) {
        await res.body?.cancel();
        return;
      }
    } else if (res.status >= 500 || res.status === 429) {
      await res.body?.cancel();
      throw Object.assign(new Error(`the hub answered ${res.status}`), { code: 'ECONNRESET' });
    } else if (res.status !== 200 && res.status !== 206) {
      await res.body?.cancel();
      throw new DownloadError('hub-error', `The hub answered ${res.status} for ${opts.label}`);
    }
    if (!res.body) throw Object.assign(new Error('the hub sent no body'), { code: 'ECONNRESET' });
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        poke();
        if (state.have + chunk.length > remote.size) {
          throw new DownloadError(
            'size-mismatch',
            `${opts.label}: the hub sent more than the ${remote.size} bytes it announced; the download was discarded`,
          );
        }
        // Written before the next chunk is read, without yielding: an error ends the body stream
        // and drops the chunks it still queues, so a chunk not yet on disk would be fetched twice.
        writeAll(fh.fd, chunk);
        state.hash.update(chunk);
        state.have += chunk.length;
        opts.onProgress(state.have, remote.size);
      }
    } catch (err) {
      if (err instanceof DownloadError) {
        await fh.close().catch(() => {});
        fs.rmSync(partial, { force: true });
        throw err;
      }
      if (stall.signal.aborted) throw new StallError();
      throw err;
    }
    await fh.sync();
  } finally {
    clearTimeout(timer);
    clearImmediate(verdict);
    await fh.close().catch(() => {});
  }
}

function writeAll(fd: number, chunk: Uint8Array): void {
  for (let off = 0; off < chunk.length; ) off += fs.writeSync(fd, chunk, off);
}

function verifyAndPlace(opts: DownloadFileOptions, partial: string, metaFile: string, sha256: string): void {
  const { remote, target } = opts;
  const size = fs.statSync(partial).size;
  const discard = () => {
    fs.rmSync(partial, { force: true });
    fs.rmSync(metaFile, { force: true });
  };
  if (size !== remote.size) {
    discard();
    throw new DownloadError(
      'size-mismatch',
      `${opts.label}: got ${size} bytes, the hub announced ${remote.size}; the file was discarded`,
    );
  }
  if (remote.sha256 && sha256 !== remote.sha256) {
    discard();
    throw new DownloadError(
      'checksum-mismatch',
      `${opts.label}: the sha256 of the download (${sha256}) is not the one the hub publishes (${remote.sha256}); ` +
        'the file was discarded',
    );
  }
  if (!remote.sha256)
    opts.logger.info('the hub publishes no sha256 for this file; only its size was checked', {
      model: opts.label,
    });
  fs.renameSync(partial, target);
  fs.rmSync(metaFile, { force: true });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
