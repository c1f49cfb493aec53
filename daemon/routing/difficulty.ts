// Difficulty estimate for one request: a logistic model over cheap text features.
//
// The features are one vector from one function (extractFeatures), used both here and by
// scripts/calibrate-difficulty.ts, which fits the text weights and writes them to weights.json.
// Features that the calibration data cannot see (the selection, language, conversation, failures,
// hints) keep hand-set priors below. Every feature reports its logit contribution so the UI can
// show why.
//
// Monotonic by construction: every feature grows (or stays) when text is appended, and every
// weight that a "hard" word or a bigger selection can switch on is constrained to be >= 0 when
// fitting (FEATURES[i].sign), so adding "race condition" or more code never lowers the score.
import type { RouteReason, TaskKind } from '../../shared/protocol';
import lexicon from './lexicon.json' with { type: 'json' };
import fitted from './weights.json' with { type: 'json' };

export type Hint = 'local' | 'best' | 'stronger';

export interface DifficultyInput {
  task: TaskKind;
  prompt: string;
  selectionText?: string;
  /** Sent along as context: counts toward context-window fit in route(), not toward difficulty. */
  fileText?: string;
  languageId?: string;
  conversationDepth?: number;
  hint?: Hint;
  priorFailures?: number;
}

export interface Difficulty {
  /** In [0, 1]. */
  score: number;
  reasons: RouteReason[];
  /**
   * Tiers to add on top of the score's tier: one per earlier failure, one for a 'stronger' hint,
   * at most MAX_ESCALATION. Their reasons carry weight 0: they move the tier, not the score.
   */
  escalation: number;
}

/** Rough token count; good enough for sizing and context-window checks without a tokenizer. */
export function estimateTokens(text: string | undefined): number {
  return text ? Math.ceil(text.length / 4) : 0;
}

interface Lexicon {
  asks: AskCategory[];
  languages: { hard: string[]; easy: string[] };
  code: { branchWords: string[]; keywords: string[] };
}
const LEXICON = lexicon as Lexicon;

