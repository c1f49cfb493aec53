// Reads a request's text for the difficulty estimate: which lines are prose (what the user asks)
// and which are code (a signature, a doctest, a pasted snippet), and, in the prose, the words, the
// ask categories of lexicon.json they hit, and how many separate requirements there are; in the
// code, what a signature declares (its name's words, how many parameters, nested collections).
//
// Why split prose from code: a function stub with a docstring and doctests is a short, fully
// specified task, but read as prose its identifiers, commas between arguments and output lines
// made it look like a long request with many requirements. Code lines count as code (their
// characters), not as words or requirements; the docstring or doc comment around them is prose.
//
// One pass over lines and characters; the per-line patterns are anchored and bounded (linear time).
// Appending words never lowers a count: a line's kind depends on its start, its markers (==, ->, //)
// and the lines above, so words added to a request never turn its prose into code. The code counts
// only grow too: the most parameters any signature declares, any nested collection.
//
// Why read signatures: a contest problem's stub says what a task is about as well as its prose does
// ("minCostConnectPoints", four parameters, a grid), while prose words alone miss it.
import lexicon from './lexicon.json' with { type: 'json' };

export interface AskCategory {
  feature: string;
  /** +1: weight constrained >= 0 (a hard ask); -1: constrained <= 0 (an easy ask). */
  sign: 1 | -1;
  detail: string;
  /**
   * Word stems: a word matches when it starts with one ("optimis" covers optimise/optimisation).
   * A trailing `$` means the whole word (or its plural), so "race$" is not "racer" or "racetrack".
   */
  stems: string[];
}

// What the request asks for (lexicon.json). Each category counts once, so repeating a word does
// not stack; easy and hard categories add independently, so adding a hard ask never lowers the score.
export const ASKS: readonly AskCategory[] = (lexicon as { asks: AskCategory[] }).asks;
const N_ASKS = ASKS.length;

// First-character index of stems, so each word is compared against a handful of stems at most.
const STEMS_BY_FIRST = new Map<string, { stem: string; whole: boolean; cat: number }[]>();
ASKS.forEach((c, cat) => {
  for (const raw of c.stems) {
    const whole = raw.endsWith('$');
    const stem = whole ? raw.slice(0, -1) : raw;
    let list = STEMS_BY_FIRST.get(stem[0]!);
    if (!list) STEMS_BY_FIRST.set(stem[0]!, (list = []));
    list.push({ stem, whole, cat });
  }
});

/** What hyphenated stems start with ("race" of "race-condition"): the only first words a pair can add to. */
const HYPHEN_HEADS = new Set(
  ASKS.flatMap((c) => c.stems.filter((raw) => raw.includes('-')).map((raw) => raw.slice(0, raw.indexOf('-')))),
);

export interface RequestScan {
  /** Per ask category (ASKS order): hit by a prose word. */
  hits: boolean[];
  /** Words in prose lines. */
  words: number;
  /** Distinct words in prose lines. */
  distinctWords: number;
  /** The most parameters one signature on a code line declares (self, this and cls not counted). */
  params: number;
  /** A code line uses a nested collection type: a grid, a list of lists. */
  nested: boolean;
  /** Sentence ends, list items and demand words in prose beyond the first sentence. */
  requirements: number;
  /** Characters on code lines. */
  codeChars: number;
  /** Indices (into the `terms` table passed in) of the distinct vocabulary terms in prose and signature names. */
  terms: number[];
}

/** Learned vocabulary: a word (lower case, whole) → its index in the caller's weight table. */
export type TermIndex = ReadonlyMap<string, number>;

/** Words that add one more demand. */
const REQUIREMENT_WORDS = new Set(['should', 'must', 'also', 'needs', 'need', 'want', 'support', 'supports', 'handle']);

