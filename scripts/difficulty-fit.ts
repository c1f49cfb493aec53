// The difficulty estimator's fit, as functions the calibration script and experiments share:
// a sign-constrained logistic regression over extractFeatures() (daemon/routing/difficulty.ts) and
// a learned vocabulary (scripts/difficulty-vocabulary.ts), with soft labels (easy 0, medium 0.5,
// hard 1), standardised columns, L2, projected Adam, and stratified k-fold cross-validation that
// selects the vocabulary inside each fold. Pure: same rows, same model.
//
// Vocabulary columns are 0/1 and sparse (a request uses a handful of a few hundred words), so they
// are kept as index lists and centred implicitly. They are not scaled to unit variance: their L2
// penalty acts on the raw weight, so a word seen in few statements cannot earn a large weight from
// them (a rare story word like "walk" would otherwise weigh a whole logit).
import { extractFeatures, FEATURES } from '../daemon/routing/difficulty';
import { scanRequest } from '../daemon/routing/request-scan';
import type { TaskKind } from '../shared/protocol';
import { auc, type Domain, type Item, type Label } from './difficulty-data';

// The L2 strengths and LeetCode's weight were chosen by 5-fold CV AUC Hard vs Easy on the shared
// file's train split (scripts/calibrate-difficulty.ts prints it): LAMBDA among 0.02 to 0.2 (0.05 as
// good as any), TERM_LAMBDA among 0.0005 to 0.01, LEETCODE_WEIGHT among 1 to 6.
export const LAMBDA = 0.05;
/** L2 on the vocabulary's raw weights (per unit of the family-balanced mean loss). */
export const TERM_LAMBDA = 0.001;
/**
 * LeetCode weighs this many data sets: it is the one set whose labels grade the same kind of text
 * from easy to hard. The others are one label each (MBPP and our stubs all easy) or small, and at
 * equal weight they pull the text weights toward telling data sets apart, not difficulty within one.
 */
export const LEETCODE_WEIGHT = 3;
const ITERS = 1500;
export const SEED = 20240611;

export interface Row {
  domain: Domain;
  source: string;
  family: string;
  task: TaskKind;
  label: Label;
  /** FEATURES vector. */
  x: Float64Array;
  /** Distinct words of the request's prose (what the vocabulary is matched against). */
  words: string[];
}

/** Learned vocabulary: words and the sign each weight is held to. */
export interface Vocabulary {
  words: string[];
  signs: (1 | -1)[];
}

const NO_TERMS = new Map<string, number>();

export function toRow(it: Item): Row {
  const words = new Set<string>();
  if (it.task !== 'completion') scanRequest(it.prompt, undefined, words);
  return {
    domain: it.domain,
    source: it.source,
    family: it.family,
    task: it.task,
    label: it.label,
    x: extractFeatures({ task: it.task, prompt: it.prompt }, NO_TERMS).x,
    words: [...words],
  };
}

// ---------- model ----------

const FITTED = FEATURES.map((f, i) => ({ ...f, i })).filter((f) => f.source === 'fitted');
const F = FITTED.length;

export interface Model {
  /** Raw-scale weights per fitted feature name. */
  weights: Record<string, number>;
  /** Raw-scale weight per vocabulary word. */
  terms: Record<string, number>;
  intercept: { chat: number; refactor: number };
}

function termHits(r: Row, index: ReadonlyMap<string, number>): number[] {
  const out: number[] = [];
  for (const w of r.words) {
    const t = index.get(w);
    if (t !== undefined) out.push(t);
  }
  return out;
}

