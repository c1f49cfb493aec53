// gpt-tokenizer's BPE encodings, each loaded on first use: evaluating o200k_base's ranks (2.4 MB of
// JavaScript) takes a few hundred ms, which the daemon's start should not pay for requests that may
// never need them. Once loaded, counting is synchronous.
import type { BpeEncoding } from './tokenizers';

export type CountTokens = (text: string) => number;

/**
 * Text that looks like a special token ("<|endoftext|>") is text the user sent and is counted as
 * such; gpt-tokenizer throws on it by default.
 */
const PLAIN = { disallowedSpecial: new Set<string>() };

const LOADERS: Record<BpeEncoding, () => Promise<CountTokens>> = {
  o200k_base: async () => {
    const { countTokens } = await import('gpt-tokenizer/encoding/o200k_base');
    return (text) => countTokens(text, PLAIN);
  },
  cl100k_base: async () => {
    const { countTokens } = await import('gpt-tokenizer/encoding/cl100k_base');
    return (text) => countTokens(text, PLAIN);
  },
};

const loaded = new Map<BpeEncoding, CountTokens>();
const loading = new Map<BpeEncoding, Promise<CountTokens>>();

/** The encoding's counter, loading it the first time. */
export function loadBpe(encoding: BpeEncoding): Promise<CountTokens> {
  const ready = loaded.get(encoding);
  if (ready) return Promise.resolve(ready);
  let p = loading.get(encoding);
  if (!p) {
    p = LOADERS[encoding]().then((count) => {
      loaded.set(encoding, count);
      return count;
    });
    // A failed load may be retried by the next caller.
    p.catch(() => loading.delete(encoding));
    loading.set(encoding, p);
  }
  return p;
}

/** The encoding's counter if it is loaded; undefined otherwise (for callers that cannot wait). */
export function loadedBpe(encoding: BpeEncoding): CountTokens | undefined {
  return loaded.get(encoding);
}
