// Fits the difficulty estimator's text weights and writes shared/router/weights.json.
//
//   node --import tsx scripts/calibrate-difficulty.ts [path/to/leetcode-difficulty-train.jsonl.gz]
//
// Data: LeetCode problems (Easy/Medium/Hard; read from outside the repo, never copied into it) and
// scripts/data/editor-prompts.jsonl (editor-shaped chat/refactor requests, labelled easy/medium/hard).
// Features: extractFeatures() from shared/router/difficulty.ts, the same code the router runs.
// Model: logistic regression for P(hard) with soft labels (easy 0, medium 0.5, hard 1), standardised
// features, L2, and sign constraints (projected gradient descent) so hard asks and size never lower
// the score. A LeetCode-only intercept absorbs the domain shift; the runtime uses the editor intercept.
// Reports 5-fold cross-validated ROC AUC (Hard vs Easy) on both sets.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { extractFeatures, FEATURES } from '../daemon/routing/difficulty';
import type { TaskKind } from '../shared/protocol';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LEETCODE = process.argv[2] ?? '/work/shared/datasets/leetcode-difficulty-train.jsonl.gz';
const EDITOR = path.join(root, 'scripts/data/editor-prompts.jsonl');
const OUT = path.join(root, 'daemon/routing/weights.json');
const K = 5;
const LAMBDA = 0.02;
const ITERS = 3000;
const SEED = 20240611;

type Label = 0 | 1 | 2; // easy, medium, hard
interface Row {
  domain: 'leetcode' | 'editor';
  task: TaskKind;
  label: Label;
  x: Float64Array; // FEATURES vector
}

// ---------- data ----------

function loadLeetcode(file: string): Row[] {
  const text = zlib.gunzipSync(fs.readFileSync(file)).toString('utf8');
  const map: Record<string, Label> = { Easy: 0, Medium: 1, Hard: 2 };
  const rows: Row[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as { difficulty: string; statement: string };
    const label = map[r.difficulty];
    if (label === undefined) continue;
    rows.push({ domain: 'leetcode', task: 'chat', label, x: extractFeatures({ task: 'chat', prompt: r.statement }).x });
  }
  return rows;
}

function loadEditor(file: string): Row[] {
  const map: Record<string, Label> = { easy: 0, medium: 1, hard: 2 };
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => {
      const r = JSON.parse(l) as { label: string; task: TaskKind; prompt: string };
      const label = map[r.label];
      if (label === undefined) throw new Error(`bad label in ${file}: ${l}`);
      return {
        domain: 'editor' as const,
        task: r.task,
        label,
        x: extractFeatures({ task: r.task, prompt: r.prompt }).x,
      };
    });
}

// ---------- model ----------

const FITTED = FEATURES.map((f, i) => ({ ...f, i })).filter((f) => f.source === 'fitted');
// Design columns: fitted features, then free columns: intercept, leetcode domain, refactor task.
const D = FITTED.length + 3;
const C_INTERCEPT = FITTED.length;
const C_LEETCODE = FITTED.length + 1;
const C_REFACTOR = FITTED.length + 2;

interface Model {
  /** Raw-scale weights per fitted feature name. */
  weights: Record<string, number>;
  intercept: { chat: number; refactor: number; leetcode: number };
}

function design(r: Row): Float64Array {
  const z = new Float64Array(D);
  FITTED.forEach((f, j) => (z[j] = r.x[f.i]!));
  z[C_INTERCEPT] = 1;
  z[C_LEETCODE] = r.domain === 'leetcode' ? 1 : 0;
  z[C_REFACTOR] = r.task === 'refactor' ? 1 : 0;
  return z;
}

