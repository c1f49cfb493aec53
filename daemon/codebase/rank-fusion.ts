// Hybrid ranking: reciprocal rank fusion of the BM25 and the embedding rankings. Ranks, not
// scores, are combined: BM25 scores and cosine similarities live on unrelated scales.

/** The usual constant (Cormack et al., 2009): damps the weight of the very first ranks. */
export const RRF_K = 60;

export interface FusedHit {
  id: number;
  score: number;
  matchedBy: ('bm25' | 'embedding')[];
}

/** Each ranking best first; a chunk's score is the sum of 1 / (RRF_K + rank) over the rankings that hold it. */
export function reciprocalRankFusion(rankings: {
  bm25: readonly { id: number }[];
  embedding: readonly { id: number }[];
}): FusedHit[] {
  const fused = new Map<number, FusedHit>();
  for (const source of ['bm25', 'embedding'] as const) {
    rankings[source].forEach((hit, rank) => {
      const entry = fused.get(hit.id) ?? { id: hit.id, score: 0, matchedBy: [] };
      entry.score += 1 / (RRF_K + rank + 1);
      entry.matchedBy.push(source);
      fused.set(hit.id, entry);
    });
  }
  // Ties (same ranks in swapped rankings) go to the BM25 order, which is exact-term evidence.
  const bm25Rank = new Map(rankings.bm25.map((h, i) => [h.id, i]));
  return [...fused.values()].sort(
    (a, b) => b.score - a.score || (bm25Rank.get(a.id) ?? Infinity) - (bm25Rank.get(b.id) ?? Infinity),
  );
}