interface AskCategory {
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
const ASKS: AskCategory[] = LEXICON.asks;
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

/** Languages where the same request tends to be harder (manual memory, type-level or hardware code). */
const HARD_LANGUAGES = new Set(LEXICON.languages.hard);
/** Prose and data files: little to reason about. */
const EASY_LANGUAGES = new Set(LEXICON.languages.easy);

/** How a feature's weight is set. */
export type FeatureSource = 'fitted' | 'prior';

export interface FeatureDef {
  name: string;
  /** +1: weight >= 0; -1: weight <= 0. Every feature has a sign, so monotonicity holds by construction. */
  sign: 1 | -1;
  source: FeatureSource;
  /** Hand-set weight for 'prior' features (the calibration data never exercises them). */
  prior?: number;
}

/**
 * The feature vector, in order. 'fitted' weights come from weights.json; 'prior' ones are set by
 * hand because neither calibration set has selections, languages, conversations or failures.
 */
export const FEATURES: readonly FeatureDef[] = [
  // log2(1 + words/8) of the request's own words (not for completions: their prompt is code).
  { name: 'prompt-length', sign: 1, source: 'fitted' },
  ...ASKS.map((a): FeatureDef => ({ name: a.feature, sign: a.sign, source: 'fitted' })),
  // Number of distinct hard ask categories beyond the first: a request mixing concerns is harder.
  { name: 'asks:breadth', sign: 1, source: 'fitted' },
  // log2(1 + requirement markers): list items, sentences, "should/must/also/and then": many asks at once.
  { name: 'requirements', sign: 1, source: 'fitted' },
  // The request pins down one function: a signature (def f(, function f(, `f(x)`) or examples (>>>, ==, ->).
  { name: 'spec:signature', sign: -1, source: 'fitted' },
  { name: 'spec:examples', sign: -1, source: 'fitted' },
  // Contest-style limits (n up to 10^5, modulo 10^9 + 7): the naive solution will not do.
  { name: 'constraints:large', sign: 1, source: 'fitted' },
  // The calibration prompts refer to code ("why does this fail") without carrying it, so the fitted
  // intercept already assumes a typical selection: these priors count only what goes beyond one
  // (~50 lines). log2(1 + tokens/600) of the selection (for a completion, of the prefix, scaled down).
  { name: 'size', sign: 1, source: 'prior', prior: 0.4 },
  // Size already counts how much code there is; these measure how tangled it is.
  { name: 'selection:nesting', sign: 1, source: 'prior', prior: 0.1 },
  { name: 'selection:branches', sign: 1, source: 'prior', prior: 0.15 },
  { name: 'selection:identifiers', sign: 1, source: 'prior', prior: 0.1 },
  { name: 'language:hard', sign: 1, source: 'prior', prior: 0.25 },
  { name: 'language:easy', sign: -1, source: 'prior', prior: -0.3 },
  { name: 'conversation', sign: 1, source: 'prior', prior: 0.15 },
];
export const FEATURE_INDEX: Readonly<Record<string, number>> = Object.fromEntries(FEATURES.map((f, i) => [f.name, i]));
const I_PROMPT = FEATURE_INDEX['prompt-length']!;
const I_ASK0 = 1;
const I_BREADTH = FEATURE_INDEX['asks:breadth']!;
const I_REQS = FEATURE_INDEX.requirements!;
const I_SIG = FEATURE_INDEX['spec:signature']!;
const I_EXAMPLES = FEATURE_INDEX['spec:examples']!;
const I_LIMITS = FEATURE_INDEX['constraints:large']!;
const I_SIZE = FEATURE_INDEX.size!;
const I_NEST = FEATURE_INDEX['selection:nesting']!;
const I_BRANCH = FEATURE_INDEX['selection:branches']!;
const I_IDENT = FEATURE_INDEX['selection:identifiers']!;
const I_LANG_HARD = FEATURE_INDEX['language:hard']!;
const I_LANG_EASY = FEATURE_INDEX['language:easy']!;
const I_CONV = FEATURE_INDEX.conversation!;
/** Earlier failures and 'stronger' escalate in route() (one step each, at most this many) rather than the score. */
export const MAX_ESCALATION = 3;

/** A completion's prefix is code the user is typing, not a request: its size counts for less. */
const COMPLETION_SIZE_SCALE = 0.4;
/** Caps keep one huge input from saturating the score on size alone. */
const SIZE_CAP = 4;
const PROMPT_LENGTH_CAP = 6;
const REQUIREMENTS_CAP = 5;

// Bounded, anchored-by-literal patterns (no nested quantifiers): each runs in linear time.
/** def f(, function f(, fn f(, func F(, `name(args)`, static int f(, a TypeScript/Python-typed signature. */
const SIGNATURE = new RegExp(
  [
    '\\b(?:def|function|fn|func)\\s+[A-Za-z_]\\w{0,60}\\s*[(<]',
    '`[A-Za-z_][\\w.]{0,60}\\([^`\\n]{0,200}\\)',
    '\\b(?:static|public)\\s+\\w{1,30}(?:\\[\\])?\\s+\\w{1,60}\\(',
    '\\)\\s*(?:->|:)\\s*[A-Za-z[]',
  ].join('|'),
);
/** Worked examples: doctest prompts, `f(x) == y`, `f(x) -> y`, "e.g.", "Example:". */
const EXAMPLES = />>>|\)\s{0,3}(?:==|->|=>|returns?)\s|\be\.g\.|\bexample:|\bfor example\b/i;
/** 10^5, 10^9 + 7, 2 * 10^5, 1e5 and up. */
const LARGE_LIMITS = /\b10\s?\^\s?(?:[5-9]|1\d)\b|\b\de(?:[5-9]|1\d)\b|\bmodulo\b/i;

export interface Features {
  /** One value per FEATURES entry, in that order. */
  x: Float64Array;
  /** What the values were computed from, for the reasons' details. */
  info: { words: number; tokens: number; complexity?: Complexity; language?: string; depth: number; hint?: Hint };
}

