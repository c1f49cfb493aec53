// The difficulty estimator's data sets, split once into train and held-out, for
// scripts/calibrate-difficulty.ts (fits on train only) and bench/routing-quality.ts (reports held-out).
//
// Committed, written by us: scripts/data/editor-prompts.jsonl (train), scripts/data/request-shapes.jsonl
// (short function tasks vs long open-ended requests, train and held-out), scripts/data/function-stubs.jsonl
// (code-shaped function tasks, train and dev), scripts/data/contest-heldout.jsonl (contest problems,
// held-out only). Public, read from outside the repo when present (never committed): LeetCode
// statements (../shared/datasets, 20 % held out by a hash of the id), MBPP (train, as its one-sentence
// text and again as code-shaped prompts, scripts/code-shaped.ts), LeetCodeDataset's other releases and
// doocs/leetcode's problems (train: only problems the shared file does not hold, so none of its
// held-out 20 %), and HumanEval (held-out), under /work/.cache-data/difficulty or
// $GEARBOX_DIFFICULTY_DATA.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import type { TaskKind } from '../shared/protocol';
import { CODE_SHAPES, codeShapedPrompt, docSentence } from './code-shaped';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** The given shared/ folder: beside the checkout (CI, /work/main) or two up (a worktree under /work/wt). */
export function sharedPath(rel: string): string {
  const near = path.resolve(root, '../shared', rel);
  return fs.existsSync(near) ? near : path.resolve(root, '../../shared', rel);
}
export const LEETCODE_FILE = process.env.GEARBOX_LEETCODE ?? sharedPath('datasets/leetcode-difficulty-train.jsonl.gz');
export const PUBLIC_DIR = process.env.GEARBOX_DIFFICULTY_DATA ?? '/work/.cache-data/difficulty';

/** 0 easy, 1 medium, 2 hard. */
export type Label = 0 | 1 | 2;
export type Domain = 'leetcode' | 'editor' | 'function' | 'open-request' | 'contest';

export interface Item {
  domain: Domain;
  /** Where it came from, for reports. */
  source: string;
  /**
   * The data set it belongs to, for weighting: a public set and the rows derived from it (LeetCode
   * from three releases, MBPP as text and as code) weigh as one.
   */
  family: string;
  task: TaskKind;
  label: Label;
  prompt: string;
  /**
   * 'dev': never fitted, compared between variants while developing; 'anchor': places the map onto
   * the capability scale (a published pass rate on exactly these tasks), never fits the text weights;
   * 'heldout': checked only at the end.
   */
  split: 'train' | 'dev' | 'anchor' | 'heldout';
}

export interface Loaded {
  items: Item[];
  /** Public sets that were not found, with where they were looked for. */
  missing: string[];
}

const LABELS: Record<string, Label> = { easy: 0, medium: 1, hard: 2, Easy: 0, Medium: 1, Hard: 2 };

function jsonl(file: string): Record<string, unknown>[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

function gzJsonl(file: string): unknown[] {
  return zlib
    .gunzipSync(fs.readFileSync(file))
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as unknown);
}

/** A statement's first words, normalised: the same problem under another id is still the same problem. */
function opening(statement: string): string {
  return statement
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .trim()
    .slice(0, 120);
}

/**
 * The shared file's statements as word sets: a problem whose words overlap one of them by more than
 * 80 % (Jaccard) is that problem reworded or renamed, and must not reach the training data.
 */
class WordSets {
  private sets: Set<string>[] = [];
  private byWord = new Map<string, number[]>();
  add(text: string): void {
    const words = wordSet(text);
    const i = this.sets.push(words) - 1;
    for (const w of words) {
      const list = this.byWord.get(w);
      if (list) list.push(i);
      else this.byWord.set(w, [i]);
    }
  }
  nearDuplicate(text: string): boolean {
    const words = wordSet(text);
    const shared = new Map<number, number>();
    for (const w of words) for (const i of this.byWord.get(w) ?? []) shared.set(i, (shared.get(i) ?? 0) + 1);
    for (const [i, n] of shared) if (n / (words.size + this.sets[i]!.size - n) > 0.8) return true;
    return false;
  }
}

function wordSet(statement: string): Set<string> {
  return new Set(
    statement
      .split('Please complete the following')[0]!
      .toLowerCase()
      .match(/[a-z]+/g) ?? [],
  );
}

/** A row of newfacade/LeetCodeDataset (its releases differ in where difficulty and the text live). */
interface LeetCodeDatasetRow {
  task_id: string;
  difficulty?: string;
  meta?: { difficulty?: string };
  query?: string;
  problem_description?: string;
  starter_code?: string;
}

const COMPLETE = '\u00a0\nPlease complete the following python code precisely:\n```python\n';

/**
 * The shared file's shape: the description without its examples and constraints, then the starter
 * code. Later releases carry the full description and a longer query; they are cut to that shape.
 */
