// Token counts remembered by tokenizer and text hash: a conversation re-sends its earlier turns with
// every message, and each turn is counted once. Least recently used entries go first once the
// cache holds `maxEntries`; an entry is a hash and a number (~150 bytes), never the text.
import { createHash } from 'node:crypto';

export interface TokenCacheStats {
  entries: number;
  maxEntries: number;
  hits: number;
  misses: number;
}

export class TokenCache {
  private readonly map = new Map<string, number>();
  private hits = 0;
  private misses = 0;

  constructor(readonly maxEntries = 20_000) {}

  /** The key of `text` under tokenizer `tokenizer`; `hash` when the caller has it already. */
  static key(tokenizer: string, text: string, hash = TokenCache.hash(text)): string {
    return `${tokenizer}\u0000${hash}`;
  }

  /** A SHA-1 of the text: collisions are not a concern here, and the text itself is never kept. */
  static hash(text: string): string {
    return createHash('sha1').update(text).digest('base64');
  }

  get(key: string): number | undefined {
    const n = this.map.get(key);
    if (n === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Re-inserted: Map keeps insertion order, so the first key is always the least recently used.
    this.map.delete(key);
    this.map.set(key, n);
    return n;
  }

  set(key: string, tokens: number): void {
    this.map.delete(key);
    this.map.set(key, tokens);
    while (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value as string);
  }

  /** Drops the entries of tokenizers whose name starts with `prefix` (a local model's file changed). */
  forget(prefix: string): void {
    for (const k of this.map.keys()) if (k.startsWith(prefix)) this.map.delete(k);
  }

  stats(): TokenCacheStats {
    return { entries: this.map.size, maxEntries: this.maxEntries, hits: this.hits, misses: this.misses };
  }
}
