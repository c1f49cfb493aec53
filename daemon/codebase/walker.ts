// Which files of a workspace the index takes: every file not ignored by a .gitignore on its way
// (and .git/info/exclude), not matched by an exclude glob (files.exclude, gearbox.index.exclude),
// under the per-file size cap, until the file-count or total-size cap. Symbolic links are not
// followed (no cycles, nothing outside the workspace). Gitignore rules: the `ignore` package.
import fs from 'node:fs/promises';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { compileGlob, matchGlob, type Glob } from '../routing/glob';

export interface WalkOptions {
  maxFileBytes: number;
  maxFiles: number;
  maxTotalBytes: number;
  /** Workspace-relative globs (files.exclude syntax) of files and folders to leave out. */
  exclude: readonly string[];
  signal?: AbortSignal;
  /** Called every few hundred files found. */
  onProgress?: (found: number) => void;
}

export interface WalkedFile {
  /** Workspace-relative, '/' separators. */
  rel: string;
  size: number;
  mtimeMs: number;
}

export interface WalkResult {
  files: WalkedFile[];
  skipped: { tooLarge: number; binary: number; overCap: number };
  truncated: boolean;
  totalBytes: number;
}

/** Always left out: version control internals and files that are never source. */
export const DEFAULT_EXCLUDE = [
  '**/.git',
  '**/.hg',
  '**/.svn',
  '**/*.min.js',
  '**/*.map',
  '**/package-lock.json',
  '**/yarn.lock',
  '**/pnpm-lock.yaml',
];

/** Known binary formats, skipped without reading them (others are sniffed when read). */
const BINARY_EXTENSIONS = new Set(
  (
    'png jpg jpeg gif bmp ico webp avif tiff psd woff woff2 ttf otf eot zip gz tgz bz2 xz 7z rar tar jar war ' +
    'class pyc pyo o a so dylib dll exe lib obj bin dat wasm node gguf safetensors pt onnx pdf doc docx xls ' +
    'xlsx ppt pptx mp3 mp4 m4a wav ogg flac mov avi mkv webm sqlite db vsix'
  )
    .split(' ')
    .map((e) => `.${e}`),
);

export function isBinaryName(file: string): boolean {
  return BINARY_EXTENSIONS.has(path.extname(file).toLowerCase());
}

interface IgnoreLevel {
  /** Folder of the .gitignore, workspace-relative ('' for the root). */
  base: string;
  rules: Ignore;
}

export async function walkWorkspace(root: string, opts: WalkOptions): Promise<WalkResult> {
  const globs: Glob[] = [...DEFAULT_EXCLUDE, ...opts.exclude].filter((g) => g.trim()).map(compileGlob);
  const excluded = (rel: string) => globs.some((g) => matchGlob(g, rel));
  const result: WalkResult = {
    files: [],
    skipped: { tooLarge: 0, binary: 0, overCap: 0 },
    truncated: false,
    totalBytes: 0,
  };
  const rootRules = ignore();
  const infoExclude = await readText(path.join(root, '.git', 'info', 'exclude'));
  if (infoExclude) rootRules.add(infoExclude);

  const walkDir = async (rel: string, levels: IgnoreLevel[]): Promise<void> => {
    if (opts.signal?.aborted) throw opts.signal.reason;
    const abs = path.join(root, rel);
    let entries: import('node:fs').Dirent[];
    try {
      entries = await fs.readdir(abs, { withFileTypes: true });
    } catch {
      return; // vanished or unreadable: nothing of it is indexed
    }
    const gitignore = entries.some((e) => e.name === '.gitignore' && e.isFile())
      ? await readText(path.join(abs, '.gitignore'))
      : undefined;
    const here = gitignore ? [...levels, { base: rel, rules: ignore().add(gitignore) }] : levels;
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (result.truncated) return;
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      if (e.isSymbolicLink()) continue;
      const isDir = e.isDirectory();
      if (!isDir && !e.isFile()) continue;
      if (excluded(childRel) || isIgnored(here, childRel, isDir)) continue;
      if (isDir) {
        await walkDir(childRel, here);
        continue;
      }
      if (isBinaryName(e.name)) {
        result.skipped.binary++;
        continue;
      }
      let st: import('node:fs').Stats;
      try {
        st = await fs.stat(path.join(root, childRel));
      } catch {
        continue;
      }
      if (st.size > opts.maxFileBytes) {
        result.skipped.tooLarge++;
        continue;
      }
      if (result.files.length >= opts.maxFiles || result.totalBytes + st.size > opts.maxTotalBytes) {
        result.truncated = true;
        result.skipped.overCap++;
        return;
      }
      result.files.push({ rel: childRel, size: st.size, mtimeMs: st.mtimeMs });
      result.totalBytes += st.size;
      if (result.files.length % 500 === 0) opts.onProgress?.(result.files.length);
    }
  };
  await walkDir('', [{ base: '', rules: rootRules }]);
  return result;
}

/** Git's rule: the deepest .gitignore that says something about the path decides. */
function isIgnored(levels: IgnoreLevel[], rel: string, isDir: boolean): boolean {
  let ignored = false;
  for (const level of levels) {
    const sub = level.base ? rel.slice(level.base.length + 1) : rel;
    const r = level.rules.test(isDir ? `${sub}/` : sub);
    if (r.ignored) ignored = true;
    else if (r.unignored) ignored = false;
  }
  return ignored;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/**
 * Would a walk take this one file (after a change notification)? The same rules, checked along its
 * path only: exclude globs, every .gitignore from the root down, the size cap, binary names.
 */
export async function isIndexable(
  root: string,
  rel: string,
  size: number,
  opts: Pick<WalkOptions, 'maxFileBytes' | 'exclude'>,
): Promise<boolean> {
  const parts = rel.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) return false;
  const globs = [...DEFAULT_EXCLUDE, ...opts.exclude].filter((g) => g.trim()).map(compileGlob);
  for (let i = 1; i <= parts.length; i++) {
    const prefix = parts.slice(0, i).join('/');
    if (globs.some((g) => matchGlob(g, prefix))) return false;
  }
  if (size > opts.maxFileBytes || isBinaryName(rel)) return false;
  const rootRules = ignore();
  const infoExclude = await readText(path.join(root, '.git', 'info', 'exclude'));
  if (infoExclude) rootRules.add(infoExclude);
  const levels: IgnoreLevel[] = [{ base: '', rules: rootRules }];
  for (let i = 0; i < parts.length; i++) {
    const dir = parts.slice(0, i).join('/');
    const gitignore = await readText(path.join(root, dir, '.gitignore'));
    if (gitignore) levels.push({ base: dir, rules: ignore().add(gitignore) });
    const sub = parts.slice(0, i + 1).join('/');
    if (isIgnored(levels, sub, i < parts.length - 1)) return false;
  }
  return true;
}
