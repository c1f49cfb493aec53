// The quality threshold made literal: among the models policy allows, the cheapest one whose
// expected success meets the target, by expected cost; when none meets it, the best available.
//
// Expected cost = the price of this answer + P(fail) × the price of the escalation that would
// follow a failure: the cheapest model more likely to succeed that still meets the target (else the
// strongest). It is money first; what decides between models of the same price depends on the task:
// - chat and refactor: the stronger. A demanding user given two free local models (a 7B and a 32B
//   coder, say) both meeting the bar expects the better answer, not the weaker one because its
//   failure would "only" cost a free retry: a failed answer costs them a read, a retry and time.
//   So a model is not a first choice while one of the same price is more likely to succeed, an
//   escalation is priced only to a model that costs more per answer (at an equal price the stronger
//   one is the first choice, not the retry), and among equal expected costs P decides.
// - completion: the smallest adequate. Completions are latency-bound and thrown away on the next
//   keystroke; among free models meeting the target the weakest is also the fastest, and a miss
//   costs nothing but the next suggestion. Escalating to a stronger free model is priced at $0.
import type { CandidateEstimate, ModelInfo } from '../../shared/protocol';
import { type CapabilityAdjustments, capabilityOf, successProbability } from './capability';

/** routing.quality 0..10 → target P(success): 0 → 0.55, 5 → 0.75, 10 → 0.95. */
export function targetForQuality(quality: number): number {
  const q = Math.min(10, Math.max(0, Number.isFinite(quality) ? quality : 5));
  return Math.round((0.55 + 0.04 * q) * 1000) / 1000;
}

/**
 * Below-target models within this many logits of the bar (or of the best, when none meets it) stay
 * as fallbacks. In logits, not probability: when even the best expects 0.3 on a hard request, a
 * model expecting 0.05 is as far behind as one expecting 0.45 is behind a bar of 0.75.
 */
export const FALLBACK_MARGIN = 1;

export interface ChoiceInput {
  /** Models that passed every policy rule, are available and fit the context window. */
  candidates: readonly ModelInfo[];
  /** Request difficulty on the θ scale. */
  b: number;
  target: number;
  /** Price of this answer on a model, USD. */
  price: (m: ModelInfo) => number;
  /**
   * Completions: among models meeting the target at the same price, the weakest (the fastest) rather
   * than the strongest, and escalating to a stronger model of the same price costs nothing.
   */
  preferSmall?: boolean;
  adjustments?: CapabilityAdjustments;
}

export interface Choice {
  /** The chosen model first, then the fallbacks in order. */
  ordered: CandidateEstimate[];
  meetsTarget: boolean;
  runnerUp?: CandidateEstimate;
  /** Too far below the bar to be a fallback. */
  tooWeak: CandidateEstimate[];
}

interface Scored {
  m: ModelInfo;
  est: CandidateEstimate;
}

