// The Hugging Face hub as the downloader needs it: `hf:` URIs (node-llama-cpp's forms) parsed into a
// repo file, where that file lives in the models dir, and its size and sha256 from the hub's tree
// API (the LFS oid), or from a HEAD of the file when a mirror has no API.
import path from 'node:path';
import { DownloadError, errorText, isNetworkError } from './download-error';

export interface HfFile {
  owner: string;
  repo: string;
  revision: string;
  /** Path inside the repo, `/`-separated. */
  file: string;
}

/** `hf:owner/repo:Q4_K_M` or `hf:owner/repo`: a file still to pick from the repo's GGUFs. */
export interface HfRepoTag {
  owner: string;
  repo: string;
  revision: string;
  /** Quantization asked for ('' = the default, Q4_K_M, or the repo's only GGUF). */
  tag: string;
}

export interface RemoteFile {
  url: string;
  size: number;
  /** Published sha256 (LFS oid or linked etag); null when the hub gives none. */
  sha256: string | null;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const SPLIT_PART = /-\d{5}-of-\d{5}\.gguf$/i;

function checkName(what: string, value: string, uri: string): void {
  if (!NAME.test(value) || value.includes('..'))
    throw new DownloadError('not-found', `Invalid Hugging Face URI ${uri}: bad ${what} "${value}"`);
}

/** Parses `hf:`/`huggingface:` URIs and hub `…/resolve/<rev>/<file>` URLs; anything else is an error. */
export function parseHfUri(uri: string, endpoint: string): HfFile | HfRepoTag {
  let rest: string | undefined;
  const prefix = /^(hf|huggingface):(\/\/)?/i.exec(uri);
  if (prefix) rest = uri.slice(prefix[0].length);
  else if (/^https?:\/\//i.test(uri)) {
    const u = new URL(uri);
    const hub = new URL(endpoint);
    const known = u.host === hub.host || u.hostname === 'huggingface.co' || u.hostname === 'hf.co';
    const m = /^\/([^/]+)\/([^/]+)\/(?:resolve|blob)\/([^/]+)\/(.+)$/.exec(u.pathname);
    if (!known || !m)
      throw new DownloadError(
        'not-found',
        `Not a Hugging Face file URL: ${uri} (expected ${endpoint}/owner/repo/resolve/main/file.gguf)`,
      );
    rest = `${m[1]}/${m[2]}/${decodeURIComponent(m[4]!)}#${decodeURIComponent(m[3]!)}`;
  }
  if (rest === undefined) throw new DownloadError('not-found', `Not an hf: URI: ${uri}`);
  let revision = 'main';
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    revision = rest.slice(hash + 1) || 'main';
    rest = rest.slice(0, hash);
  }
  const [owner = '', repoPart = '', ...fileParts] = rest.split('/');
  checkName('owner', owner, uri);
  checkName('revision', revision, uri);
  if (fileParts.length === 0 || repoPart.includes(':')) {
    const [repo = '', tag = ''] = repoPart.split(':');
    checkName('repo', repo, uri);
    return { owner, repo, revision, tag: tag.trim() };
  }
  checkName('repo', repoPart, uri);
  for (const part of fileParts) checkName('file path', part, uri);
  const file = fileParts.join('/');
  if (!file.toLowerCase().endsWith('.gguf')) throw new DownloadError('not-found', `${uri} is not a .gguf file`);
  if (SPLIT_PART.test(file))
    throw new DownloadError(
      'not-found',
      `${uri} is one part of a split GGUF; split models are not supported yet: pick a single-file quantization`,
    );
  return { owner, repo: repoPart, revision, file };
}

export function isHfFile(ref: HfFile | HfRepoTag): ref is HfFile {
  return 'file' in ref;
}

/** The canonical URI of a file, as it is written to the config. */
export function hfUriOf(f: HfFile): string {
  return `hf:${f.owner}/${f.repo}/${f.file}${f.revision === 'main' ? '' : `#${f.revision}`}`;
}

/** Where a hub file lives in the models dir: hf/<owner>/<repo>[@rev]/<file>. */
export function localPathOf(modelsDir: string, f: HfFile): string {
  const repoDir = f.revision === 'main' ? f.repo : `${f.repo}@${f.revision}`;
  return path.join(modelsDir, 'hf', f.owner, repoDir, ...f.file.split('/'));
}

export function fileUrl(endpoint: string, f: HfFile): string {
  const file = f.file.split('/').map(encodeURIComponent).join('/');
  return `${endpoint}/${enc(f.owner)}/${enc(f.repo)}/resolve/${enc(f.revision)}/${file}`;
}

const enc = encodeURIComponent;

interface TreeEntry {
  type?: string;
  path?: string;
  size?: number;
  lfs?: { oid?: string; size?: number };
}

const SHA256 = /^[0-9a-f]{64}$/;

