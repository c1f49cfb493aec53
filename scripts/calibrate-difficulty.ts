// Fits the difficulty estimator's text weights and its mapping onto the capability scale, and
// writes daemon/routing/weights.json.
//
//   npm run calibrate:difficulty      (npm run calibrate runs the capability fit first)
//
// Data (scripts/difficulty-data.ts): train splits only — LeetCode (80 % by id; outside the repo),
// our editor prompts, our short function tasks vs long open-ended requests, MBPP (outside the repo,
// when present). Held-out splits are never fitted on; bench/routing-quality.ts reports them, and this
// script prints them once at the end for the record.
// Features: extractFeatures() from daemon/routing/difficulty.ts, the same code the router runs.
// Model: logistic regression for P(hard) with soft labels (easy 0, medium 0.5, hard 1), standardised
// features, L2, and sign constraints (projected gradient descent) so hard asks and size never lower
// the score. One scale for every source (no domain intercept): the router sees only the text.
// Then the score's logit is mapped onto the capability scale, b = intercept + slope·logit, by least
// squares over anchor groups (mean logit → published b): a 7B coder on short function tasks, GPT-4
// on LeetCode Easy/Medium/Hard, and our editor labels placed by judgement.
import fs from 'node:fs';
import path from 'node:path';
import capabilities from '../daemon/routing/capabilities.json' with { type: 'json' };
import { extractFeatures, FEATURES } from '../daemon/routing/difficulty';
import type { TaskKind } from '../shared/protocol';
import { fitLine } from './capability-fit';
import { auc, type Domain, type Item, type Label, loadAll, root } from './difficulty-data';

const OUT = path.join(root, 'daemon/routing/weights.json');
const K = 5;
const LAMBDA = 0.02;
const ITERS = 3000;
const SEED = 20240611;

interface Row {
  domain: Domain;
  source: string;
  task: TaskKind;
  label: Label;
  x: Float64Array; // FEATURES vector
}

const toRow = (it: Item): Row => ({
  domain: it.domain,
  source: it.source,
  task: it.task,
  label: it.label,
  x: extractFeatures({ task: it.task, prompt: it.prompt }).x,
});

// ---------- model ----------

const FITTED = FEATURES.map((f, i) => ({ ...f, i })).filter((f) => f.source === 'fitted');
// Design columns: fitted features, then free columns: intercept, (unused) leetcode domain, refactor task.
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
  // No domain column: the router cannot tell a contest problem from any other request, so neither may the fit.
  z[C_LEETCODE] = 0;
  z[C_REFACTOR] = r.task === 'refactor' ? 1 : 0;
  return z;
}

