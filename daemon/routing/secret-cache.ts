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
  /** Two generations: a hit in the old one moves the line to the new one; a full new one retires the old. */
  private current = new Map<string, readonly SecretMatch[]>();
  private previous = new Map<string, readonly SecretMatch[]>();
  private currentChars = 0;
  /** Lines looked at and lines actually scanned (cache misses), for benches and tests. */
  readonly stats = { lines: 0, scanned: 0 };

  /** `maxChars`: characters of keys per generation (memory: at most ~4 bytes per character, both). */
  constructor(private readonly maxChars = 1_000_000) {}

  /** The secrets in `text`: the same as findSecrets(text, opts). */
  find(text: string, opts: SecretScanOptions = {}): SecretMatch[] {
    const env = isEnvFile(opts.fileName);
    const found = findPemKeys(text);
    let start = 0;
    while (start < text.length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = text.length;
      if (end > start) for (const f of this.line(text, start, end, env)) found.push(f);
      start = end + 1;
    }
    return mergeFindings(found);
  }

  /** Findings of the line text[start, end), from the cache when the line and what precedes it are unchanged. */
  private line(text: string, start: number, end: number, env: boolean): SecretMatch[] {
    const from = Math.max(0, start - LINE_LOOKBACK);
    const scan = text.slice(from, end);
    this.stats.lines++;
    if (end - start > MAX_CACHED_LINE) {
      this.stats.scanned++;
      return shift(findLineSecrets(scan, start - from, env), from);
    }
    // The key holds where the line starts within it, so that a line cached with less context (at the
    // top of a text) is not taken for the same line further down.
    const key = `${env ? 'e' : 'c'}${start - from}:${scan}`;
    let hit = this.current.get(key);
    if (!hit) {
      hit = this.previous.get(key);
      if (!hit) {
        this.stats.scanned++;
        hit = findLineSecrets(scan, start - from, env);
      }
      this.remember(key, hit);
    }
    return shift(hit, from);
  }

  private remember(key: string, findings: readonly SecretMatch[]): void {
    if (this.currentChars + key.length > this.maxChars) {
      this.previous = this.current;
      this.current = new Map();
      this.currentChars = 0;
    }
    this.current.set(key, findings);
    this.currentChars += key.length;
  }
}

function shift(found: readonly SecretMatch[], by: number): SecretMatch[] {
  return found.map((f) => ({ kind: f.kind, start: f.start + by, end: f.end + by }));
}
