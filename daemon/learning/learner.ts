// Per-user calibration of the router from feedback: a shift of each model's θ and a difficulty offset
// per task × language, on the same scale as P(success) = σ(θ − b). Pure: the state is plain data,
// the clock a parameter; learning-store.ts keeps it on disk.
//
// Why online Bayesian logistic regression and not a Beta-Bernoulli per model × difficulty bucket:
// - the router already says P = σ(θ − b); a shift of θ (or of b) is exactly what `theta(model,
//   adjustments)` and RouteInput.adjustments take, so what is learned is used as it is, with no
//   second model of success to reconcile with the first;
// - one θ per model explains every difficulty at once: a rejection at an easy request says more than
//   one at a hard request (the expected P was higher), and it moves the estimate at every difficulty.
//   Buckets would each start from nothing and need signals in each before helping, and one user
//   gives few signals (a few a day);
// - the prior is the published θ (capabilities.json) with its own uncertainty: a model measured on a
//   benchmark moves less per signal than one whose θ is a tier's guess.
// The update is assumed-density filtering (one Newton step of the Laplace approximation per signal,
// as in Glicko or adPredictor): each parameter is a Gaussian (shift, var); a signal y with weight w
// on z = θ − b moves each parameter by its variance × w(y − p̄) / (1 + w·p̄(1−p̄)·s²) and shrinks its
// variance, where s² is z's variance and p̄ the expected success with that uncertainty. The split
// between θ and the offset follows their variances: the first signals move both, then whichever is
// surer moves less.
//
// Bounded: each signal moves θ by at most MAX_STEP and the offset by at most MAX_OFFSET_STEP; shifts
// stay within ±MAX_SHIFT / ±MAX_OFFSET; both decay towards the published numbers (half-life
// HALF_LIFE_DAYS), their variance back to the prior, so old feedback fades and models that changed
// behind the same id are learned again. At most MAX_MODELS models and MAX_OFFSETS offsets are kept
// (the least recently updated go first).
import { z } from 'zod';
import { TaskKind } from '../../shared/protocol';

/** How far one user's code may sit from the benchmark's exercises, on top of θ's own sd. */
export const TRANSFER_SD = 0.5;
/** Prior sd of a task × language difficulty offset. */
export const OFFSET_PRIOR_SD = 0.5;
export const MAX_STEP = 0.5;
export const MAX_OFFSET_STEP = 0.3;
export const MAX_SHIFT = 1.5;
export const MAX_OFFSET = 1;
export const HALF_LIFE_DAYS = 30;
export const MAX_MODELS = 200;
export const MAX_OFFSETS = 64;
/** A parameter is never surer than this (variance): new behaviour can always still move it. */
const MIN_VAR = 0.01;
const DAY_MS = 86_400_000;

const finite = z.number().refine(Number.isFinite, 'not a finite number');
const Param = z.object({
  shift: finite,
  var: finite.refine((v) => v > 0, 'variance must be positive'),
  /** The prior variance it decays back to. */
  priorVar: finite.refine((v) => v > 0, 'variance must be positive'),
  signals: z.number().int().nonnegative(),
  updatedAt: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not an ISO date'),
});
type Param = z.infer<typeof Param>;

const ModelParam = Param.extend({ publishedTheta: finite });
const OffsetParam = Param.extend({ task: TaskKind, language: z.string().max(100) });

export const LEARNING_STATE_VERSION = 1;
export const LearningState = z.object({
  v: z.literal(LEARNING_STATE_VERSION),
  resetAt: z.string().nullable(),
  models: z.record(z.string().max(500), ModelParam),
  offsets: z.record(z.string().max(200), OffsetParam),
});
export type LearningState = z.infer<typeof LearningState>;

export function emptyState(resetAt: string | null = null): LearningState {
  return { v: LEARNING_STATE_VERSION, resetAt, models: {}, offsets: {} };
}

/** The offset's key: task and language ('any' when the request had none). */
export function offsetKey(task: TaskKind, language: string | undefined): string {
  return `${task}:${normLanguage(language)}`;
}

function normLanguage(language: string | undefined): string {
  const l = (language ?? '').trim().toLowerCase().slice(0, 100);
  return l || 'any';
}

/** One signal as the learner sees it. */
export interface Observation {
  model: string;
  /** The model's shipped θ and its sd (capabilities.json), the prior. */
  publishedTheta: number;
  publishedSd: number;
  /** The request's difficulty on the θ scale as the router had it, before any learned offset. */
  b: number;
  task: TaskKind;
  language?: string;
  y: number;
  weight: number;
  /** False: only the offset learns (completions). */
  movesTheta: boolean;
}

/** What `route()` takes: θ shifts by model id, and the difficulty offset of one request. */
export interface Adjustments {
  theta: Record<string, number>;
  difficultyOffset: number;
}

/** A parameter as it stands at `now`: the shift decayed towards 0 and the variance back towards the prior. */
function decayed<P extends Param>(p: P, now: Date): P {
  const days = Math.max(0, (now.getTime() - Date.parse(p.updatedAt)) / DAY_MS);
  if (days === 0) return p;
  const keep = 0.5 ** (days / HALF_LIFE_DAYS);
  return { ...p, shift: p.shift * keep, var: p.priorVar - (p.priorVar - p.var) * keep };
}