// A line (indentation and a comment marker stripped, lower-cased) that starts like code: a fence,
// a doctest, a declaration in Python/JS/TS/Go/Rust/Java/C, a decorator, a lone bracket. Prose that
// starts with "Return", "Let" or "For" stays prose: those words open contest statements too.
const CODE_START = new RegExp(
  [
    '^```',
    '^>>>',
    '^(?:async\\s+)?def\\s+[a-z_]\\w*\\s*\\(',
    '^class\\s+[a-z_]\\w*\\s*(?:[:({]|\\b(?:extends|implements)\\b)',
    '^import\\s+[\\w{*]',
    '^from\\s+[\\w.]+\\s+import\\s',
    '^(?:export\\s+)?(?:async\\s+)?function\\s*\\*?\\s*[\\w$]*\\s*[(<]',
    '^func\\s+[\\w(]',
    '^(?:pub\\s+)?fn\\s+\\w+\\s*[(<]',
    '^(?:public|private|protected|static)\\s+[\\w<>[\\], ]{1,80}\\(',
    '^#include\\b',
    '^(?:export\\s+)?(?:interface|type)\\s+\\w+\\s*[={<]',
    '^@[a-z_][\\w.]*(?:\\(|$)',
    '^[{}()[\\]]+[;,]?$',
    '^(?:if|for|while|switch)\\s*\\(',
  ].join('|'),
);
/**
 * A declaration's name and parameters, on a code line as written (the name's case splits it into
 * words): def/function/fn/func (a Go receiver allowed), or a Java/C#-style method after its modifiers.
 */