function fit(rows: Row[]): Model {
  const X = rows.map(design);
  const y = rows.map((r) => r.label / 2);
  // Each domain weighs the same in total, so 185 editor prompts are not drowned by 1.5k problems.
  const nLeet = rows.filter((r) => r.domain === 'leetcode').length;
  const nEd = rows.length - nLeet;
  const sw = rows.map((r) => (r.domain === 'leetcode' ? 0.5 / Math.max(1, nLeet) : 0.5 / Math.max(1, nEd)));
  // Standardise the fitted columns.
  const mu = new Float64Array(D);
  const sd = new Float64Array(D).fill(1);
  for (let j = 0; j < FITTED.length; j++) {
    let s = 0;
    let s2 = 0;
    for (const z of X) {
      s += z[j]!;
      s2 += z[j]! * z[j]!;
    }
    mu[j] = s / X.length;
    sd[j] = Math.sqrt(Math.max(1e-12, s2 / X.length - mu[j]! * mu[j]!));
    if (sd[j]! < 1e-6) sd[j] = 1;
  }
  const Z = X.map((z) => z.map((v, j) => (j < FITTED.length ? (v - mu[j]!) / sd[j]! : v)));
  // Adam on the weighted soft-label cross-entropy + L2 (not on free columns), projected onto the signs.
  const w = new Float64Array(D);
  const m = new Float64Array(D);
  const v = new Float64Array(D);
  const lr = 0.05;
  const b1 = 0.9;
  const b2 = 0.999;
  const g = new Float64Array(D);
  for (let t = 1; t <= ITERS; t++) {
    g.fill(0);
    for (let n = 0; n < Z.length; n++) {
      const z = Z[n]!;
      let s = 0;
      for (let j = 0; j < D; j++) s += w[j]! * z[j]!;
      const p = 1 / (1 + Math.exp(-s));
      const e = (p - y[n]!) * sw[n]!;
      for (let j = 0; j < D; j++) g[j]! += e * z[j]!;
    }
    for (let j = 0; j < FITTED.length; j++) g[j]! += LAMBDA * w[j]!;
    for (let j = 0; j < D; j++) {
      m[j] = b1 * m[j]! + (1 - b1) * g[j]!;
      v[j] = b2 * v[j]! + (1 - b2) * g[j]! * g[j]!;
      w[j]! -= (lr * (m[j]! / (1 - b1 ** t))) / (Math.sqrt(v[j]! / (1 - b2 ** t)) + 1e-8);
      if (j < FITTED.length) w[j] = FITTED[j]!.sign > 0 ? Math.max(0, w[j]!) : Math.min(0, w[j]!);
    }
  }
  // Back to raw scale: w_raw = w / sd, intercept absorbs the means. Signs are unchanged (sd > 0).
  const weights: Record<string, number> = {};
  let shift = 0;
  FITTED.forEach((f, j) => {
    weights[f.name] = w[j]! / sd[j]!;
    shift += (w[j]! * mu[j]!) / sd[j]!;
  });
  const chat = w[C_INTERCEPT]! - shift;
  return { weights, intercept: { chat, refactor: chat + w[C_REFACTOR]!, leetcode: chat + w[C_LEETCODE]! } };
}

function logit(model: Model, r: Row): number {
  let s =
    r.domain === 'leetcode'
      ? model.intercept.leetcode
      : r.task === 'refactor'
        ? model.intercept.refactor
        : model.intercept.chat;
  for (const f of FITTED) s += model.weights[f.name]! * r.x[f.i]!;
  return s;
}

// ---------- evaluation ----------

/** ROC AUC of hard (positive) vs easy (negative) by ranks; ties count half. */
export function auc(pos: number[], neg: number[]): number {
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

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Stratified folds: each label spread evenly over k folds, in a seeded shuffled order. */
function folds(rows: Row[], k: number, seed: number): number[] {
  const rand = rng(seed);
  const fold = new Array<number>(rows.length);
  for (const label of [0, 1, 2]) {
    const idx = rows.map((r, i) => (r.label === label ? i : -1)).filter((i) => i >= 0);
    for (let i = idx.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [idx[i], idx[j]] = [idx[j]!, idx[i]!];
    }
    idx.forEach((i, n) => (fold[i] = n % k));
  }
  return fold;
}

/** k-fold CV on `target`; `other` is always in the training set. Returns per-fold and pooled AUC. */
function crossValidate(
  target: Row[],
  other: Row[],
  k: number,
): { folds: number[]; mean: number; sd: number; pooled: number } {
  const f = folds(target, k, SEED);
  const perFold: number[] = [];
  const pooledPos: number[] = [];
  const pooledNeg: number[] = [];
  for (let fi = 0; fi < k; fi++) {
    const train = [...other, ...target.filter((_, i) => f[i] !== fi)];
    const model = fit(train);
    const test = target.filter((_, i) => f[i] === fi);
    const pos = test.filter((r) => r.label === 2).map((r) => logit(model, r));
    const neg = test.filter((r) => r.label === 0).map((r) => logit(model, r));
    perFold.push(auc(pos, neg));
    pooledPos.push(...pos);
    pooledNeg.push(...neg);
  }
  const mean = perFold.reduce((a, b) => a + b, 0) / k;
  const sd = Math.sqrt(perFold.reduce((a, b) => a + (b - mean) ** 2, 0) / (k - 1));
  return { folds: perFold.map(r4), mean: r4(mean), sd: r4(sd), pooled: r4(auc(pooledPos, pooledNeg)) };
}

function counts(rows: Row[]): { n: number; easy: number; medium: number; hard: number } {
  return {
    n: rows.length,
    easy: rows.filter((r) => r.label === 0).length,
    medium: rows.filter((r) => r.label === 1).length,
    hard: rows.filter((r) => r.label === 2).length,
  };
}

function r4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}