/** The one feature extractor: the router and the calibration script both call it. */
export function extractFeatures(input: DifficultyInput): Features {
  const x = new Float64Array(FEATURES.length);
  let words = 0;
  // A completion's prompt is the code before the cursor, not a request: words in it ask nothing.
  if (input.task !== 'completion') {
    const scan = scanRequest(input.prompt);
    words = scan.words;
    x[I_PROMPT] = Math.min(PROMPT_LENGTH_CAP, Math.log2(1 + words / 8));
    let hard = 0;
    for (let i = 0; i < N_ASKS; i++) {
      if (!scan.hits[i]) continue;
      x[I_ASK0 + i] = 1;
      if (ASKS[i]!.sign > 0) hard++;
    }
    x[I_BREADTH] = Math.max(0, hard - 1);
    x[I_REQS] = Math.min(REQUIREMENTS_CAP, Math.log2(1 + scan.requirements));
    const text = input.prompt;
    if (SIGNATURE.test(text)) x[I_SIG] = 1;
    if (EXAMPLES.test(text)) x[I_EXAMPLES] = 1;
    if (LARGE_LIMITS.test(text)) x[I_LIMITS] = 1;
  }

  const selTokens = estimateTokens(input.selectionText);
  const tokens = input.task === 'completion' ? estimateTokens(input.prompt) + selTokens : selTokens;
  // Log-scaled: going from 100 to 1k tokens matters much more than 10k to 11k.
  x[I_SIZE] =
    Math.min(SIZE_CAP, Math.log2(1 + tokens / 600)) * (input.task === 'completion' ? COMPLETION_SIZE_SCALE : 1);
  const c = input.selectionText ? codeComplexity(input.selectionText) : undefined;
  if (c) {
    // Bracket depth counts calls and literals too, so the first four levels are free.
    x[I_NEST] = Math.min(5, Math.max(0, c.maxDepth - 4));
    x[I_BRANCH] = Math.min(3, Math.log2(1 + c.branches / 16));
    x[I_IDENT] = Math.min(4, Math.log2(1 + c.identifiers / 60));
  }

  const lang = input.languageId?.toLowerCase();
  if (lang && HARD_LANGUAGES.has(lang)) x[I_LANG_HARD] = 1;
  else if (lang && EASY_LANGUAGES.has(lang)) x[I_LANG_EASY] = 1;

  // A long back-and-forth usually means the easy answers did not work.
  const depth = Math.max(0, Math.floor(input.conversationDepth ?? 0));
  x[I_CONV] = Math.min(6.667, depth);
  const hint = input.hint ?? hintInText(input.prompt);
  return { x, info: { words, tokens, complexity: c, language: lang, depth, hint } };
}

// ---------- weights ----------

interface WeightsFile {
  intercept: { chat: number; refactor: number };
  weights: Record<string, number>;
  /** The score's logit → task difficulty b on the capability scale (capabilities.json): b = intercept + slope·logit. */
  theta: { intercept: number; slope: number; min: number; max: number };
}
const W = fitted as unknown as WeightsFile;

/**
 * A difficulty score in [0, 1] as a task difficulty b on the capability scale, so that a model of
 * capability θ solves it with P = σ(θ − b). Linear in the score's logit; calibrated with the weights.
 */
export function difficultyToTheta(score: number): number {
  const s = Math.min(0.999, Math.max(0.001, score));
  const b = W.theta.intercept + W.theta.slope * Math.log(s / (1 - s));
  return Math.min(W.theta.max, Math.max(W.theta.min, b));
}

/** Logit of a task before any feature: chat and refactor are fitted; a completion continues code the user is typing. */
const TASK_BIAS: Record<TaskKind, { weight: number; detail: string }> = {
  // A prior, not fitted: continuing the line or block being typed is about as hard as the easiest
  // function task, which a 1.5B coder handles (b near the bottom of the fitted range).
  completion: { weight: -5.5, detail: 'inline completion' },
  chat: { weight: W.intercept.chat, detail: 'chat question' },
  refactor: { weight: W.intercept.refactor, detail: 'refactor (edits must stay correct)' },
};

/** Runtime weights, one per FEATURES entry; a sign the file breaks is clamped: monotonic whatever is loaded. */
export const WEIGHTS: Float64Array = Float64Array.from(FEATURES, (f) => {
  const w = f.source === 'prior' ? f.prior! : (W.weights[f.name] ?? 0);
  return f.sign > 0 ? Math.max(0, w) : Math.min(0, w);
});

function detailFor(i: number, f: Features, task: TaskKind): string {
  const { info } = f;
  if (i >= I_ASK0 && i < I_ASK0 + N_ASKS) return ASKS[i - I_ASK0]!.detail;
  const c = info.complexity;
  switch (i) {
    case I_PROMPT:
      return `${info.words}-word request`;
    case I_BREADTH:
      return `${f.x[i]! + 1} kinds of hard ask`;
    case I_REQS:
      return `${Math.round(2 ** f.x[i]! - 1)} requirements`;
    case I_SIG:
      return 'names the function to write';
    case I_EXAMPLES:
      return 'gives examples';
    case I_LIMITS:
      return 'contest-size limits';
    case I_SIZE:
      return task === 'completion'
        ? `~${info.tokens} tokens before the cursor`
        : c
          ? `${c.lines}-line selection (~${info.tokens} tokens)`
          : `~${info.tokens} tokens`;
    case I_NEST:
      return `nesting depth ${c?.maxDepth}`;
    case I_BRANCH:
      return `${c?.branches} branch points`;
    case I_IDENT:
      return `${c?.identifiers} distinct identifiers`;
    case I_LANG_HARD:
      return `${info.language} code`;
    case I_LANG_EASY:
      return `${info.language} (prose/data)`;
    case I_CONV:
      return `conversation turn ${info.depth + 1}`;
  }
  return FEATURES[i]!.name;
}

