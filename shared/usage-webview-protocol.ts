// Messages between the Usage webview (webview/usage) and the extension (extension/usage), both
// directions. Both ends validate with these schemas; a message failing its schema is dropped.
// zod/mini: this module is bundled into the webview, where full zod would add ~800 KB.
import * as z from 'zod/mini';
import type { RoutingStatsResult, UsageResult } from './protocol';

const nonneg = () => z.number().check(z.nonnegative());
const count = () => z.number().check(z.int(), z.nonnegative());
const str = (max: number) => z.string().check(z.maxLength(max));
const rate = () => z.nullable(z.number().check(z.gte(0), z.lte(1)));

/** Acceptance and escalation of a model or a tier (shared/protocol RoutingRateRow, for display). */
const RateRow = z.object({
  key: str(500),
  local: z.optional(z.boolean()),
  requests: count(),
  /** Answers taken / rejected (partial ones count half each way in the rate) and retried stronger. */
  taken: count(),
  rejected: count(),
  escalations: count(),
  acceptanceRate: rate(),
  escalationRate: rate(),
});

/** Learning from the user: how the calibration moved, the rates, savings with their band. */
export const RoutingSnapshot = z.object({
  learning: z.boolean(),
  resetAt: z.nullable(str(40)),
  models: z
    .array(
      z.object({
        model: str(500),
        publishedTheta: z.number(),
        theta: z.number(),
        shift: z.number(),
        signals: count(),
      }),
    )
    .check(z.maxLength(200)),
  difficulty: z
    .array(z.object({ task: str(20), language: str(100), shift: z.number(), signals: count() }))
    .check(z.maxLength(64)),
  byModel: z.array(RateRow).check(z.maxLength(500)),
  byTier: z.array(RateRow).check(z.maxLength(4)),
  savings: z.object({
    ledgerUsd: z.number(),
    expectedUsd: z.number(),
    lowUsd: z.number(),
    highUsd: z.number(),
    failureRate: nonneg(),
    judged: count(),
  }),
});
export type RoutingSnapshot = z.infer<typeof RoutingSnapshot>;

export const UsageRange = z.enum(['7d', '30d', '90d']);
export type UsageRange = z.infer<typeof UsageRange>;
export const UsageScope = z.enum(['current', 'all']);
export type UsageScope = z.infer<typeof UsageScope>;

/** What the view shows: a display subset of shared/protocol UsageResult. */
export const UsageSnapshot = z.object({
  since: str(40),
  until: str(40),
  workspace: UsageScope,
  totals: z.object({
    requests: count(),
    localRequests: count(),
    closedRequests: count(),
    costUsd: nonneg(),
    counterfactualUsd: nonneg(),
    savingsUsd: z.number(),
  }),
  days: z
    .array(
      z.object({
        date: str(10),
        costUsd: nonneg(),
        counterfactualUsd: nonneg(),
        requests: count(),
        localRequests: count(),
        closedRequests: count(),
      }),
    )
    .check(z.maxLength(4000)),
  byModel: z
    .array(z.object({ key: str(500), local: z.optional(z.boolean()), requests: count(), costUsd: nonneg() }))
    .check(z.maxLength(500)),
  budget: z.object({ dailyUsd: nonneg(), monthlyUsd: nonneg(), spentTodayUsd: nonneg(), spentMonthUsd: nonneg() }),
  /** Absent: a daemon without routing learning. */
  routing: z.optional(RoutingSnapshot),
});
export type UsageSnapshot = z.infer<typeof UsageSnapshot>;

export const UsageWebviewToHost = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('refresh') }),
  z.object({ type: z.literal('setRange'), range: UsageRange }),
  z.object({ type: z.literal('setScope'), scope: UsageScope }),
  /** Gearbox: Reset Routing Calibration (it asks first). */
  z.object({ type: z.literal('resetCalibration') }),
]);
export type UsageWebviewToHost = z.infer<typeof UsageWebviewToHost>;

export const UsageHostToWebview = z.discriminatedUnion('type', [
  z.object({ type: z.literal('usage'), range: UsageRange, scope: UsageScope, data: UsageSnapshot }),
  z.object({ type: z.literal('loading') }),
  z.object({ type: z.literal('error'), message: str(2000) }),
]);
export type UsageHostToWebview = z.infer<typeof UsageHostToWebview>;

/** The display subset of a gearbox/routing/stats result. */
export function toRoutingSnapshot(r: RoutingStatsResult): RoutingSnapshot {
  const row = (x: RoutingStatsResult['byModel'][number]) => {
    const s = x.signals;
    return {
      key: x.key,
      ...(x.local !== undefined ? { local: x.local } : {}),
      requests: x.requests,
      taken: s['edit-accepted'] + s['code-applied'] + s['code-inserted'] + s['code-copied'],
      rejected: s['edit-rejected'] + s['retried-stronger'],
      escalations: s['retried-stronger'],
      acceptanceRate: x.acceptanceRate,
      escalationRate: x.escalationRate,
    };
  };
  return {
    learning: r.learning,
    resetAt: r.resetAt,
    models: r.models.slice(0, 200).map((m) => ({
      model: m.model,
      publishedTheta: m.publishedTheta,
      theta: m.theta,
      shift: m.shift,
      signals: m.signals,
    })),
    difficulty: r.difficulty.slice(0, 64).map((d) => ({
      task: d.task,
      language: d.language,
      shift: d.shift,
      signals: d.signals,
    })),
    byModel: r.byModel.slice(0, 500).map(row),
    byTier: r.byTier.slice(0, 4).map(row),
    savings: {
      ledgerUsd: r.savings.ledgerUsd,
      expectedUsd: r.savings.expectedUsd,
      lowUsd: r.savings.lowUsd,
      highUsd: r.savings.highUsd,
      failureRate: r.savings.failureRate,
      judged: r.savings.judged,
    },
  };
}

/** The display subset of a gearbox/usage result (and of gearbox/routing/stats, when there is one). */
export function toSnapshot(u: UsageResult, routing?: RoutingStatsResult): UsageSnapshot {
  return {
    since: u.since,
    until: u.until,
    workspace: u.workspace,
    totals: {
      requests: u.totals.requests,
      localRequests: u.totals.localRequests,
      closedRequests: u.totals.closedRequests,
      costUsd: u.totals.costUsd,
      counterfactualUsd: u.totals.counterfactualUsd,
      savingsUsd: u.totals.savingsUsd,
    },
    days: u.days,
    byModel: u.byModel.map((m) => ({
      key: m.key,
      ...(m.local !== undefined ? { local: m.local } : {}),
      requests: m.requests,
      costUsd: m.costUsd,
    })),
    budget: u.budget,
    ...(routing ? { routing: toRoutingSnapshot(routing) } : {}),
  };
}
