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
import { ASKS, scanRequest, type TermIndex } from './request-scan';
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
  languages: { hard: string[]; easy: string[] };
  code: { branchWords: string[]; keywords: string[] };
}
const LEXICON = lexicon as Lexicon;

const N_ASKS = ASKS.length;

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
  // log2(1 + distinct words/8): a statement that needs many different words defines many things.
  { name: 'distinct-words', sign: 1, source: 'fitted' },
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
  // What a signature in the request declares: how many inputs (the most of any one signature), and
  // whether one is a collection of collections (a grid, a list of lists, a matrix).
  { name: 'signature:params', sign: 1, source: 'fitted' },
  { name: 'signature:nested', sign: 1, source: 'fitted' },
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
const I_DISTINCT = FEATURE_INDEX['distinct-words']!;
const I_ASK0 = FEATURE_INDEX[ASKS[0]!.feature]!;
const I_BREADTH = FEATURE_INDEX['asks:breadth']!;
const I_REQS = FEATURE_INDEX.requirements!;
const I_SIG = FEATURE_INDEX['spec:signature']!;
const I_EXAMPLES = FEATURE_INDEX['spec:examples']!;
const I_LIMITS = FEATURE_INDEX['constraints:large']!;
const I_PARAMS = FEATURE_INDEX['signature:params']!;
const I_NESTED = FEATURE_INDEX['signature:nested']!;
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
const PARAMS_CAP = 6;

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
/** Worked examples: doctests, `f(x) == y`, `f(x) -> y`, `f(x) ➞ y`, "e.g.", "Example:", "Examples:", "Example 1:". */
const EXAMPLES = />>>|\)\s{0,3}(?:==|->|=>|➞|→|returns?)\s|\be\.g\.|\bexamples?(?:\s\d{1,2})?:|\bfor example\b/i;
/**
 * Contest-size limits: 10^5, 10^9 + 7, 2 * 10^5, 1e5 and up, "modulo"; also as they read when
 * copied from a web page that set the exponent as a superscript ("109 + 7", "<= 105").
 */
const LARGE_LIMITS = new RegExp(
  [
    '\\b10\\s?\\^\\s?(?:[5-9]|1\\d)\\b',
    '\\b\\de(?:[5-9]|1\\d)\\b',
    '\\bmodulo\\b',
    '\\b109\\s?\\+\\s?7\\b',
    '<=?\\s?(?:\\d\\s?\\*\\s?)?10[5-9]\\b',
  ].join('|'),
  'i',
);

export interface Features {
  /** One value per FEATURES entry, in that order. */
  x: Float64Array;
  /** Indices of the learned vocabulary terms its prose and signatures' names use (into the table passed in). */
  terms: number[];
  /** What the values were computed from, for the reasons' details. */
  info: {
    words: number;
    distinctWords: number;
    params: number;
    tokens: number;
    complexity?: Complexity;
    language?: string;
    depth: number;
    hint?: Hint;
  };
}

/**
 * The one feature extractor: the router and the calibration script both call it. `terms` is the
 * learned vocabulary (weights.json); the calibration passes the one it is fitting.
 */