function clamp(x: number, limit: number): number {
  return Math.max(-limit, Math.min(limit, x));
}

/**
 * Learns from one observation; returns the new state (the old one is not changed) and where the
 * two parameters ended.
 */
export function learn(
  state: LearningState,
  o: Observation,
  now: Date,
): { state: LearningState; thetaShift: number; offsetShift: number } {
  const at = now.toISOString();
  const key = offsetKey(o.task, o.language);
  const priorThetaVar = o.publishedSd ** 2 + TRANSFER_SD ** 2;
  const m0 = state.models[o.model];
  const m: z.infer<typeof ModelParam> = m0
    ? { ...decayed(m0, now), publishedTheta: o.publishedTheta }
    : {
        shift: 0,
        var: priorThetaVar,
        priorVar: priorThetaVar,
        signals: 0,
        updatedAt: at,
        publishedTheta: o.publishedTheta,
      };
  const d0 = state.offsets[key];
  const d: z.infer<typeof OffsetParam> = d0
    ? { ...decayed(d0, now), task: o.task, language: normLanguage(o.language) }
    : {
        shift: 0,
        var: OFFSET_PRIOR_SD ** 2,
        priorVar: OFFSET_PRIOR_SD ** 2,
        signals: 0,
        updatedAt: at,
        task: o.task,
        language: normLanguage(o.language),
      };

  const thetaVar = o.movesTheta ? m.var : 0;
  const z = o.publishedTheta + m.shift - (o.b + d.shift);
  const s2 = thetaVar + d.var;
  const p = 1 / (1 + Math.exp(-z / Math.sqrt(1 + (Math.PI * s2) / 8)));
  const y = Math.min(1, Math.max(0, o.y));
  const w = Math.max(0, o.weight);
  const g = w * (y - p);
  const h = w * p * (1 - p);
  const denom = 1 + h * s2;

  const models = { ...state.models };
  const offsets = { ...state.offsets };
  if (o.movesTheta) {
    models[o.model] = {
      ...m,
      shift: clamp(m.shift + clamp((m.var * g) / denom, MAX_STEP), MAX_SHIFT),
      var: Math.max(MIN_VAR, m.var - (m.var * m.var * h) / denom),
      signals: m.signals + 1,
      updatedAt: at,
    };
  }
  // z falls as b rises: a failure makes this kind of request count as harder.
  offsets[key] = {
    ...d,
    shift: clamp(d.shift - clamp((d.var * g) / denom, MAX_OFFSET_STEP), MAX_OFFSET),
    var: Math.max(MIN_VAR, d.var - (d.var * d.var * h) / denom),
    signals: d.signals + 1,
    updatedAt: at,
  };
  const next = { ...state, models: evict(models, MAX_MODELS), offsets: evict(offsets, MAX_OFFSETS) };
  return { state: next, thetaShift: models[o.model]?.shift ?? m.shift, offsetShift: offsets[key]!.shift };
}

/** Keeps the `max` most recently updated entries. */
function evict<T extends { updatedAt: string }>(entries: Record<string, T>, max: number): Record<string, T> {
  const keys = Object.keys(entries);
  if (keys.length <= max) return entries;
  const keep = keys.sort((a, b) => Date.parse(entries[b]!.updatedAt) - Date.parse(entries[a]!.updatedAt)).slice(0, max);
  return Object.fromEntries(keep.map((k) => [k, entries[k]!]));
}

/** The learned shifts as they stand now, for one request of `task` in `language`. */
export function adjustmentsOf(
  state: LearningState,
  task: TaskKind,
  language: string | undefined,
  now: Date,
): Adjustments {
  const theta: Record<string, number> = {};
  for (const [id, p] of Object.entries(state.models)) {
    const s = decayed(p, now).shift;
    if (s !== 0) theta[id] = s;
  }
  const off = state.offsets[offsetKey(task, language)];
  return { theta, difficultyOffset: off ? decayed(off, now).shift : 0 };
}

export interface CalibrationView {
  models: {
    model: string;
    publishedTheta: number;
    shift: number;
    theta: number;
    sd: number;
    signals: number;
    updatedAt: string;
  }[];
  difficulty: { task: TaskKind; language: string; shift: number; sd: number; signals: number; updatedAt: string }[];
}

/** Every learned parameter as it stands now, largest moves first. */
export function calibrationOf(state: LearningState, now: Date): CalibrationView {
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  const models = Object.entries(state.models).map(([model, p0]) => {
    const p = decayed(p0, now);
    return {
      model,
      publishedTheta: r3(p.publishedTheta),
      shift: r3(p.shift),
      theta: r3(p.publishedTheta + p.shift),
      sd: r3(Math.sqrt(p.var)),
      signals: p.signals,
      updatedAt: p.updatedAt,
    };
  });
  const difficulty = Object.values(state.offsets).map((p0) => {
    const p = decayed(p0, now);
    return {
      task: p.task,
      language: p.language,
      shift: r3(p.shift),
      sd: r3(Math.sqrt(p.var)),
      signals: p.signals,
      updatedAt: p.updatedAt,
    };
  });
  const byMove = (a: { shift: number }, b: { shift: number }) => Math.abs(b.shift) - Math.abs(a.shift);
  return { models: models.sort(byMove), difficulty: difficulty.sort(byMove) };
}
