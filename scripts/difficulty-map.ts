// Fits the map from the estimator's logit to a task difficulty b on the capability scale
// (daemon/routing/difficulty.ts ThetaMap) from anchor groups: a group of training requests whose
// b a published pass rate (or our label, by judgement) gives, at the group's mean logit.
//
// A line, b = intercept + slope·(logit − refactorShift for a refactor), by weighted least squares
// over the groups:
// - each family of anchors (function tasks, our editor labels, LeetCode) weighs the same in total,
//   so six editor groups placed by judgement do not outvote the published ones;
// - a refactor's logit is moved by the refactor shift, fitted with the line (the within-task slope,
//   then each task's intercept from its own weighted means): the fit rates a refactor harder than a
//   chat with the same words, while our labels say the same label is as hard for both.
// Why not a piecewise map through the groups: LeetCode's Easy/Medium/Hard sit close in logit and our
// editor groups interleave with them, so it had a cliff (b jumping two logits over a fifth of a
// logit), and with no anchor easier than a function task its easy end was flat: "rename this
// variable" looked as hard as writing a function. A line extrapolates both ends.
import type { ThetaMap } from '../daemon/routing/difficulty';
import type { TaskKind } from '../shared/protocol';

export interface AnchorPoint {
  name: string;
  /** Which family of anchors it belongs to (each family weighs the same in total). */
  family: string;
  task: TaskKind;
  meanLogit: number;
  b: number;
}

/** An anchor group as its rows' logits, with the published model and its pass rate on the group. */
export interface AnchorGroup {
  name: string;
  family: string;
  task: TaskKind;
  logits: readonly number[];
  theta: number;
  passRate: number;
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/**
 * The map whose b's give each group's published pass rate as the group's mean success,
 * mean_i σ(θ − b_i) = passRate, rather than σ(θ − b at the group's mean logit) = passRate.
 *
 * Why: a pass rate is an average over the group's tasks. σ is concave above 0.5 and convex below,
 * so placing the group's mean at logit(passRate) makes a 7B coder that solves 86 % of function tasks
 * look worse on them than it is (its mean success under the map comes out lower, the more the map
 * spreads the group), and a GPT-4 that solves 7 % of LeetCode Hard look better. Solved by fixed
 * point: for the current slope, each group's centre x_g is where its rows' mean success equals the
 * rate (bisection: the mean is monotone in x_g); then the line is refitted through (mean logit, x_g)
 * with fitThetaMap; until the slope settles.
 */
export function fitThetaMapByMeanSuccess(groups: readonly AnchorGroup[], rounds = 20): ThetaMap {
  const mean = (xs: readonly number[]) => xs.reduce((t, x) => t + x, 0) / xs.length;
  const pointsFor = (slope: number): AnchorPoint[] =>
    groups.map((g) => {
      const m = mean(g.logits);
      const spread = g.logits.map((l) => slope * (l - m));
      const success = (x: number) => mean(spread.map((d) => sigmoid(g.theta - x - d)));
      let lo = g.theta - 20;
      let hi = g.theta + 20;
      for (let i = 0; i < 60; i++) {
        const mid = (lo + hi) / 2;
        if (success(mid) > g.passRate) lo = mid;
        else hi = mid;
      }
      return { name: g.name, family: g.family, task: g.task, meanLogit: m, b: (lo + hi) / 2 };
    });
  let map = fitThetaMap(pointsFor(1));
  for (let r = 0; r < rounds; r++) {
    const next = fitThetaMap(pointsFor(map.slope));
    const settled = Math.abs(next.slope - map.slope) < 1e-6;
    map = next;
    if (settled) break;
  }
  return map;
}

/** A group's mean success under a map, for reports. */
export function meanSuccess(g: AnchorGroup, bOf: (logit: number) => number): number {
  return g.logits.reduce((t, l) => t + sigmoid(g.theta - bOf(l)), 0) / g.logits.length;
}

export function fitThetaMap(points: readonly AnchorPoint[], minSlope = 0.2): ThetaMap {
  const perFamily = new Map<string, number>();
  for (const p of points) perFamily.set(p.family, (perFamily.get(p.family) ?? 0) + 1);
  const weight = (p: AnchorPoint) => 1 / perFamily.get(p.family)!;
  const tasks = [...new Set(points.map((p) => p.task))];
  const mean = (ps: readonly AnchorPoint[], f: (p: AnchorPoint) => number) =>
    ps.reduce((t, p) => t + weight(p) * f(p), 0) / ps.reduce((t, p) => t + weight(p), 0);
  let sxy = 0;
  let sxx = 0;
  for (const task of tasks) {
    const ps = points.filter((p) => p.task === task);
    const mz = mean(ps, (p) => p.meanLogit);
    const mb = mean(ps, (p) => p.b);
    for (const p of ps) {
      sxy += weight(p) * (p.meanLogit - mz) * (p.b - mb);
      sxx += weight(p) * (p.meanLogit - mz) ** 2;
    }
  }
  // A flat or inverted map would make harder-looking requests look easier: keep it increasing.
  const slope = Math.max(minSlope, sxx > 0 ? sxy / sxx : minSlope);
  const interceptOf = (task: TaskKind) => {
    const ps = points.filter((p) => p.task === task);
    return ps.length ? mean(ps, (p) => p.b) - slope * mean(ps, (p) => p.meanLogit) : undefined;
  };
  const intercept = interceptOf('chat')!;
  const refactor = interceptOf('refactor');
  const bs = points.map((p) => p.b);
  return {
    intercept,
    slope,
    // The same b for a refactor at logit z as for a chat at z − shift.
    refactorShift: refactor === undefined ? 0 : (intercept - refactor) / slope,
    // Beyond the anchors a logit says little about b: b stays between 1.5 below the easiest anchor and the hardest.
    min: Math.min(...bs) - 1.5,
    max: Math.max(...bs),
  };
}
