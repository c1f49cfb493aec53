// A small glob matcher for settings.privatePaths. No regular expressions: patterns are matched
// segment by segment with the classic greedy two-pointer wildcard algorithm (one backtrack point per
// level), so the worst case is O(pattern × path), never exponential.
//
// Syntax: `*` (any run within a path segment), `?` (one character, not '/'), `**` (zero or more whole
// segments), `{a,b}` (alternatives, not nested, at most MAX_ALTERNATIVES expansions). Backslashes
// are path separators (Windows), so there are no escapes.
// A pattern without a '/' matches the file name at any depth (like .gitignore: `.env*`, `*.pem`);
// otherwise it is anchored at the workspace root (`secrets/**`), or absolute when it starts with '/'
// or a drive letter. A pattern that matches a folder also matches everything under it.

const MAX_ALTERNATIVES = 64;
const MAX_PATTERN_LENGTH = 1000;

/** Compiled pattern: alternatives, each a list of segments ('**' or a segment pattern). */
export interface Glob {
  source: string;
  absolute: boolean;
  alternatives: string[][];
}

const cache = new Map<string, Glob>();

/** compileGlob with a small cache: settings hold a handful of globs, matched on every request. */
function cachedGlob(pattern: string): Glob {
  let g = cache.get(pattern);
  if (!g) {
    if (cache.size >= 256) cache.clear();
    cache.set(pattern, (g = compileGlob(pattern)));
  }
  return g;
}

export function compileGlob(pattern: string): Glob {
  let p = normalise(pattern.trim()).slice(0, MAX_PATTERN_LENGTH);
  if (p.startsWith('./')) p = p.slice(2);
  const absolute = p.startsWith('/') || /^[a-zA-Z]:\//.test(p);
  if (p.endsWith('/')) p = p.slice(0, -1);
  const anchored = absolute || p.includes('/');
  const alternatives: string[][] = [];
  for (const alt of expandBraces(p)) {
    const segs = alt.split('/').filter((s, i) => s !== '' || i === 0);
    if (absolute && segs[0] === '') segs.shift();
    const collapsed: string[] = [];
    for (const s of segs) if (!(s === '**' && collapsed.at(-1) === '**')) collapsed.push(s);
    if (!anchored) collapsed.unshift('**');
    // A folder's pattern covers what is inside it.
    if (collapsed.at(-1) !== '**') collapsed.push('**');
    alternatives.push(collapsed);
  }
  return { source: pattern, absolute, alternatives };
}

/** Does `path` (forward or back slashes; relative to the root for relative patterns) match? */
export function matchGlob(glob: Glob | string, path: string): boolean {
  const g = typeof glob === 'string' ? compileGlob(glob) : glob;
  let p = normalise(path);
  if (g.absolute && p.startsWith('/')) p = p.slice(1);
  const segs = p.split('/').filter((s) => s !== '' && s !== '.');
  return g.alternatives.some((alt) => matchSegments(alt, segs));
}

/**
 * The first of `globs` that matches the file, or undefined. `filePath` is absolute (or a file:// URI);
 * relative globs are matched against its path under each workspace root that holds it (a multi-root
 * workspace has several, and folders may nest); a file under no root is matched by absolute globs and
 * by name-only globs (e.g. `.env*`).
 */
export function matchPrivatePath(
  globs: readonly string[] | undefined,
  filePath: string | undefined,
  workspaceRoots?: string | readonly string[],
): string | undefined {
  if (!globs?.length || !filePath) return undefined;
  const abs = normalise(fromFileUri(filePath));
  const rels: string[] = [];
  for (const r of typeof workspaceRoots === 'string' ? [workspaceRoots] : (workspaceRoots ?? [])) {
    const root = normalise(fromFileUri(r)).replace(/\/+$/, '');
    if (abs === root || abs.startsWith(`${root}/`)) rels.push(abs.slice(root.length + 1));
  }
  for (const source of globs) {
    if (!source.trim()) continue;
    const g = cachedGlob(source);
    if (g.absolute) {
      if (matchGlob(g, abs)) return source;
    } else if (rels.length) {
      if (rels.some((rel) => matchGlob(g, rel))) return source;
    } else if (!normalise(source).replace(/\/$/, '').includes('/')) {
      // Outside the workspace: a name-only glob still applies to the file name.
      const name = abs.slice(abs.lastIndexOf('/') + 1);
      if (matchGlob(g, name)) return source;
    }
  }
  return undefined;
}

function normalise(p: string): string {
  return p.replace(/\\/g, '/');
}

function fromFileUri(p: string): string {
  if (!p.startsWith('file://')) return p;
  let rest = p.slice('file://'.length);
  try {
    rest = decodeURIComponent(rest);
  } catch {
    /* keep it encoded */
  }
  // file:///c:/x → c:/x
  if (/^\/[a-zA-Z]:\//.test(rest)) rest = rest.slice(1);
  return rest;
}

/** `{a,b}c` → ['ac', 'bc']; unbalanced braces are literal; at most MAX_ALTERNATIVES results. */
function expandBraces(p: string): string[] {
  let out = [''];
  let i = 0;
  while (i < p.length) {
    const ch = p[i]!;
    if (ch === '{') {
      const close = p.indexOf('}', i);
      if (close > i) {
        const options = p.slice(i + 1, close).split(',');
        const next: string[] = [];
        for (const s of out) for (const o of options) if (next.length < MAX_ALTERNATIVES) next.push(s + o);
        out = next;
        i = close + 1;
        continue;
      }
    }
    out = out.map((s) => s + ch);
    i++;
  }
  return out;
}

/** `**` matches zero or more segments; greedy with one backtrack point, like `*` within a segment. */
function matchSegments(pat: string[], segs: string[]): boolean {
  let pi = 0;
  let si = 0;
  let starP = -1;
  let starS = -1;
  while (si < segs.length) {
    if (pi < pat.length && pat[pi] === '**') {
      starP = pi++;
      starS = si;
    } else if (pi < pat.length && matchSegment(pat[pi]!, segs[si]!)) {
      pi++;
      si++;
    } else if (starP >= 0) {
      pi = starP + 1;
      si = ++starS;
    } else return false;
  }
  while (pi < pat.length && pat[pi] === '**') pi++;
  return pi === pat.length;
}

/** `*` and `?` within one segment (no '/'). */
function matchSegment(pat: string, s: string): boolean {
  let pi = 0;
  let si = 0;
  let starP = -1;
  let starS = -1;
  while (si < s.length) {
    const pc = pat[pi];
    if (pc === '*') {
      starP = pi++;
      starS = si;
      continue;
    }
    if (pc === '?' || (pc !== undefined && pc === s[si])) {
      pi++;
      si++;
      continue;
    }
    if (starP >= 0) {
      pi = starP + 1;
      si = ++starS;
      continue;
    }
    return false;
  }
  while (pat[pi] === '*') pi++;
  return pi === pat.length;
}
