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

/**
 * BPE merges within one pre-token take time quadratic in its length: a 100,000-letter run took 5.6 s
 * and a chat of 1 MiB of one letter would hold the daemon's event loop for minutes. Runs of letters,
 * of punctuation or of white space this long are counted in pieces of LONG_RUN characters (a piece
 * costs ~0.03 ms); a run that long is no word, and its pieces' count is at least its own.
 */
export const LONG_RUN = 200;
const LONG_RUNS = new RegExp(`[\\p{L}\\p{M}]{${LONG_RUN},}|[^\\s\\p{L}\\p{N}]{${LONG_RUN},}|\\s{${LONG_RUN},}`, 'gu');

/** `count` over `text`, with every long run counted piece by piece. */
export function countBounded(text: string, count: CountTokens): number {
  let total = 0;
  let from = 0;
  for (const m of text.matchAll(LONG_RUNS)) {
    if (m.index > from) total += count(text.slice(from, m.index));
    const run = m[0];
    for (let i = 0; i < run.length; i += LONG_RUN) total += count(run.slice(i, i + LONG_RUN));
    from = m.index + run.length;
  }
  if (from === 0) return count(text);
  if (from < text.length) total += count(text.slice(from));
  return total;
}

const LOADERS: Record<BpeEncoding, () => Promise<CountTokens>> = {
  o200k_base: async () => {
    const { countTokens } = await import('gpt-tokenizer/encoding/o200k_base');
    return (text) => countBounded(text, (t) => countTokens(t, PLAIN));
  },
  cl100k_base: async () => {
    const { countTokens } = await import('gpt-tokenizer/encoding/cl100k_base');
    return (text) => countBounded(text, (t) => countTokens(t, PLAIN));
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