export function fit(rows: Row[], vocab: Vocabulary, lambda = LAMBDA): Model {
  const N = rows.length;
  const V = vocab.words.length;
  const index = new Map(vocab.words.map((w, i) => [w, i]));
  const hits = rows.map((r) => termHits(r, index));
  const y = rows.map((r) => r.label / 2);
  const ref = rows.map((r) => (r.task === 'refactor' ? 1 : 0));
  // Each data set weighs the same in total (LeetCode LEETCODE_WEIGHT times that), so 185 editor
  // prompts are not drowned by 3k problems.
  const perFamily = new Map<string, number>();
  for (const r of rows) perFamily.set(r.family, (perFamily.get(r.family) ?? 0) + 1);
  const sw = rows.map(
    (r) => ((r.family === 'leetcode' ? LEETCODE_WEIGHT : 1) / perFamily.size) * (1 / perFamily.get(r.family)!),
  );

  // Standardise: dense columns explicitly, vocabulary columns through their means and sds.
  const mu = new Float64Array(F + V);
  const sd = new Float64Array(F + V).fill(1);
  const Z = rows.map((r) => Float64Array.from(FITTED, (f) => r.x[f.i]!));
  for (let j = 0; j < F; j++) {
    let s = 0;
    let s2 = 0;
    for (const z of Z) {
      s += z[j]!;
      s2 += z[j]! * z[j]!;
    }
    mu[j] = s / N;
    sd[j] = Math.sqrt(Math.max(1e-12, s2 / N - mu[j]! * mu[j]!));
    if (sd[j]! < 1e-6) sd[j] = 1;
  }
  for (const z of Z) for (let j = 0; j < F; j++) z[j] = (z[j]! - mu[j]!) / sd[j]!;
  for (const h of hits) for (const t of h) mu[F + t]! += 1 / N;
  const sign = Float64Array.from([...FITTED.map((f) => f.sign), ...vocab.signs]);

  // Parameters: F + V feature weights, then the intercept and the refactor offset (free, no L2).
  const P = F + V + 2;
  const w = new Float64Array(P);
  const m = new Float64Array(P);
  const v = new Float64Array(P);
  const g = new Float64Array(P);
  const lr = 0.05;
  const b1 = 0.9;
  const b2 = 0.999;
  for (let it = 1; it <= ITERS; it++) {
    g.fill(0);
    // The vocabulary's centring is one constant: Σ_t w_t·mu_t/sd_t.
    let centre = 0;
    for (let t = 0; t < V; t++) centre += (w[F + t]! * mu[F + t]!) / sd[F + t]!;
    let eSum = 0;
    for (let n = 0; n < N; n++) {
      const z = Z[n]!;
      let s = w[P - 2]! + w[P - 1]! * ref[n]! - centre;
      for (let j = 0; j < F; j++) s += w[j]! * z[j]!;
      for (const t of hits[n]!) s += w[F + t]! / sd[F + t]!;
      const e = (1 / (1 + Math.exp(-s)) - y[n]!) * sw[n]!;
      eSum += e;
      for (let j = 0; j < F; j++) g[j]! += e * z[j]!;
      for (const t of hits[n]!) g[F + t]! += e / sd[F + t]!;
      g[P - 1]! += e * ref[n]!;
    }
    g[P - 2] = eSum;
    for (let t = 0; t < V; t++) g[F + t]! -= (eSum * mu[F + t]!) / sd[F + t]!;
    for (let j = 0; j < F; j++) g[j]! += lambda * w[j]!;
    for (let j = F; j < F + V; j++) g[j]! += TERM_LAMBDA * w[j]!;
    for (let j = 0; j < P; j++) {
      m[j] = b1 * m[j]! + (1 - b1) * g[j]!;
      v[j] = b2 * v[j]! + (1 - b2) * g[j]! * g[j]!;
      w[j]! -= (lr * (m[j]! / (1 - b1 ** it))) / (Math.sqrt(v[j]! / (1 - b2 ** it)) + 1e-8);
      if (j < F + V) w[j] = sign[j]! > 0 ? Math.max(0, w[j]!) : Math.min(0, w[j]!);
    }
  }
  // Back to raw scale: w_raw = w / sd, the intercept absorbs the means. Signs are unchanged (sd > 0).
  const weights: Record<string, number> = {};
  const terms: Record<string, number> = {};
  let shift = 0;
  for (let j = 0; j < F + V; j++) {
    const raw = w[j]! / sd[j]!;
    shift += raw * mu[j]!;
    if (j < F) weights[FITTED[j]!.name] = raw;
    else terms[vocab.words[j - F]!] = raw;
  }
  const chat = w[P - 2]! - shift;
  return { weights, terms, intercept: { chat, refactor: chat + w[P - 1]! } };
}

/** The model's logit for a row, as the router computes it (no term of the row's source). */
export function logit(model: Model, r: Row): number {
  let s = r.task === 'refactor' ? model.intercept.refactor : model.intercept.chat;
  for (const f of FITTED) s += model.weights[f.name]! * r.x[f.i]!;
  for (const w of r.words) s += model.terms[w] ?? 0;
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

export interface CvResult {
  folds: number[];
  mean: number;
  sd: number;
  pooled: number;
}

/**
 * k-fold CV of Hard vs Easy on `target`; `other` is always in the training set, and the vocabulary
 * is selected from each fold's training rows only. Returns per-fold and pooled AUC.
 */
export function crossValidate(target: Row[], other: Row[], k: number, select: (train: Row[]) => Vocabulary): CvResult {
  const f = folds(target, k, SEED);
  const perFold: number[] = [];
  const pooledPos: number[] = [];
  const pooledNeg: number[] = [];
  for (let fi = 0; fi < k; fi++) {
    const train = [...other, ...target.filter((_, i) => f[i] !== fi)];
    const model = fit(train, select(train));
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

export function counts(rows: Row[]): { n: number; easy: number; medium: number; hard: number } {
  return {
    n: rows.length,
    easy: rows.filter((r) => r.label === 0).length,
    medium: rows.filter((r) => r.label === 1).length,
    hard: rows.filter((r) => r.label === 2).length,
  };
}

export function r4(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