export function chooseByExpectedCost(input: ChoiceInput): Choice {
  const { b, target } = input;
  const scored: Scored[] = input.candidates.map((m) => {
    const cap = capabilityOf(m);
    const theta = cap.theta + (input.adjustments?.theta?.[m.id] ?? 0);
    const p = successProbability(theta, cap.sd, b);
    const priceUsd = input.price(m);
    return {
      m,
      est: { model: m.id, expectedSuccess: round3(p), priceUsd, expectedCostUsd: priceUsd, capability: cap },
    };
  });
  if (scored.length === 0) return { ordered: [], meetsTarget: false, tooWeak: [] };
  const p = (s: Scored) => s.est.expectedSuccess;
  const thetaOf = (s: Scored) => s.est.capability.theta + (input.adjustments?.theta?.[s.m.id] ?? 0);
  const meets = (s: Scored) => p(s) >= target;

  // Escalation price per model: the cheapest model with a higher P that meets the target (for
  // chat and refactor, one that also costs more per answer), else the strongest other model, else
  // this one again. Walk from the strongest down, in groups of equal P, keeping the prices of the
  // models above that meet the target in ascending order: the escalation is the first price past
  // this model's floor.
  const byP = [...scored].sort((x, y) => p(y) - p(x) || x.est.priceUsd - y.est.priceUsd);
  const strongest = byP[0]!;
  const above: number[] = [];
  for (let i = 0; i < byP.length; ) {
    let j = i;
    while (j < byP.length && p(byP[j]!) === p(byP[i]!)) j++;
    for (let k = i; k < j; k++) {
      const s = byP[k]!;
      const at = firstAbove(above, input.preferSmall ? -Infinity : s.est.priceUsd);
      const esc =
        at < above.length
          ? above[at]!
          : s === strongest
            ? (byP[1]?.est.priceUsd ?? s.est.priceUsd)
            : strongest.est.priceUsd;
      s.est.expectedCostUsd = s.est.priceUsd + (1 - p(s)) * esc;
    }
    for (let k = i; k < j; k++)
      if (meets(byP[k]!)) above.splice(firstAbove(above, byP[k]!.est.priceUsd), 0, byP[k]!.est.priceUsd);
    i = j;
  }

  const local = (s: Scored) => Number(s.m.local);
  const byCost = (x: Scored, y: Scored) =>
    x.est.expectedCostUsd - y.est.expectedCostUsd ||
    (input.preferSmall ? p(x) - p(y) : p(y) - p(x)) ||
    local(y) - local(x) ||
    cmp(x.m.id, y.m.id);
  // "Best" is the highest capability estimate: by P alone, an unsure estimate (pulled towards 0.5)
  // would outrank a surer, stronger one on requests beyond every model.
  // On equal θ the surer estimate (a published run over a successor's guess) wins.
  const byStrength = (x: Scored, y: Scored) =>
    thetaOf(y) - thetaOf(x) ||
    x.est.capability.sd - y.est.capability.sd ||
    x.est.priceUsd - y.est.priceUsd ||
    local(y) - local(x) ||
    cmp(x.m.id, y.m.id);

  // Chat and refactor: a model meeting the target is not the first choice while another of the same
  // price is more likely to succeed. The rest keep the expected-cost order as fallbacks (with the
  // first choice gone, the weaker free model is the cheapest stand-in again).
  const meeting = scored.filter(meets).sort(byCost);
  if (!input.preferSmall) {
    const bestAtPrice = new Map<number, number>();
    for (const x of meeting) bestAtPrice.set(x.est.priceUsd, Math.max(bestAtPrice.get(x.est.priceUsd) ?? 0, p(x)));
    const first = meeting.findIndex((x) => p(x) >= bestAtPrice.get(x.est.priceUsd)!);
    if (first > 0) meeting.unshift(...meeting.splice(first, 1));
  }
  const below = scored.filter((s) => !meets(s)).sort(byStrength);
  const ref = Math.min(0.999, Math.max(0.001, meeting.length ? target : p(below[0]!)));
  const bar = 1 / (1 + Math.exp(FALLBACK_MARGIN - Math.log(ref / (1 - ref))));
  const ordered = [...meeting, ...below.filter((s) => p(s) >= bar)];
  const tooWeak = below.filter((s) => p(s) < bar).map((s) => s.est);
  const chosen = ordered[0]!;
  // The alternative worth naming: the cheapest model that would do better; else the next in line.
  const better = scored
    .filter((s) => p(s) > p(chosen))
    .sort((x, y) => x.est.priceUsd - y.est.priceUsd || byStrength(x, y));
  const runnerUp = better[0] ?? ordered[1];
  return {
    ordered: ordered.map((s) => s.est),
    meetsTarget: meeting.length > 0,
    ...(runnerUp ? { runnerUp: runnerUp.est } : {}),
    tooWeak,
  };
}

/** Index of the first value in an ascending array greater than x (binary search). */
function firstAbove(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** "$0", "$0.002", "$0.0004", "$1.20": two significant digits below a cent. */
export function formatUsd(x: number): string {
  if (x === 0) return '$0';
  if (x < 0.0001) return '<$0.0001';
  if (x >= 0.01) return `$${x.toFixed(2)}`;
  return `$${Number(x.toPrecision(2))}`;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
