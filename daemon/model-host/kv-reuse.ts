// Which cached tokens of a sequence a new prompt can keep: llama-server's `--cache-reuse` (its
// `n_cache_reuse` loop). After the common prefix, chunks of the new prompt that still sit in the
// cache further on are kept and shifted down onto their new positions (a RoPE shift, no decode);
// the cached tokens between them are erased. llama.cpp decodes a sequence only at the position
// after its last cell, so a chunk can move down past deleted tokens but nothing can be decoded in
// front of a kept chunk: what the new prompt inserts (a changed or longer line) ends the reuse.
// Plain arithmetic on token ids, kept apart from the model host so that it can be tested alone.

/**
 * Smallest run of cached tokens worth keeping after a change (the model host's `n_cache_reuse`):
 * ~4 lines of code; shorter runs are too often chance matches of common tokens.
 */
export const CACHE_REUSE_MIN_CHUNK = 64;

/** A token range of the cached sequence: start inclusive, end exclusive. */
export interface TokenRange {
  start: number;
  end: number;
}

export interface KvReusePlan {
  /** Tokens the cache and the prompt share from the start. */
  commonPrefix: number;
  /** Cached ranges to erase, ascending; what follows each moves down over it. */
  erase: TokenRange[];
  /** Prompt tokens kept from the cache after the common prefix (shifted, not decoded). */
  reused: number;
  /** Prompt tokens the cache holds once the plan is applied: the rest must be decoded. */
  cachedAfter: number;
  /** Prompt tokens left to decode. */
  evaluate: number;
}

/**
 * Plans the reuse of `cached` (the sequence's tokens) for `prompt`. A run of matching tokens is
 * kept only when it is at least `minChunk` long (llama-server's `n_cache_reuse`): shorter runs are
 * as likely chance matches of common tokens as moved text, and each kept run costs a shift.
 * `minChunk` 0 turns reuse off (only the common prefix is kept, as without `--cache-reuse`).
 */
export function planKvReuse(cached: ArrayLike<number>, prompt: ArrayLike<number>, minChunk: number): KvReusePlan {
  let common = 0;
  while (common < cached.length && common < prompt.length && cached[common] === prompt[common]) common++;
  const erase: TokenRange[] = [];
  let headC = common;
  let headP = common;
  // Start of the cached tokens not yet either kept or marked for erasure.
  let pending = common;
  if (minChunk > 0) {
    while (headC < cached.length && headP < prompt.length) {
      let n = 0;
      while (headC + n < cached.length && headP + n < prompt.length && cached[headC + n] === prompt[headP + n]) n++;
      if (n >= minChunk) {
        if (headC > pending) erase.push({ start: pending, end: headC });
        headC += n;
        headP += n;
        pending = headC;
      } else {
        headC++;
      }
    }
  }
  if (pending < cached.length) erase.push({ start: pending, end: cached.length });
  return {
    commonPrefix: common,
    erase,
    reused: headP - common,
    cachedAfter: headP,
    evaluate: prompt.length - headP,
  };
}

/** The cached tokens once `erase` is applied (what the sequence holds afterwards, in order). */
export function applyErase<T>(cached: readonly T[], erase: readonly TokenRange[]): T[] {
  const out: T[] = [];
  let at = 0;
  for (const r of erase) {
    for (let i = at; i < r.start; i++) out.push(cached[i]!);
    at = r.end;
  }
  for (let i = at; i < cached.length; i++) out.push(cached[i]!);
  return out;
}
