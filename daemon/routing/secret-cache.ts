// Secret scans of texts that change a little at a time: an inline completion sends the text around
// the cursor at every keystroke, and scanning ~8 KB from scratch each time costs ~0.3 ms. The text is
// scanned line by line instead; each line's findings are cached under the line and the
// LINE_LOOKBACK characters before it (all that a line's scan can look at), so a keystroke rescans the
// line it touched (and the line after it), not the file. PEM blocks, the only secrets that span
// lines, are found over the whole text with native indexOf. The result is findSecrets(text)'s.
import {
  findLineSecrets,
  findPemKeys,
  isEnvFile,
  LINE_LOOKBACK,
  mergeFindings,
  type SecretMatch,
  type SecretScanOptions,
} from './secrets';

/** Longer lines (minified code, data) are scanned but not cached. */
const MAX_CACHED_LINE = 4096;

export class SecretScanCache {
  /** Lines with LINE_LOOKBACK characters before them in a file that is not .env: keyed by that text alone. */
  private readonly plain: LineCache;
  /** The others (near a text's start, or .env rules): keyed with the look-back's length and the rules. */
  private readonly other: LineCache;
  /** Lines looked at and lines actually scanned (cache misses), for benches and tests. */
  readonly stats = { lines: 0, scanned: 0 };

  /** `maxChars`: characters of keys kept per cache generation (two generations, two caches). */
  constructor(maxChars = 1_000_000) {
    this.plain = new LineCache(maxChars);
    this.other = new LineCache(maxChars / 4);
  }

  /** The secrets in `text`: the same as findSecrets(text, opts). */
  find(text: string, opts: SecretScanOptions = {}): SecretMatch[] {
    const env = isEnvFile(opts.fileName);
    const found = findPemKeys(text);
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      if (end > start) this.line(text, start, end, env, found);
      start = end + 1;
    }
    return mergeFindings(found);
  }

  /** Adds the findings of the line text[start, end): cached while the line and what precedes it stay. */
  private line(text: string, start: number, end: number, env: boolean, out: SecretMatch[]): void {
    const from = Math.max(0, start - LINE_LOOKBACK);
    const scan = text.slice(from, end);
    this.stats.lines++;
    let hits: readonly SecretMatch[] | undefined;
    if (end - start > MAX_CACHED_LINE) {
      this.stats.scanned++;
      hits = findLineSecrets(scan, start - from, env);
    } else {
      const plain = !env && start - from === LINE_LOOKBACK;
      const cache = plain ? this.plain : this.other;
      const key = plain ? scan : `${env ? 'e' : 'c'}${start - from}:${scan}`;
      hits = cache.get(key);
      if (!hits) {
        this.stats.scanned++;
        hits = findLineSecrets(scan, start - from, env);
        cache.set(key, hits);
      }
    }
    for (const f of hits) out.push({ kind: f.kind, start: f.start + from, end: f.end + from });
  }
}

/** Two generations: a hit in the old one moves to the new one; a full new one retires the old. */
class LineCache {
  private current = new Map<string, readonly SecretMatch[]>();
  private previous = new Map<string, readonly SecretMatch[]>();
  private chars = 0;

  constructor(private readonly maxChars: number) {}

  get(key: string): readonly SecretMatch[] | undefined {
    const hit = this.current.get(key);
    if (hit) return hit;
    const old = this.previous.get(key);
    if (old) this.set(key, old);
    return old;
  }

  set(key: string, value: readonly SecretMatch[]): void {
    if (this.chars + key.length > this.maxChars) {
      this.previous = this.current;
      this.current = new Map();
      this.chars = 0;
    }
    this.current.set(key, value);
    this.chars += key.length;
  }
}