const SIGNATURE = new RegExp(
  [
    '^(?:(?:export|pub|async|static|public|private|protected)\\s+){0,3}(?:def|function|fn|func)\\s+',
    '(?:\\([^)]{0,80}\\)\\s*)?([A-Za-z_$][\\w$]{0,60})\\s*(?:<[^>(]{0,80}>\\s*)?\\(([^)]{0,400})',
    '|^(?:public|private|protected|static)\\s[\\w<>[\\], ]{0,80}?\\b([A-Za-z_$][\\w$]{0,60})\\s*\\(([^)]{0,400})',
  ].join(''),
);
/** Receivers, not inputs. */
const RECEIVERS = new Set(['self', 'cls', 'this', '&self', '&mut self', 'mut self']);
/** Collections of collections: List[List[int]], number[][], int[][], vector<vector<int>>, Vec<Vec<i32>>. */
const NESTED = /list\[\s?list\b|\[\]\s?\[\]|\bvec(?:tor)?<\s?(?:std::)?vec|\barray<\s?array\b/;
/** A worked example on a line of its own: `f(1, 2) == 3`, `f(x) ➞ y`, `f(x) // y`. */
const CALL_START = /^[a-z_$][\w.$]{0,60}\(/;
const EXAMPLE_MARKERS = ['==', '➞', '→', '->', '=>', '//'];

/**
 * The request's prose and code, read line by line. `terms` looks words up in a learned vocabulary;
 * `collect`, when given, receives every prose word (the calibration selects the vocabulary from them).
 */
export function scanRequest(text: string, terms?: TermIndex, collect?: Set<string>): RequestScan {
  const hits = new Array<boolean>(N_ASKS).fill(false);
  const lower = text.toLowerCase();
  const state: ProseState = {
    hits,
    words: 0,
    distinct: new Set(),
    requirements: -1,
    prev: '',
    terms,
    termHits: [],
    collect,
    params: 0,
    nested: false,
  };
  // Lower-casing can change a string's length (rare letters): then code lines are read lower-cased.
  const sameLength = lower.length === text.length;
  let codeChars = 0;
  let inFence = false;
  let inBlockComment = false;
  let afterDoctest = false;
  for (let pos = 0; pos <= lower.length; ) {
    let end = lower.indexOf('\n', pos);
    if (end < 0) end = lower.length;
    // Strip indentation, then a comment marker (the comment's text is the spec), then a docstring quote.
    const raw = lower.slice(pos, end);
    let s = skipSpace(raw, 0);
    const startsBlock = raw.startsWith('/*', s);
    if (startsBlock) s = skipSpace(raw, s + (raw.startsWith('/**', s) ? 3 : 2));
    else if (inBlockComment && raw.charCodeAt(s) === 42 && raw.charCodeAt(s + 1) !== 47) s = skipSpace(raw, s + 1);
    else if (!inFence && raw.startsWith('//', s)) s = skipSpace(raw, s + 2);
    else if (!inFence && raw.charCodeAt(s) === 35 && !raw.startsWith('#include', s)) s = skipSpace(raw, s + 1);
    if (raw.startsWith('"""', s) || raw.startsWith("'''", s)) s = skipSpace(raw, s + 3);
    if (startsBlock || inBlockComment) inBlockComment = !raw.includes('*/');

    const line = s ? raw.slice(s) : raw;
    let code = false;
    if (line.startsWith('```')) {
      inFence = !inFence;
      code = true;
    } else if (inFence) code = true;
    else if (line.length === 0) afterDoctest = false;
    else if (line.startsWith('>>>')) {
      code = true;
      afterDoctest = true;
    } else if (afterDoctest) {
      // The line after a doctest is its expected output.
      code = true;
      afterDoctest = false;
    } else if (CODE_START.test(line)) code = true;
    else if (CALL_START.test(line) && EXAMPLE_MARKERS.some((m) => line.includes(m))) code = true;

    if (code) {
      codeChars += line.length;
      scanCode(sameLength ? text.slice(pos + s, end) : line, line, state);
    } else scanProse(line, state);
    pos = end + 1;
  }
  return {
    hits,
    words: state.words,
    distinctWords: state.distinct.size,
    params: state.params,
    nested: state.nested,
    requirements: Math.max(0, state.requirements),
    codeChars,
    terms: state.termHits,
  };
}

interface ProseState {
  hits: boolean[];
  words: number;
  distinct: Set<string>;
  requirements: number;
  prev: string;
  terms: TermIndex | undefined;
  termHits: number[];
  collect: Set<string> | undefined;
  params: number;
  nested: boolean;
}

/**
 * One code line (as written, and lower-cased): a signature's parameters and its name's words (camelCase
 * and snake_case split; matched against the learned vocabulary like prose words, not against the
 * asks: a helper named debugLog asks for no debugging), and nested collection types.
 */
function scanCode(line: string, lower: string, st: ProseState): void {
  if (!st.nested && NESTED.test(lower)) st.nested = true;
  if (!line.includes('(')) return;
  const m = SIGNATURE.exec(line);
  if (!m) return;
  const name = m[1] ?? m[3]!;
  // __init__, __call__: the class's plumbing, not what it is for.
  if (name.startsWith('__')) return;
  const params = countParams(m[2] ?? m[4]!);
  if (params > st.params) st.params = params;
  for (const part of name.replace(/([a-z\d])([A-Z])/g, '$1 $2').split(/[\s_$]+/)) {
    if (part.length < 2) continue;
    const word = part.toLowerCase();
    const term = st.terms?.get(word);
    if (term !== undefined && !st.termHits.includes(term)) st.termHits.push(term);
    st.collect?.add(word);
  }
}

/** Parameters in a parameter list: commas outside brackets (Dict[str, int], Map<K, V>), receivers left out. */
function countParams(list: string): number {
  let n = 0;
  let depth = 0;
  let start = 0;
  for (let i = 0; i <= list.length; i++) {
    const c = i < list.length ? list.charCodeAt(i) : 44;
    if (c === 40 || c === 91 || c === 123 || c === 60) depth++;
    else if ((c === 41 || c === 93 || c === 125 || c === 62) && depth > 0) depth--;
    else if (c === 44 && depth === 0) {
      const p = list.slice(start, i).trim();
      const head = p.split(/[:=\s]/)[0]!;
      if (p && p !== '*' && p !== '/' && !RECEIVERS.has(head) && !RECEIVERS.has(p)) n++;
      start = i + 1;
    }
  }
  return n;
}

function skipSpace(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) break;
    i++;
  }
  return i;
}

/**
 * One prose line: words (letters, digits, hyphens, underscores; "what does" and "what is" are
 * joined so they can be matched as stems), ask hits and requirements. Commas and sentence ends
 * inside brackets or backticks separate arguments, not requirements.
 */