function leetcodeStatement(r: LeetCodeDatasetRow): string | undefined {
  if (r.query?.includes('Please complete the following python code precisely')) return r.query;
  let description = r.problem_description;
  let starter = r.starter_code;
  if (!description && r.query) {
    const q = /### Question:\n([\s\S]*?)\n### Format:[\s\S]*?```python\n([\s\S]*?)```/.exec(r.query);
    if (!q) return undefined;
    description = q[1];
    starter = q[2];
  }
  if (!description || !starter) return undefined;
  const cut = description.search(/\n\s*Example 1:|\n\s*Constraints:/);
  const text = (cut >= 0 ? description.slice(0, cut) : description).trimEnd();
  return `${text}\n${COMPLETE}${starter.trimEnd()}\n\`\`\``;
}

/** FNV-1a of the id: a split that never changes when the file is reordered or grows. */
function heldOutById(id: string, percent: number): boolean {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return (h >>> 0) % 100 < percent;
}

export function loadAll(): Loaded {
  const items: Item[] = [];
  const missing: string[] = [];
  const data = (f: string) => path.join(root, 'scripts/data', f);

  for (const r of jsonl(data('editor-prompts.jsonl')))
    items.push({
      domain: 'editor',
      source: 'editor-prompts',
      family: 'editor-prompts',
      task: r.task as TaskKind,
      label: LABELS[r.label as string]!,
      prompt: r.prompt as string,
      split: 'train',
    });
  for (const r of jsonl(data('request-shapes.jsonl')))
    items.push({
      domain: r.kind === 'function' ? 'function' : 'open-request',
      source: 'request-shapes',
      family: 'request-shapes',
      task: 'chat',
      label: LABELS[r.label as string]!,
      prompt: r.prompt as string,
      split: r.split as Item['split'],
    });
  // Function stubs as editors and benchmarks write them (signature, docstring or doc comment,
  // examples), in several languages; written by us, not taken from any benchmark.
  for (const r of jsonl(data('function-stubs.jsonl')))
    items.push({
      domain: 'function',
      source: 'function-stubs',
      family: 'function-stubs',
      task: 'chat',
      label: LABELS[r.label as string]!,
      prompt: r.prompt as string,
      split: r.split as Item['split'],
    });
  for (const r of jsonl(data('contest-heldout.jsonl')))
    items.push({
      domain: 'contest',
      source: 'contest-heldout',
      family: 'contest-heldout',
      task: 'chat',
      label: LABELS[r.label as string]!,
      prompt: r.prompt as string,
      split: 'heldout',
    });

  const sharedIds = new Set<string>();
  const sharedOpenings = new Set<string>();
  const sharedWords = new WordSets();
  if (fs.existsSync(LEETCODE_FILE)) {
    for (const r of gzJsonl(LEETCODE_FILE) as { id: string; difficulty: string; statement: string }[]) {
      sharedIds.add(r.id);
      sharedOpenings.add(opening(r.statement));
      sharedWords.add(r.statement);
      const label = LABELS[r.difficulty];
      if (label === undefined) continue;
      const split = heldOutById(r.id, 20) ? 'heldout' : 'train';
      items.push({
        domain: 'leetcode',
        source: 'leetcode',
        family: 'leetcode',
        task: 'chat',
        label,
        prompt: r.statement,
        split,
      });
    }
  } else missing.push(`LeetCode statements (${LEETCODE_FILE})`);

  // Other LeetCode problems, train only: LeetCodeDataset's other releases, then doocs/leetcode's
  // (scripts/prepare-leetcode-doocs.ts), each problem once, none the shared file holds (by id or by
  // its opening words). Without the shared file there is no telling which problems its held-out
  // split holds, so these are skipped too.
  const extra = (source: string, id: string, label: Label | undefined, prompt: string | undefined) => {
    if (!prompt || label === undefined || seen.has(id)) return;
    seen.add(id);
    if (sharedIds.has(id) || sharedOpenings.has(opening(prompt)) || sharedWords.nearDuplicate(prompt)) return;
    items.push({ domain: 'leetcode', source, family: 'leetcode', task: 'chat', label, prompt, split: 'train' });
  };
  const seen = new Set<string>();
  const lcd = path.join(PUBLIC_DIR, 'lcd');
  if (fs.existsSync(lcd) && sharedIds.size) {
    for (const f of fs.readdirSync(lcd).sort()) {
      if (!f.endsWith('.jsonl.gz')) continue;
      for (const r of gzJsonl(path.join(lcd, f)) as LeetCodeDatasetRow[]) {
        // Two releases spell Medium "Meidum".
        const label = { ...LABELS, Meidum: 1 as const }[r.difficulty ?? r.meta?.difficulty ?? ''];
        extra('leetcode-extra', r.task_id, label, leetcodeStatement(r));
      }
    }
  } else missing.push(`LeetCodeDataset releases (${lcd})`);
  const doocs = path.join(PUBLIC_DIR, 'doocs-leetcode.jsonl');
  if (fs.existsSync(doocs) && sharedIds.size)
    for (const r of jsonl(doocs))
      extra('leetcode-doocs', r.id as string, LABELS[r.difficulty as string], r.statement as string);
  else missing.push(`doocs/leetcode statements (${doocs})`);

  const mbpp = path.join(PUBLIC_DIR, 'mbpp.jsonl');
  if (fs.existsSync(mbpp))
    for (const r of jsonl(mbpp)) {
      items.push({
        domain: 'function',
        source: 'mbpp',
        family: 'mbpp',
        task: 'chat',
        label: 0,
        prompt: r.text as string,
        split: 'train',
      });
      const id = Number(r.task_id);
      const shaped = codeShapedPrompt(
        { text: r.text as string, code: r.code as string, tests: r.test_list as string[] },
        CODE_SHAPES[id % CODE_SHAPES.length]!,
        1 + (id % 3),
      );
      if (shaped)
        items.push({
          domain: 'function',
          source: 'mbpp-code',
          family: 'mbpp',
          task: 'chat',
          label: 0,
          prompt: shaped,
          split: 'train',
        });
    }
  else missing.push(`MBPP (${mbpp})`);

  // Dev sets (never fitted, compared between estimator variants; HumanEval stays held out):
  // ODEX's English tasks (zorazrw/odex data/en_test.jsonl: one-line StackOverflow intents with a
  // signature and tests), as a chat sentence and as a stub; Exercism's Python practice exercises
  // (exercism/python, scripts/prepare-exercism.ts: instructions and the starter stub), which is what
  // Aider's edit benchmark runs.
  const odex = path.join(PUBLIC_DIR, 'odex-en.jsonl');
  if (fs.existsSync(odex))
    for (const r of jsonl(odex)) {
      const intent = String(r.intent).trim();
      const id = Number(r.task_id);
      const dev = (source: string, prompt: string) =>
        items.push({ domain: 'function', source, family: 'odex', task: 'chat', label: 0, prompt, split: 'dev' });
      dev('odex', `Write a Python function to ${intent.replace(/\.$/, '')}.`);
      dev('odex-code', odexStub(r.prompt as string, intent, r.test as string[], id));
    }
  else missing.push(`ODEX (${odex})`);
  const exercism = path.join(PUBLIC_DIR, 'exercism-python.jsonl');
  if (fs.existsSync(exercism))
    for (const r of jsonl(exercism))
      items.push({
        domain: 'function',
        source: 'exercism',
        family: 'exercism',
        task: 'chat',
        // Exercism's own scale: 1-3 easy, 4-7 medium, 8-10 hard.
        label: Number(r.difficulty) <= 3 ? 0 : Number(r.difficulty) <= 7 ? 1 : 2,
        prompt: `${String(r.instructions).trim()}\n\n\`\`\`python\n${String(r.stub).trim()}\n\`\`\`\n`,
        split: 'anchor',
      });
  else missing.push(`Exercism Python (${exercism})`);

  const humaneval = path.join(PUBLIC_DIR, 'HumanEval.jsonl.gz');
  if (fs.existsSync(humaneval)) {
    for (const r of gzJsonl(humaneval) as { prompt: string }[]) {
      items.push({
        domain: 'function',
        source: 'humaneval',
        family: 'humaneval',
        task: 'chat',
        label: 0,
        prompt: r.prompt,
        split: 'heldout',
      });
    }
  } else missing.push(`HumanEval (${humaneval})`);
  return { items, missing };
}