// ---------- main ----------

function main(): void {
  const leet = loadLeetcode(LEETCODE);
  const editor = loadEditor(EDITOR);
  console.log(
    `leetcode: ${JSON.stringify(counts(leet))}; editor prompts: ${JSON.stringify(counts(editor))}; ` +
      `features: ${FITTED.length} fitted of ${FEATURES.length}`,
  );

  const cvLeet = crossValidate(leet, editor, K);
  console.log(
    `LeetCode Hard vs Easy, ${K}-fold CV ROC AUC: mean ${cvLeet.mean} ± ${cvLeet.sd} ` +
      `(folds ${cvLeet.folds.join(', ')}), pooled ${cvLeet.pooled}`,
  );
  const cvEditor = crossValidate(editor, leet, K);
  console.log(
    `editor prompts hard vs easy, ${K}-fold CV ROC AUC: mean ${cvEditor.mean} ± ${cvEditor.sd} ` +
      `(folds ${cvEditor.folds.join(', ')}), pooled ${cvEditor.pooled}`,
  );

  const model = fit([...leet, ...editor]);
  const inSample = (rows: Row[]) =>
    r4(
      auc(
        rows.filter((r) => r.label === 2).map((r) => logit(model, r)),
        rows.filter((r) => r.label === 0).map((r) => logit(model, r)),
      ),
    );
  const trainLeet = inSample(leet);
  const trainEditor = inSample(editor);
  console.log(`final model, in-sample AUC: leetcode ${trainLeet}, editor ${trainEditor}`);

  // How the final model spreads the editor prompts over the score (for the tier thresholds in route.ts).
  for (const label of [0, 1, 2]) {
    const s = editor
      .filter((r) => r.label === label)
      .map((r) => 1 / (1 + Math.exp(-logit(model, r))))
      .sort((a, b) => a - b);
    const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(2);
    console.log(`  editor ${['easy', 'medium', 'hard'][label]}: score p10 ${q(0.1)} p50 ${q(0.5)} p90 ${q(0.9)}`);
  }

  const out = {
    description:
      'Difficulty estimator weights (shared/router/difficulty.ts). ' +
      'Written by scripts/calibrate-difficulty.ts; do not edit by hand.',
    model:
      'logistic regression for P(hard), soft labels (easy 0, medium 0.5, hard 1), standardised features, L2, ' +
      'sign-constrained (projected Adam); raw-scale weights below',
    createdAt: new Date().toISOString().slice(0, 10),
    k: K,
    lambda: LAMBDA,
    datasets: {
      leetcode: { file: path.basename(LEETCODE), ...counts(leet) },
      editor: { file: 'scripts/data/editor-prompts.jsonl', ...counts(editor) },
    },
    metrics: {
      leetcodeCvAucHardVsEasy: cvLeet,
      editorCvAucHardVsEasy: cvEditor,
      inSampleAucHardVsEasy: { leetcode: trainLeet, editor: trainEditor },
    },
    intercept: {
      chat: r4(model.intercept.chat),
      refactor: r4(model.intercept.refactor),
      leetcodeDomain: r4(model.intercept.leetcode),
    },
    weights: Object.fromEntries(Object.entries(model.weights).map(([k, w]) => [k, r4(w)])),
  };
  fs.writeFileSync(OUT, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote ${path.relative(root, OUT)}`);
  console.log(JSON.stringify(out.weights));
}

main();