function scanProse(line: string, st: ProseState): void {
  const end = line.length;
  // "- item", "* item", "1. item", "2) item" at the line start.
  const c0 = line.charCodeAt(0);
  if ((c0 === 45 || c0 === 42) && line.charCodeAt(1) === 32) st.requirements++;
  else if (c0 >= 48 && c0 <= 57) {
    let j = 1;
    while (j < end && line.charCodeAt(j) >= 48 && line.charCodeAt(j) <= 57) j++;
    const p = line.charCodeAt(j);
    if ((p === 46 || p === 41) && line.charCodeAt(j + 1) === 32) st.requirements++;
  }
  let depth = 0;
  let tick = false;
  let start = -1;
  for (let i = 0; i <= end; i++) {
    const ch = i < end ? line.charCodeAt(i) : 32;
    if (ch === 40 || ch === 91 || ch === 123) depth++;
    else if ((ch === 41 || ch === 93 || ch === 125) && depth > 0) depth--;
    else if (ch === 96) tick = !tick;
    else if (depth === 0 && !tick) {
      if ((ch === 46 || ch === 63 || ch === 33) && st.words > 0) {
        const next = i + 1 < end ? line.charCodeAt(i + 1) : 32;
        if (next === 32 || next === 9 || next === 13) st.requirements++;
      } else if (ch === 44 || ch === 59) st.requirements += 0.5;
    }
    const wordChar = (ch >= 97 && ch <= 122) || (ch >= 48 && ch <= 57) || ch === 45 || ch === 95;
    if (wordChar) {
      if (start < 0) start = i;
      continue;
    }
    if (start < 0) continue;
    const word = line.slice(start, i);
    start = -1;
    st.words++;
    st.distinct.add(word);
    if (REQUIREMENT_WORDS.has(word)) st.requirements++;
    matchWord(word, st.hits);
    const term = st.terms?.get(word);
    if (term !== undefined && !st.termHits.includes(term)) st.termHits.push(term);
    st.collect?.add(word);
    const prev = st.prev;
    if (prev === 'what' && (word === 'does' || word === 'is')) matchWord(`what-${word}`, st.hits);
    // "race condition" also as "race-condition", "exactly once". Only a hyphenated stem can match
    // the pair beyond what the two words hit alone, and it must start with the first word.
    else if (prev.length > 1 && (HYPHEN_HEADS.has(prev) || prev.includes('-'))) matchOne(`${prev}-${word}`, st.hits);
    st.prev = word;
  }
}

/** The signs of the ask categories a word (lower case) hits: none, [1], [-1] or both. */
export function askSigns(word: string): (1 | -1)[] {
  const hits = new Array<boolean>(N_ASKS).fill(false);
  matchWord(word, hits);
  return [...new Set(ASKS.filter((_, i) => hits[i]).map((a) => a.sign))];
}

function matchWord(word: string, hits: boolean[]): void {
  matchOne(word, hits);
  // "race-condition", "thread-safe": the parts count too.
  if (word.includes('-')) for (const part of word.split('-')) if (part) matchOne(part, hits);
}

function matchOne(word: string, hits: boolean[]): void {
  for (const cat of categoriesOf(word)) hits[cat] = true;
}

/**
 * The ask categories one word hits, remembered: a request's words are mostly the same few thousand
 * English words, and walking the stems per word was most of the scan's time. Bounded: forgotten
 * all at once past MEMO_MAX words (a flood of distinct tokens costs the walk, never memory).
 */
const MEMO = new Map<string, readonly number[]>();
const MEMO_MAX = 20_000;
const NONE: readonly number[] = [];

function categoriesOf(word: string): readonly number[] {
  const known = MEMO.get(word);
  if (known) return known;
  let cats: number[] | undefined;
  for (const { stem, whole, cat } of STEMS_BY_FIRST.get(word[0]!) ?? []) {
    const hit = whole
      ? word === stem || (word.length === stem.length + 1 && word.endsWith('s') && word.startsWith(stem))
      : word.startsWith(stem);
    if (hit && !cats?.includes(cat)) (cats ??= []).push(cat);
  }
  if (MEMO.size >= MEMO_MAX) MEMO.clear();
  const out = cats ?? NONE;
  MEMO.set(word, out);
  return out;
}
