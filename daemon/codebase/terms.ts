// Terms for BM25, the same for code and for queries: identifiers whole and cut into their words
// (`parseConfigFile` → parseconfigfile, pars, config, file), Porter-stemmed (`stemmer`) so that a
// description ("parses the config") meets the code (`parseConfig`), English stop words dropped.
import { stemmer } from 'stemmer';

const WORD = /[A-Za-z_$][A-Za-z0-9_$]*|[0-9]{2,}/g;
const PART = /[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+/g;
const MAX_TERM = 64;

const STOP_WORDS = new Set(
  (
    'a an and are as at be but by for from has have how i if in into is it its of on or so than that the their ' +
    'then there these this to was were what when where which while who why will with does do not can'
  ).split(' '),
);

/** Stems are cached: a code base has far fewer distinct words than word occurrences. */
const stems = new Map<string, string>();

function stem(word: string): string {
  let s = stems.get(word);
  if (s === undefined) {
    s = word.length > 3 ? stemmer(word) : word;
    if (stems.size > 500_000) stems.clear();
    stems.set(word, s);
  }
  return s;
}

/** Drops the stem cache (after a build: queries need few stems, and the cache holds every word seen). */
export function forgetStems(): void {
  stems.clear();
}

/** The terms of `text`, in order, with repeats (BM25 counts them). */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(WORD)) {
    const word = m[0];
    if (word.length > MAX_TERM) continue;
    const lower = word.toLowerCase();
    const parts = word.match(PART);
    if (parts && parts.length > 1) {
      // The whole identifier matches exactly; its words match descriptions.
      if (!STOP_WORDS.has(lower)) out.push(lower);
      for (const p of parts) {
        const lp = p.toLowerCase();
        if (lp.length > 1 && !STOP_WORDS.has(lp)) out.push(stem(lp));
      }
    } else if (lower.length > 1 && !STOP_WORDS.has(lower)) {
      out.push(stem(lower.replace(/^[_$]+|[_$]+$/g, '') || lower));
    }
  }
  return out;
}
