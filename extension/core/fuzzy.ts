// Fuzzy matching of workspace paths for the chat's @file picker: the query's characters must appear in
// order (a typo-free subsequence, as in Quick Open), scored higher for matches in the file name, at
// word starts and in runs. VS Code's Quick Pick filters by contiguous matches only, so the picker ranks
// with this and shows what it returns. Pure; tested in Node.

/** A score for `query` in `path`, or undefined when its characters are not all there in order. */
export function fuzzyScore(query: string, path: string): number | undefined {
  const q = query.toLowerCase().replace(/\s+/g, '');
  if (!q) return 0;
  const p = path.toLowerCase();
  const nameStart = path.lastIndexOf('/') + 1;
  // Greedy passes from the file name and from the start: the better of the two.
  const fromName = scoreFrom(q, p, path, nameStart);
  const fromStart = scoreFrom(q, p, path, 0);
  if (fromName === undefined) return fromStart;
  if (fromStart === undefined) return fromName;
  return Math.max(fromName, fromStart);
}

function scoreFrom(q: string, p: string, original: string, from: number): number | undefined {
  const nameStart = original.lastIndexOf('/') + 1;
  let score = 0;
  let at = from;
  let prev = -2;
  for (const ch of q) {
    const i = p.indexOf(ch, at);
    if (i < 0) return undefined;
    score += 1;
    if (i === prev + 1) score += 5;
    const before = original[i - 1];
    if (i === 0 || before === '/' || before === '_' || before === '-' || before === '.') score += 8;
    else if (original[i] !== original[i]!.toLowerCase() && before === before?.toLowerCase()) score += 6;
    if (i >= nameStart) score += 3;
    prev = i;
    at = i + 1;
  }
  // Shorter paths first among equals.
  return score - original.length / 100;
}

/** The paths matching `query`, best first, at most `limit`. */
export function fuzzyFilter<T>(items: readonly T[], query: string, pathOf: (t: T) => string, limit = 200): T[] {
  const scored: { item: T; score: number }[] = [];
  for (const item of items) {
    const score = fuzzyScore(query, pathOf(item));
    if (score !== undefined) scored.push({ item, score });
  }
  return scored
    .sort((a, b) => b.score - a.score)
    .slice(0, limit)
    .map((s) => s.item);
}