export function estimateDifficulty(input: DifficultyInput): Difficulty {
  const f = extractFeatures(input);
  const reasons: RouteReason[] = [];
  const base = TASK_BIAS[input.task];
  reasons.push({ feature: `task:${input.task}`, weight: round3(base.weight), detail: base.detail });
  let z = base.weight;
  for (let i = 0; i < FEATURES.length; i++) {
    const v = f.x[i]!;
    if (v === 0 || WEIGHTS[i] === 0) continue;
    const contribution = WEIGHTS[i]! * v;
    z += contribution;
    reasons.push({ feature: FEATURES[i]!.name, weight: round3(contribution), detail: detailFor(i, f, input.task) });
  }
  let score = 1 / (1 + Math.exp(-z));

  const hint = f.info.hint;
  const failures = Math.max(0, Math.floor(input.priorFailures ?? 0));
  let escalation = 0;
  if (failures > 0) {
    const up = Math.min(MAX_ESCALATION, failures);
    escalation += up;
    reasons.push({
      feature: 'prior-failures',
      weight: 0,
      detail: `${failures} earlier answer${failures > 1 ? 's' : ''} failed (+${up} tier${up > 1 ? 's' : ''})`,
    });
  }
  if (hint === 'stronger') {
    escalation += 1;
    reasons.push({ feature: 'hint:stronger', weight: 0, detail: 'asked for a stronger model (+1 tier)' });
  }
  escalation = Math.min(MAX_ESCALATION, escalation);

  // Explicit hints override the estimate; their reason's weight is what it took to get there.
  if (hint === 'local') {
    reasons.push({
      feature: 'hint:local',
      weight: round3(-Math.max(0, z) - 10),
      detail: 'asked to stay local (@local)',
    });
    score = 0;
  } else if (hint === 'best') {
    reasons.push({
      feature: 'hint:best',
      weight: round3(Math.max(0, -z) + 10),
      detail: 'asked for the best model (@best)',
    });
    score = 1;
  }
  return { score: round3(score), reasons, escalation };
}

/** `@best` wins over `@local` when both are typed: a user asking for quality rarely wants less. */
export function hintInText(text: string): Hint | undefined {
  if (!text.includes('@')) return undefined;
  if (/(^|\s)@best\b/.test(text)) return 'best';
  if (/(^|\s)@local\b/.test(text)) return 'local';
  if (/(^|\s)@stronger\b/.test(text)) return 'stronger';
  return undefined;
}

/**
 * Which ask categories the text hits, and how many words it has. One pass over words (letters,
 * digits, hyphens, underscores; "what does" and "what is" are joined so they can be matched as
 * stems); no backtracking regex.
 */
function scanRequest(text: string): { hits: boolean[]; words: number; requirements: number } {
  const hits = new Array<boolean>(N_ASKS).fill(false);
  const lower = text.toLowerCase();
  let start = -1;
  let prev = '';
  let words = 0;
  // Sentence ends, list items and the words that add one more demand; the first sentence is the ask itself.
  let requirements = -1;
  let lineStart = true;
  for (let i = 0; i <= lower.length; i++) {
    const ch = i < lower.length ? lower.charCodeAt(i) : 32;
    if (ch === 10) lineStart = true;
    else if (lineStart && ch !== 32 && ch !== 9) {
      lineStart = false;
      // "- item", "* item", "1. item" at a line start
      if (ch === 45 || ch === 42 || (ch >= 48 && ch <= 57 && lower.charCodeAt(i + 1) === 46)) requirements++;
    }
    if ((ch === 46 || ch === 63 || ch === 33) && words > 0) {
      const next = lower.charCodeAt(i + 1);
      if (i + 1 >= lower.length || next === 32 || next === 10) requirements++;
    } else if (ch === 44 || ch === 59) requirements += 0.5;
    const wordChar = (ch >= 97 && ch <= 122) || (ch >= 48 && ch <= 57) || ch === 45 || ch === 95;
    if (wordChar) {
      if (start < 0) start = i;
      continue;
    }
    if (start < 0) continue;
    const word = lower.slice(start, i);
    start = -1;
    words++;
    if (REQUIREMENT_WORDS.has(word)) requirements++;
    matchWord(word, hits);
    if (prev === 'what' && (word === 'does' || word === 'is')) matchWord(`what-${word}`, hits);
    // "race condition" also as "race-condition", "exactly once"
    else if (prev.length > 1) matchOne(`${prev}-${word}`, hits);
    prev = word;
  }
  return { hits, words, requirements: Math.max(0, requirements) };
}

