// The difficulty estimator's data sets, split once into train and held-out, for
// scripts/calibrate-difficulty.ts (fits on train only) and bench/routing-quality.ts (reports held-out).
//
// Committed, written by us: scripts/data/editor-prompts.jsonl (train), scripts/data/request-shapes.jsonl
// (short function tasks vs long open-ended requests, train and held-out), scripts/data/contest-heldout.jsonl
// (contest problems, held-out only). Public, read from outside the repo when present (never committed):
// LeetCode statements (../shared/datasets, 20 % held out by a hash of the id), MBPP (train) and
// HumanEval (held-out) under /work/.cache-data/difficulty or $GEARBOX_DIFFICULTY_DATA.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import type { TaskKind } from '../shared/protocol';

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
  task: TaskKind;
  label: Label;
  prompt: string;
  split: 'train' | 'heldout';
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
      task: r.task as TaskKind,
      label: LABELS[r.label as string]!,
      prompt: r.prompt as string,
      split: 'train',
    });
  for (const r of jsonl(data('request-shapes.jsonl')))
    items.push({
      domain: r.kind === 'function' ? 'function' : 'open-request',
      source: 'request-shapes',
      task: 'chat',
      label: LABELS[r.label as string]!,
      prompt: r.prompt as string,
      split: r.split as Item['split'],
    });
  for (const r of jsonl(data('contest-heldout.jsonl')))
    items.push({
      domain: 'contest',
      source: 'contest-heldout',
      task: 'chat',
      label: LABELS[r.label as string]!,
      prompt: r.prompt as string,
      split: 'heldout',
    });

  if (fs.existsSync(LEETCODE_FILE)) {
    const text = zlib.gunzipSync(fs.readFileSync(LEETCODE_FILE)).toString('utf8');
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      const r = JSON.parse(line) as { id: string; difficulty: string; statement: string };
      const label = LABELS[r.difficulty];
      if (label === undefined) continue;
      const split = heldOutById(r.id, 20) ? 'heldout' : 'train';
      items.push({ domain: 'leetcode', source: 'leetcode', task: 'chat', label, prompt: r.statement, split });
    }
  } else missing.push(`LeetCode statements (${LEETCODE_FILE})`);

  const mbpp = path.join(PUBLIC_DIR, 'mbpp.jsonl');
  if (fs.existsSync(mbpp))
    for (const r of jsonl(mbpp))
      items.push({
        domain: 'function',
        source: 'mbpp',
        task: 'chat',
        label: 0,
        prompt: r.text as string,
        split: 'train',
      });
  else missing.push(`MBPP (${mbpp})`);

  const humaneval = path.join(PUBLIC_DIR, 'HumanEval.jsonl.gz');
  if (fs.existsSync(humaneval)) {
    const text = zlib.gunzipSync(fs.readFileSync(humaneval)).toString('utf8');
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      const r = JSON.parse(line) as { prompt: string };
      items.push({
        domain: 'function',
        source: 'humaneval',
        task: 'chat',
        label: 0,
        prompt: r.prompt,
        split: 'heldout',
      });
    }
  } else missing.push(`HumanEval (${humaneval})`);
  return { items, missing };
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
