// Messages between the Usage webview (webview/usage) and the extension (extension/usage), both
// directions. Both ends validate with these schemas; a message failing its schema is dropped.
// zod/mini: this module is bundled into the webview, where full zod would add ~800 KB.
import * as z from 'zod/mini';
import type { UsageResult } from './protocol';

const nonneg = () => z.number().check(z.nonnegative());
const count = () => z.number().check(z.int(), z.nonnegative());
const str = (max: number) => z.string().check(z.maxLength(max));

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
});
export type UsageSnapshot = z.infer<typeof UsageSnapshot>;

export const UsageWebviewToHost = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('refresh') }),
  z.object({ type: z.literal('setRange'), range: UsageRange }),
  z.object({ type: z.literal('setScope'), scope: UsageScope }),
]);
export type UsageWebviewToHost = z.infer<typeof UsageWebviewToHost>;

export const UsageHostToWebview = z.discriminatedUnion('type', [
  z.object({ type: z.literal('usage'), range: UsageRange, scope: UsageScope, data: UsageSnapshot }),
  z.object({ type: z.literal('loading') }),
  z.object({ type: z.literal('error'), message: str(2000) }),
]);
export type UsageHostToWebview = z.infer<typeof UsageHostToWebview>;

/** The display subset of a gearbox/usage result. */
export function toSnapshot(u: UsageResult): UsageSnapshot {
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
  };
}