export interface HubRequestOptions {
  endpoint: string;
  signal?: AbortSignal;
  /** How long the hub may take to answer before we call it offline. */
  connectTimeoutMs: number;
}

async function hubFetch(url: string, init: RequestInit, opts: HubRequestOptions): Promise<Response> {
  const timeout = AbortSignal.timeout(opts.connectTimeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  try {
    return await fetch(url, { ...init, signal, headers: { 'user-agent': 'gearbox', ...init.headers } });
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (timeout.aborted || isNetworkError(err)) {
      const why = timeout.aborted ? `no answer within ${opts.connectTimeoutMs / 1000} s` : errorText(err);
      throw new DownloadError('offline', `offline: ${opts.endpoint} cannot be reached (${why})`, {
        endpoint: opts.endpoint,
      });
    }
    throw new DownloadError('hub-error', `${url}: ${errorText(err)}`);
  }
}

async function listDir(repo: HfFile | HfRepoTag, dir: string, opts: HubRequestOptions): Promise<TreeEntry[] | null> {
  const where = dir ? `/${dir.split('/').map(enc).join('/')}` : '';
  const url = `${opts.endpoint}/api/models/${enc(repo.owner)}/${enc(repo.repo)}/tree/${enc(repo.revision)}${where}`;
  const res = await hubFetch(url, {}, opts);
  if (!res.ok) {
    await res.body?.cancel();
    return null;
  }
  const json = (await res.json().catch(() => null)) as unknown;
  return Array.isArray(json) ? (json as TreeEntry[]) : null;
}

/** Size and sha256 of a hub file: the tree API first, a HEAD of the file when there is no API. */
export async function remoteFileInfo(f: HfFile, opts: HubRequestOptions): Promise<RemoteFile> {
  const url = fileUrl(opts.endpoint, f);
  const dir = f.file.includes('/') ? f.file.slice(0, f.file.lastIndexOf('/')) : '';
  const entries = await listDir(f, dir, opts);
  if (entries) {
    const entry = entries.find((e) => e.path === f.file && e.type !== 'directory');
    if (!entry) throw notFound(f, opts.endpoint);
    const size = entry.lfs?.size ?? entry.size;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
      throw new DownloadError('hub-error', `${opts.endpoint} gave no usable size for ${hfUriOf(f)}`);
    const oid = entry.lfs?.oid?.toLowerCase();
    return { url, size, sha256: oid && SHA256.test(oid) ? oid : null };
  }
  const head = await hubFetch(url, { method: 'HEAD' }, opts);
  if (head.status === 404 || head.status === 401 || head.status === 403) throw notFound(f, opts.endpoint);
  if (!head.ok) throw new DownloadError('hub-error', `${opts.endpoint} answered ${head.status} for ${hfUriOf(f)}`);
  const size = Number(head.headers.get('x-linked-size') ?? head.headers.get('content-length'));
  if (!Number.isSafeInteger(size) || size < 0)
    throw new DownloadError('hub-error', `${opts.endpoint} gave no size for ${hfUriOf(f)}`);
  const etag = head.headers.get('x-linked-etag')?.replace(/^W\//, '').replaceAll('"', '').toLowerCase();
  return { url, size, sha256: etag && SHA256.test(etag) ? etag : null };
}

function notFound(f: HfFile, endpoint: string): DownloadError {
  return new DownloadError(
    'not-found',
    `${hfUriOf(f)} does not exist on ${endpoint} (check the owner, repo and file name)`,
  );
}

/** Picks the file a repo tag means: the GGUF whose name carries the quantization (default Q4_K_M). */
export async function resolveRepoTag(ref: HfRepoTag, opts: HubRequestOptions): Promise<HfFile> {
  const entries = await listDir(ref, '', opts);
  const uri = `hf:${ref.owner}/${ref.repo}${ref.tag ? `:${ref.tag}` : ''}`;
  if (!entries) throw new DownloadError('not-found', `${uri}: the repo does not exist on ${opts.endpoint}`);
  const ggufs = entries
    .map((e) => e.path ?? '')
    .filter((p) => p.toLowerCase().endsWith('.gguf') && !p.toLowerCase().includes('mmproj'));
  const single = ggufs.filter((p) => !SPLIT_PART.test(p));
  const wanted = (ref.tag || 'Q4_K_M').toLowerCase();
  const match = single.filter((p) => p.toLowerCase().includes(wanted));
  const pick = match.length === 1 ? match[0] : !ref.tag && single.length === 1 ? single[0] : undefined;
  if (!pick) {
    const known = single.map((p) => p.split('/').pop()).join(', ') || 'none';
    throw new DownloadError(
      'not-found',
      `${uri}: ${match.length > 1 ? 'several files match' : 'no single-file GGUF matches'}; name the file ` +
        `(hf:${ref.owner}/${ref.repo}/<file>.gguf). Files: ${known}`,
    );
  }
  return { owner: ref.owner, repo: ref.repo, revision: ref.revision, file: pick };
}
