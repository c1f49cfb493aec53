// Difficulty estimate for one request: a hand-weighted logistic model over cheap text features.
// v1 weights are set by hand; every feature reports its logit contribution so the UI can show why.
import type { RouteReason, TaskKind } from '../protocol';

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
}

/** Rough token count; good enough for sizing and context-window checks without a tokenizer. */
export function estimateTokens(text: string | undefined): number {
  return text ? Math.ceil(text.length / 4) : 0;
}

// Starting logit per task: a completion continues code the user is typing; chat and refactors start
// at "could go either way" and the request's content decides.
const TASK_BIAS: Record<TaskKind, { weight: number; detail: string }> = {
  completion: { weight: -2.6, detail: 'inline completion' },
  chat: { weight: -1.3, detail: 'chat question' },
  refactor: { weight: -1.0, detail: 'refactor (edits must stay correct)' },
};

interface AskCategory {
  feature: string;
  weight: number;
  detail: string;
  /**
   * Word stems: a word matches when it starts with one ("optimis" covers optimise/optimisation).
   * A trailing `$` means the whole word (or its plural), so "race$" is not "racer" or "racetrack".
   */
  stems: string[];
}

// What the request asks for. Each category counts once, so repeating a word does not stack; easy
// and hard categories add independently, so adding a hard ask can never lower the score.
const ASKS: AskCategory[] = [
  { feature: 'asks:concurrency', weight: 1.4, detail: 'concurrency (race/deadlock/threads)', stems: ['race$', 'racy$', 'deadlock', 'livelock', 'concurren', 'mutex', 'thread', 'atomic', 'lock-free', 'lockfree', 'synchroni', 'distributed', 'consensus'] },
  { feature: 'asks:debug', weight: 0.9, detail: 'asks to debug', stems: ['debug', 'bug$', 'buggy$', 'crash', 'segfault', 'heisenbug', 'flaky', 'leak', 'corrupt', 'hang$', 'hanging$', 'intermittent', 'fail', 'wrong$'] },
  { feature: 'asks:design', weight: 1.2, detail: 'design/architecture', stems: ['design', 'architect', 'scalab', 'tradeoff', 'trade-off', 'migrat', 'redesign'] },
  { feature: 'asks:performance', weight: 0.9, detail: 'performance/optimisation', stems: ['optimis', 'optimiz', 'optimal', 'performan', 'perf$', 'latency', 'throughput', 'bottleneck', 'profiling', 'profiler', 'faster', 'slow$'] },
  { feature: 'asks:security', weight: 1.0, detail: 'security', stems: ['secur', 'vulnerab', 'exploit', 'injection', 'xss$', 'csrf$', 'sanitiz', 'sanitis', 'cve$'] },
  { feature: 'asks:reasoning', weight: 1.0, detail: 'algorithm/proof', stems: ['algorithm', 'prove', 'proof', 'invariant', 'correctness', 'complexity', 'np-hard', 'formal', 'recurrence', 'big-o'] },
  { feature: 'asks:explain', weight: -0.6, detail: 'asks to explain', stems: ['explain', 'explanation', 'describe', 'summari', 'meaning', 'what-does', 'what-is'] },
  { feature: 'asks:rename', weight: -0.8, detail: 'asks to rename', stems: ['rename'] },
  { feature: 'asks:document', weight: -0.7, detail: 'asks for docs/comments', stems: ['document', 'docstring', 'jsdoc', 'javadoc', 'comment', 'readme'] },
  { feature: 'asks:format', weight: -0.8, detail: 'asks to format', stems: ['format', 'indent', 'lint', 'typo', 'spelling', 'whitespace', 'prettier'] },
];

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
const HARD_LANGUAGES = new Set(['c', 'cpp', 'rust', 'haskell', 'ocaml', 'scala', 'coq', 'lean', 'lean4', 'verilog', 'systemverilog', 'vhdl', 'asm', 'assembly', 'cuda', 'zig']);
/** Prose and data files: little to reason about. */
const EASY_LANGUAGES = new Set(['plaintext', 'markdown', 'json', 'jsonc', 'yaml', 'toml', 'ini', 'csv', 'xml', 'html', 'css']);

const BRANCH_WORDS = new Set(['if', 'else', 'elif', 'for', 'while', 'switch', 'case', 'catch', 'except', 'match', 'when', 'loop', 'goto', 'try', 'select', 'await', 'yield']);
/** Words that are syntax, not names: they should not count as distinct identifiers. */
const KEYWORDS = new Set([
  ...BRANCH_WORDS,
  'return', 'const', 'let', 'var', 'function', 'fn', 'def', 'class', 'struct', 'enum', 'impl', 'trait', 'interface', 'type',
  'public', 'private', 'protected', 'static', 'async', 'new', 'this', 'self', 'true', 'false', 'null', 'undefined', 'none',
  'import', 'from', 'export', 'package', 'use', 'mut', 'pub', 'int', 'void', 'string', 'bool', 'in', 'of', 'do', 'break',
  'continue', 'throw', 'throws', 'finally', 'and', 'or', 'not', 'is', 'as', 'with', 'pass', 'lambda', 'default', 'extends',
]);