export function extractFeatures(input: DifficultyInput, terms: TermIndex = TERM_INDEX): Features {
  const x = new Float64Array(FEATURES.length);
  let words = 0;
  let distinctWords = 0;
  let params = 0;
  let termHits: number[] = [];
  let codeTokens = 0;
  // A completion's prompt is the code before the cursor, not a request: words in it ask nothing.
  if (input.task !== 'completion') {
    const scan = scanRequest(input.prompt, terms);
    words = scan.words;
    distinctWords = scan.distinctWords;
    params = scan.params;
    termHits = scan.terms;
    codeTokens = Math.ceil(scan.codeChars / 4);
    x[I_PROMPT] = Math.min(PROMPT_LENGTH_CAP, Math.log2(1 + words / 8));
    x[I_DISTINCT] = Math.min(PROMPT_LENGTH_CAP, Math.log2(1 + scan.distinctWords / 8));
    x[I_PARAMS] = Math.min(PARAMS_CAP, scan.params);
    if (scan.nested) x[I_NESTED] = 1;
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

  // Code pasted into the request (a stub, a snippet) counts like a selection.
  const selTokens = estimateTokens(input.selectionText) + codeTokens;
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
  return {
    x,
    terms: termHits,
    info: { words, distinctWords, params, tokens, complexity: c, language: lang, depth, hint },
  };
}

// ---------- weights ----------

interface WeightsFile {
  intercept: { chat: number; refactor: number };
  weights: Record<string, number>;
  /**
   * Learned vocabulary: words (outside lexicon.json's asks) whose presence moves the logit, each
   * with the sign it was selected with (>= 0: words of hard contest problems, <= 0: of easy ones).
   */
  terms?: Record<string, number>;
  /** The score's logit → task difficulty b on the capability scale (capabilities.json). */
  theta: ThetaMap;
}
const W = fitted as unknown as WeightsFile;

/** The learned vocabulary: word → index, and each term's weight. */
export const TERM_INDEX: TermIndex = new Map(Object.keys(W.terms ?? {}).map((t, i) => [t, i]));
const TERM_NAMES = Object.keys(W.terms ?? {});
const TERM_WEIGHTS = Float64Array.from(Object.values(W.terms ?? {}));
/** Terms named in a reason's detail, most weighty first. */
const TERMS_SHOWN = 4;

/**
 * How a score's logit becomes a task difficulty b on the capability scale: a line,
 * b = intercept + slope·(logit − refactorShift for a refactor), clamped to [min, max]. The fit rates
 * a refactor harder than a chat with the same words; our editor labels say the same label is as
 * hard for both, so a refactor's logit is moved back before the line.
 */
export interface ThetaMap {
  intercept: number;
  slope: number;
  refactorShift: number;
  min: number;
  max: number;
}

/** b for a logit under a map (the router's and the calibration's one evaluation). */
export function thetaFromLogit(map: ThetaMap, logit: number, task: TaskKind): number {
  const z = logit - (task === 'refactor' ? map.refactorShift : 0);
  return Math.min(map.max, Math.max(map.min, map.intercept + map.slope * z));
}

/**
 * A difficulty score in [0, 1] as a task difficulty b on the capability scale, so that a model of
 * capability θ solves it with P = σ(θ − b). Calibrated with the weights (weights.json `theta`).
 */
export function difficultyToTheta(score: number, task: TaskKind = 'chat'): number {
  const s = Math.min(0.999, Math.max(0.001, score));
  return thetaFromLogit(W.theta, Math.log(s / (1 - s)), task);
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
    case I_DISTINCT:
      return `${info.distinctWords} distinct words`;
    case I_PARAMS:
      return `a signature with ${info.params} parameter${info.params === 1 ? '' : 's'}`;
    case I_NESTED:
      return 'nested collections (a grid, a list of lists)';
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
  z += termReasons(f.terms, reasons);
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

/**
 * The learned vocabulary's contribution as (at most) two reasons, one for the words of hard problems
 * and one for the words of easy ones, each naming its weightiest words. Returns the summed logit.
 */
function termReasons(hits: readonly number[], reasons: RouteReason[]): number {
  if (!hits.length) return 0;
  let total = 0;
  for (const sign of [1, -1]) {
    const mine = hits.filter((t) => Math.sign(TERM_WEIGHTS[t]!) === sign);
    if (!mine.length) continue;
    const sum = mine.reduce((s, t) => s + TERM_WEIGHTS[t]!, 0);
    total += sum;
    const shown = [...mine]
      .sort((a, b) => Math.abs(TERM_WEIGHTS[b]!) - Math.abs(TERM_WEIGHTS[a]!))
      .slice(0, TERMS_SHOWN);
    const words = shown.map((t) => TERM_NAMES[t]).join(', ') + (mine.length > TERMS_SHOWN ? ', …' : '');
    reasons.push({
      feature: sign > 0 ? 'vocabulary:hard' : 'vocabulary:easy',
      weight: round3(sum),
      detail: `${sign > 0 ? 'words of hard problems' : 'words of easy problems'}: ${words}`,
    });
  }
  return total;
}

/** `@best` wins over `@local` when both are typed: a user asking for quality rarely wants less. */
export function hintInText(text: string): Hint | undefined {
  if (!text.includes('@')) return undefined;
  if (/(^|\s)@best\b/.test(text)) return 'best';
  if (/(^|\s)@local\b/.test(text)) return 'local';
  if (/(^|\s)@stronger\b/.test(text)) return 'stronger';
  return undefined;
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

// Character classes for codeComplexity's scan, one table lookup per character instead of a chain of
// comparisons (the scan was a fifth of a routing decision's time).
const C_OTHER = 0;
const C_IDENT = 1;
const C_DIGIT = 2;
const C_NEWLINE = 3;
const C_SPACE = 4;
const C_TAB = 5;
const C_OPEN = 6;
const C_CLOSE = 7;
const C_AMP_PIPE = 8;
const C_QUESTION = 9;
const CHAR_CLASS = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  CHAR_CLASS[c] =
    (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36
      ? C_IDENT
      : c >= 48 && c <= 57
        ? C_DIGIT
        : c === 10
          ? C_NEWLINE
          : c === 32
            ? C_SPACE
            : c === 9
              ? C_TAB
              : c === 123 || c === 40 || c === 91
                ? C_OPEN
                : c === 125 || c === 41 || c === 93
                  ? C_CLOSE
                  : c === 38 || c === 124
                    ? C_AMP_PIPE
                    : c === 63
                      ? C_QUESTION
                      : C_OTHER;
}
const classOf = (c: number) => (c < 128 ? CHAR_CLASS[c]! : C_OTHER);

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
    const k = classOf(ch);
    if (k === C_NEWLINE) {
      lines++;
      atLineStart = true;
      indent = 0;
      i++;
      continue;
    }
    if (atLineStart) {
      if (k === C_SPACE) {
        indent++;
        i++;
        continue;
      }
      if (k === C_TAB) {
        indent += 4;
        i++;
        continue;
      }
      atLineStart = false;
      if (indent > maxIndent) maxIndent = indent;
    }
    switch (k) {
      case C_OPEN:
        depth++;
        if (depth > maxDepth) maxDepth = depth;
        break;
      case C_CLOSE:
        if (depth > 0) depth--;
        break;
      case C_AMP_PIPE:
        if (code.charCodeAt(i + 1) === ch) {
          branches++; // && and ||
          i += 2;
          continue;
        }
        break;
      case C_QUESTION: {
        const next = code.charCodeAt(i + 1);
        if (next !== 46 && next !== 63) branches++; // ternary, not ?. or ??
        break;
      }
      case C_IDENT: {
        let h = Math.imul(0x811c9dc5 ^ ch, 0x01000193);
        let j = i + 1;
        for (; j < n; j++) {
          const c = code.charCodeAt(j);
          const kc = classOf(c);
          if (kc !== C_IDENT && kc !== C_DIGIT) break;
          h = Math.imul(h ^ c, 0x01000193);
        }
        h = (h ^ (j - i)) >>> 0;
        if (BRANCH_HASHES.has(h)) branches++;
        else if (!KEYWORD_HASHES.has(h) && names.size < 10_000) names.add(h);
        i = j;
        continue;
      }
    }
    i++;
  }
  // Indentation is a second view on nesting (Python, YAML-ish code), assuming 4-space steps.
  const indentDepth = Math.floor(maxIndent / 4);
  return { lines, maxDepth: Math.max(maxDepth, indentDepth), branches, identifiers: names.size };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