/**
 * An ODEX task as a stub: its `def f_<id>(args)` renamed after the intent's first words, the intent
 * as the docstring, and (in one of the code shapes, by id) its simple asserts as worked examples.
 */
function odexStub(prompt: string, intent: string, tests: string[], id: number): string {
  const words = intent
    .toLowerCase()
    .replace(/`[^`]*`|'[^']*'|"[^"]*"/g, ' ')
    .match(/[a-z]+/g)
    ?.filter((w) => !['a', 'an', 'the', 'in', 'of', 'to', 'and', 'by', 'with', 'from', 'on', 'for'].includes(w))
    .slice(0, 3) ?? ['solve'];
  const name = words.join('_') || 'solve';
  const params = /\(([^)]*)\)/.exec(prompt)?.[1] ?? '';
  const asserts = tests
    .map((t) => t.trim().replace(/\bcandidate\(/g, `${name}(`))
    .filter((t) => t.startsWith('assert'));
  const shaped = codeShapedPrompt(
    { text: intent, code: `def ${name}(${params}):\n    pass\n`, tests: asserts },
    CODE_SHAPES[id % CODE_SHAPES.length]!,
    1 + (id % 3),
  );
  return shaped ?? `def ${name}(${params}):\n    """${docSentence(intent)}"""\n`;
}

/** ROC AUC of positives vs negatives by ranks; ties count half. */
export function auc(pos: readonly number[], neg: readonly number[]): number {
  if (!pos.length || !neg.length) return Number.NaN;
  const all = [...pos.map((s) => ({ s, p: 1 })), ...neg.map((s) => ({ s, p: 0 }))].sort((a, b) => a.s - b.s);
  let rankSum = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j < all.length && all[j]!.s === all[i]!.s) j++;
    const avgRank = (i + 1 + j) / 2;
    for (let k = i; k < j; k++) if (all[k]!.p) rankSum += avgRank;
    i = j;
  }
  return (rankSum - (pos.length * (pos.length + 1)) / 2) / (pos.length * neg.length);
}