export function estimateDifficulty(input: DifficultyInput): Difficulty {
  const reasons: RouteReason[] = [];
  const add = (feature: string, weight: number, detail: string) => {
    if (weight !== 0) reasons.push({ feature, weight: round3(weight), detail });
  };

  const base = TASK_BIAS[input.task];
  add(`task:${input.task}`, base.weight, base.detail);

  // A completion's prompt is the code before the cursor, not a request: words in it ask nothing.
  if (input.task !== 'completion') {
    const hits = askCategories(input.prompt);
    for (let i = 0; i < ASKS.length; i++) if (hits[i]) add(ASKS[i]!.feature, ASKS[i]!.weight, ASKS[i]!.detail);
  }

  const promptTokens = estimateTokens(input.prompt);
  const selTokens = estimateTokens(input.selectionText);
  const tokens = promptTokens + selTokens;
  // Log-scaled: going from 100 to 1k tokens matters much more than 10k to 11k.
  const sizeScale = input.task === 'completion' ? 0.15 : 0.35;
  const sizeW = Math.min(1.5, sizeScale * Math.log2(1 + tokens / 200));
  const c = input.selectionText ? codeComplexity(input.selectionText) : undefined;
  add('size', sizeW, c ? `${c.lines}-line selection (~${tokens} tokens)` : `~${tokens} tokens of prompt`);

  // Size already counts how much code there is; these measure how tangled it is. Bracket depth
  // counts calls and literals too, so the first three levels are free.
  if (c) {
    add('selection:nesting', Math.min(0.6, 0.12 * Math.max(0, c.maxDepth - 3)), `nesting depth ${c.maxDepth}`);
    add('selection:branches', Math.min(0.6, 0.2 * Math.log2(1 + c.branches / 8)), `${c.branches} branch points`);
    add('selection:identifiers', Math.min(0.6, 0.15 * Math.log2(1 + c.identifiers / 40)), `${c.identifiers} distinct identifiers`);
  }

  const lang = input.languageId?.toLowerCase();
  if (lang && HARD_LANGUAGES.has(lang)) add('language', 0.25, `${lang} code`);
  else if (lang && EASY_LANGUAGES.has(lang)) add('language', -0.3, `${lang} (prose/data)`);

  const depth = Math.max(0, Math.floor(input.conversationDepth ?? 0));
  // A long back-and-forth usually means the easy answers did not work.
  if (depth > 0) add('conversation', Math.min(1.0, 0.15 * depth), `conversation turn ${depth + 1}`);

  const failures = Math.max(0, Math.floor(input.priorFailures ?? 0));
  if (failures > 0) add('prior-failures', Math.min(2.1, 0.7 * failures), `${failures} earlier answer${failures > 1 ? 's' : ''} failed`);

  const hint = input.hint ?? hintInText(input.prompt);
  if (hint === 'stronger') add('hint:stronger', 1.5, 'asked for a stronger model');

  const z = reasons.reduce((s, r) => s + r.weight, 0);
  let score = 1 / (1 + Math.exp(-z));

  // Explicit hints override the estimate; their reason's weight is what it took to get there.
  if (hint === 'local') {
    reasons.push({ feature: 'hint:local', weight: round3(-Math.max(0, z) - 10), detail: 'asked to stay local (@local)' });
    score = 0;
  } else if (hint === 'best') {
    reasons.push({ feature: 'hint:best', weight: round3(Math.max(0, -z) + 10), detail: 'asked for the best model (@best)' });
    score = 1;
  }
  return { score: round3(score), reasons };
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
 * Which ask categories the text hits. One pass over words (letters, digits and hyphens; "what does"
 * and "what is" are joined so they can be matched as stems); no backtracking regex.
 */
function askCategories(text: string): boolean[] {
  const hits = new Array<boolean>(ASKS.length).fill(false);
  const lower = text.toLowerCase();
  let start = -1;
  let prev = '';
  for (let i = 0; i <= lower.length; i++) {
    const ch = i < lower.length ? lower.charCodeAt(i) : 32;
    const wordChar = (ch >= 97 && ch <= 122) || (ch >= 48 && ch <= 57) || ch === 45 || ch === 95;
    if (wordChar) {
      if (start < 0) start = i;
      continue;
    }
    if (start < 0) continue;
    const word = lower.slice(start, i);
    start = -1;
    matchWord(word, hits);
    if (prev === 'what' && (word === 'does' || word === 'is')) matchWord(`what-${word}`, hits);
    prev = word;
  }
  return hits;
}

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
    if (whole ? word === stem || word === stem + 's' : word.startsWith(stem)) hits[cat] = true;
  }
}

interface Complexity {
  lines: number;
  maxDepth: number;
  branches: number;
  identifiers: number;
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
  const names = new Set<string>();
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
      let j = i + 1;
      while (j < n && isIdentPart(code.charCodeAt(j))) j++;
      const word = code.slice(i, j);
      if (BRANCH_WORDS.has(word)) branches++;
      else if (!KEYWORDS.has(word) && names.size < 10_000) names.add(word);
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