function fit(rows: Row[]): Model {
  const X = rows.map(design);
  const y = rows.map((r) => r.label / 2);
  // Each source weighs the same in total, so 185 editor prompts are not drowned by 1.5k problems.
  const perSource = new Map<string, number>();
  for (const r of rows) perSource.set(r.source, (perSource.get(r.source) ?? 0) + 1);
  const sw = rows.map((r) => 1 / perSource.size / perSource.get(r.source)!);
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

/** Published anchors on the capability scale (θ from capabilities.json). */
interface Anchor {
  name: string;
  rows: Row[];
  /** Capability θ of the model the rate was published for, and its pass rate on this group. */
  theta: number;
  passRate: number;
  source: string;
}

const logitOf = (p: number) => Math.log(p / (1 - p));
const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

function main(): void {
  const { items, missing } = loadAll();
  for (const m of missing) console.log(`absent (skipped): ${m}`);
  const train = items.filter((i) => i.split === 'train').map(toRow);
  const heldout = items.filter((i) => i.split === 'heldout').map(toRow);
  const bySource = (rows: Row[]) => {
    const out: Record<string, ReturnType<typeof counts>> = {};
    for (const src of new Set(rows.map((r) => r.source))) out[src] = counts(rows.filter((r) => r.source === src));
    return out;
  };
  console.log(`train: ${JSON.stringify(bySource(train))}`);
  console.log(`held-out (never fitted on): ${JSON.stringify(bySource(heldout))}`);

  const leet = train.filter((r) => r.domain === 'leetcode');
  const rest = train.filter((r) => r.domain !== 'leetcode');
  const editor = train.filter((r) => r.domain === 'editor');
  const cvLeet = leet.length ? crossValidate(leet, rest, K) : undefined;
  if (cvLeet) console.log(`LeetCode train, Hard vs Easy, ${K}-fold CV AUC: ${cvLeet.mean} ± ${cvLeet.sd}`);
  const cvEditor = crossValidate(editor, [...leet, ...rest.filter((r) => r.domain !== 'editor')], K);
  console.log(`editor prompts, hard vs easy, ${K}-fold CV AUC: ${cvEditor.mean} ± ${cvEditor.sd}`);

  const model = fit(train);
  // The runtime has no domain term: score every row the way the router will.
  const runtimeLogit = (r: Row) => logit(model, { ...r, domain: 'editor' });

  // Anchors: Qwen2.5-Coder-7B-Instruct solves ~86 % of short function tasks (HumanEval 88.4,
  // MBPP 83.5, Qwen2.5-Coder technical report); GPT-4 solved 31/41 Easy, 21/80 Medium and 3/45
  // Hard fresh LeetCode problems (GPT-4 technical report).
  const caps = capabilities as unknown as {
    families: Record<string, { ladder: [number, number][] }>;
    published: Record<string, { theta: number }>;
  };
  const theta7b = caps.families['qwen2.5-coder']!.ladder.find(([p]) => p === 7)![1];
  const thetaGpt4 = caps.published['gpt-4-0314']!.theta;
  const fnRows = train.filter((r) => r.domain === 'function');
  // Our own editor labels are placed by judgement, not measurement: easy (rename, document) as hard as
  // a short function task, medium as a LeetCode Medium, hard as a LeetCode Hard.
  const ed = (label: Label) => editor.filter((r) => r.label === label);
  const anchors: Anchor[] = [
    { name: 'function tasks', rows: fnRows, theta: theta7b, passRate: 0.86, source: 'Qwen2.5-Coder-7B-Instruct' },
    { name: 'editor easy', rows: ed(0), theta: theta7b, passRate: 0.86, source: 'our label ≈ function task' },
    { name: 'editor medium', rows: ed(1), theta: thetaGpt4, passRate: 21 / 80, source: 'our label ≈ LeetCode Medium' },
    { name: 'editor hard', rows: ed(2), theta: thetaGpt4, passRate: 3 / 45, source: 'our label ≈ LeetCode Hard' },
    ...(leet.length
      ? ([0, 1, 2] as const).map((label) => ({
          name: `LeetCode ${['Easy', 'Medium', 'Hard'][label]}`,
          rows: leet.filter((r) => r.label === label),
          theta: thetaGpt4,
          passRate: [31 / 41, 21 / 80, 3 / 45][label]!,
          source: 'GPT-4 (0314)',
        }))
      : []),
  ];
  const anchorPoints = anchors.map((a) => {
    const z = a.rows.reduce((s, r) => s + runtimeLogit(r), 0) / a.rows.length;
    return { name: a.name, meanLogit: z, b: a.theta - logitOf(a.passRate), n: a.rows.length, source: a.source };
  });
  // One point per anchor group (its mean logit, its published b), least squares over the groups.
  const fittedLine = fitLine(
    anchorPoints.map((p) => p.meanLogit),
    anchorPoints.map((p) => p.b),
  );
  const fittedSlope = fittedLine.b;
  // A flat or inverted map would make harder-looking requests look easier: keep it increasing.
  const slope = Math.max(0.2, fittedSlope);
  const mx = anchorPoints.reduce((t, p) => t + p.meanLogit, 0) / anchorPoints.length;
  const my = anchorPoints.reduce((t, p) => t + p.b, 0) / anchorPoints.length;
  const line = { a: my - slope * mx };
  // Beyond the anchors a logit says little about b (our editor prompts are separable, so their logits
  // run far past any published anchor): b stays between 1.5 below the easiest anchor and the hardest.
  const bs = anchorPoints.map((p) => p.b);
  const thetaMap = {
    intercept: r4(line.a),
    slope: r4(slope),
    min: r4(Math.min(...bs) - 1.5),
    max: r4(Math.max(...bs)),
  };
  for (const p of anchorPoints)
    console.log(
      `  anchor ${p.name.padEnd(16)} n=${p.n} mean logit ${p.meanLogit.toFixed(2)} → b ${p.b.toFixed(2)}` +
        ` (${p.source}); mapped ${(line.a + slope * p.meanLogit).toFixed(2)}`,
    );
  console.log(`  b = ${thetaMap.intercept} + ${thetaMap.slope}·logit(score)`);

  // Held-out, reported once here (bench/routing-quality.ts is the place that tracks them).
  const heldAuc = (pos: Row[], neg: Row[]) => r4(auc(pos.map(runtimeLogit), neg.map(runtimeLogit)));
  const hd = (d: Domain, l?: Label) => heldout.filter((r) => r.domain === d && (l === undefined || r.label === l));
  const heldoutMetrics = {
    contestHardVsEasy: heldAuc(hd('contest', 2), hd('contest', 0)),
    leetcodeHardVsEasy: leet.length ? heldAuc(hd('leetcode', 2), hd('leetcode', 0)) : null,
    functionVsOpenRequest: heldAuc(
      hd('open-request'),
      hd('function').filter((r) => r.source === 'request-shapes'),
    ),
    humanevalVsOpenRequest: hd('function').some((r) => r.source === 'humaneval')
      ? heldAuc(
          hd('open-request'),
          hd('function').filter((r) => r.source === 'humaneval'),
        )
      : null,
  };
  console.log(`held-out AUCs: ${JSON.stringify(heldoutMetrics)}`);

  const out = {
    description:
      'Difficulty estimator weights (daemon/routing/difficulty.ts). ' +
      'Written by scripts/calibrate-difficulty.ts; do not edit by hand.',
    model:
      'logistic regression for P(hard), soft labels (easy 0, medium 0.5, hard 1), standardised features, L2, ' +
      'sign-constrained (projected Adam); raw-scale weights below; theta maps the logit to b on the capability scale',
    createdAt: new Date().toISOString().slice(0, 10),
    k: K,
    lambda: LAMBDA,
    datasets: { train: bySource(train), heldout: bySource(heldout), absent: missing },
    metrics: {
      leetcodeCvAucHardVsEasy: cvLeet ?? null,
      editorCvAucHardVsEasy: cvEditor,
      heldout: heldoutMetrics,
    },
    theta: thetaMap,
    thetaAnchors: anchorPoints.map((p) => ({ ...p, meanLogit: r4(p.meanLogit), b: r4(p.b) })),
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
  void sigmoid;
}

main();