const REQUIREMENT_WORDS = new Set(['should', 'must', 'also', 'needs', 'need', 'want', 'support', 'supports', 'handle']);

function matchWord(word: string, hits: boolean[]): void {
  matchOne(word, hits);
  // "race-condition", "thread-safe": the parts count too.
  if (word.includes('-')) for (const part of word.split('-')) if (part) matchOne(part, hits);
}

function matchOne(word: string, hits: boolean[]): void {
  const list = STEMS_BY_FIRST.get(word[0]!);
  if (!list) return;
  for (const { stem, whole, cat } of list) {
    if (hits[cat]) continue;
    if (whole ? word === stem || word === `${stem}s` : word.startsWith(stem)) hits[cat] = true;
  }
}

export interface Complexity {
  lines: number;
  maxDepth: number;
  branches: number;
  identifiers: number;
}

const BRANCH_WORDS = new Set(LEXICON.code.branchWords);
/** Words that are syntax, not names: they should not count as distinct identifiers. */
const KEYWORDS = new Set([...BRANCH_WORDS, ...LEXICON.code.keywords]);

// Words are compared by hash while scanning, so no substring is allocated per identifier.
const BRANCH_HASHES = new Set([...BRANCH_WORDS].map(wordHash));
const KEYWORD_HASHES = new Set([...KEYWORDS].map(wordHash));

/** FNV-1a over the word's UTF-16 units, mixed with its length. */
function wordHash(w: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w.charCodeAt(i), 0x01000193);
  return (h ^ w.length) >>> 0;
}

/** One linear scan: bracket nesting (or indentation, for brace-less languages), branch words, distinct names. */
export function codeComplexity(code: string): Complexity {
  let lines = code.length ? 1 : 0;
  let depth = 0;
  let maxDepth = 0;
  let branches = 0;
  let maxIndent = 0;
  let atLineStart = true;
  let indent = 0;
  const names = new Set<number>();
  let i = 0;
  const n = code.length;
  while (i < n) {
    const ch = code.charCodeAt(i);
    if (ch === 10) {
      lines++;
      atLineStart = true;
      indent = 0;
      i++;
      continue;
    }
    if (atLineStart) {
      if (ch === 32) {
        indent++;
        i++;
        continue;
      }
      if (ch === 9) {
        indent += 4;
        i++;
        continue;
      }
      atLineStart = false;
      if (indent > maxIndent) maxIndent = indent;
    }
    if (ch === 123 || ch === 40 || ch === 91) {
      depth++;
      if (depth > maxDepth) maxDepth = depth;
    } else if (ch === 125 || ch === 41 || ch === 93) {
      if (depth > 0) depth--;
    } else if ((ch === 38 || ch === 124) && code.charCodeAt(i + 1) === ch) {
      branches++; // && and ||
      i += 2;
      continue;
    } else if (ch === 63 && code.charCodeAt(i + 1) !== 46 && code.charCodeAt(i + 1) !== 63) {
      branches++; // ternary, not ?. or ??
    } else if (isIdentStart(ch)) {
      let h = Math.imul(0x811c9dc5 ^ ch, 0x01000193);
      let j = i + 1;
      for (let c = code.charCodeAt(j); j < n && isIdentPart(c); c = code.charCodeAt(++j))
        h = Math.imul(h ^ c, 0x01000193);
      h = (h ^ (j - i)) >>> 0;
      if (BRANCH_HASHES.has(h)) branches++;
      else if (!KEYWORD_HASHES.has(h) && names.size < 10_000) names.add(h);
      i = j;
      continue;
    }
    i++;
  }
  // Indentation is a second view on nesting (Python, YAML-ish code), assuming 4-space steps.
  const indentDepth = Math.floor(maxIndent / 4);
  return { lines, maxDepth: Math.max(maxDepth, indentDepth), branches, identifiers: names.size };
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36;
}

function isIdentPart(c: number): boolean {
  return isIdentStart(c) || (c >= 48 && c <= 57);
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
