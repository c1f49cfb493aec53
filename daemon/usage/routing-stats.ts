// Acceptance, escalation and quality-adjusted savings over the usage ledger, for `gearbox usage
// --routing` and the Usage view: request lines and feedback lines kept as small buckets (local day ×
// workspace × model × task, and × signal), like aggregate.ts. Pure: no I/O, the clock a parameter.
//
// Savings with a band: the ledger's savings assume every cheaper answer was as good as the frontier
// model's would have been. Some were not; redoing those on the frontier model costs their
// counterfactual price again. The failure rate of cheaper chat and refactor answers is a Beta
// posterior whose prior is the router's own promise (1 − their mean expected success, worth
// PRIOR_SIGNALS signals) and whose data are the user's signals about those answers; savings =
// ledger savings − failure rate × their frontier price, with the rate's 90 % band. Completions are
// left out of the redo cost: ghost text that is not taken costs nothing to redo.
import type { FeedbackSignal, RoutingRateRow, SavingsEstimate, TaskKind } from '../../shared/protocol';
import { SIGNALS } from '../learning/signals';
import { localDay, resolveSince } from './aggregate';
import type { FeedbackRecord } from './feedback-record';
import type { LedgerRecord } from './record';

/** How many signals the router's own expected success is worth in the failure-rate prior. */
export const PRIOR_SIGNALS = 4;
/** Without any expected success on record: the default target (routing.quality 5). */
const DEFAULT_EXPECTED_SUCCESS = 0.75;
/** z of a two-sided 90 % band. */
const Z90 = 1.645;

interface RequestBucket {
  day: string;
  workspace: string;
  model: string;
  tier: number | null;
  local: boolean;
  task: TaskKind;
  requests: number;
  savingsUsd: number;
  /** Cheaper chat and refactor answers (ok, cost < counterfactual): count, frontier price, expected success. */
  atRisk: number;
  atRiskUsd: number;
  expectedSum: number;
  expectedN: number;
}

interface SignalBucket {
  day: string;
  workspace: string;
  model: string;
  tier: number;
  local: boolean;
  signal: FeedbackSignal;
  saved: boolean;
  count: number;
}

type Scope = { since?: string; workspace: 'current' | 'all'; workspaceId: string; now: Date };

export class RoutingAggregator {
  private readonly requests = new Map<string, RequestBucket>();
  private readonly signals = new Map<string, SignalBucket>();

  addRequest(r: LedgerRecord): void {
    const day = localDay(new Date(r.time));
    const tier = r.tier ?? null;
    const key = `${day}\u0000${r.workspace}\u0000${r.model}\u0000${tier}\u0000${r.task}`;
    let b = this.requests.get(key);
    if (!b) {
      b = {
        day,
        workspace: r.workspace,
        model: r.model,
        tier,
        local: r.local,
        task: r.task,
        requests: 0,
        savingsUsd: 0,
        atRisk: 0,
        atRiskUsd: 0,
        expectedSum: 0,
        expectedN: 0,
      };
      this.requests.set(key, b);
    }
    b.requests++;
    b.savingsUsd += r.counterfactualUsd - r.costUsd;
    if (r.task !== 'completion' && r.outcome === 'ok' && r.costUsd < r.counterfactualUsd) {
      b.atRisk++;
      b.atRiskUsd += r.counterfactualUsd;
      if (r.expectedSuccess !== undefined) {
        b.expectedSum += r.expectedSuccess;
        b.expectedN++;
      }
    }
  }

  addFeedback(f: FeedbackRecord): void {
    const day = localDay(new Date(f.time));
    const key = `${day}\u0000${f.workspace}\u0000${f.model}\u0000${f.tier}\u0000${f.signal}\u0000${f.saved}`;
    let b = this.signals.get(key);
    if (!b) {
      b = {
        day,
        workspace: f.workspace,
        model: f.model,
        tier: f.tier,
        local: f.local,
        signal: f.signal,
        saved: f.saved,
        count: 0,
      };
      this.signals.set(key, b);
    }
    b.count++;
  }

  query(scope: Scope): {
    since: string;
    until: string;
    byModel: RoutingRateRow[];
    byTier: RoutingRateRow[];
    savings: SavingsEstimate;
  } {
    const since = resolveSince(scope.since, scope.now);
    const until = localDay(scope.now);
    const inScope = (b: { day: string; workspace: string }) =>
      b.day >= since && b.day <= until && (scope.workspace === 'all' || b.workspace === scope.workspaceId);
    const models = new Map<string, Row>();
    const tiers = new Map<number, Row>();
    const rowOf = (map: Map<string, Row>, key: string, tier: number | null, local?: boolean) => {
      let r = map.get(key);
      if (!r) map.set(key, (r = newRow(key, tier, local)));
      if (r.tier === null && tier !== null) r.tier = tier;
      return r;
    };
    const tierRow = (tier: number) => {
      let r = tiers.get(tier);
      if (!r) tiers.set(tier, (r = newRow(`tier ${tier}`, tier)));
      return r;
    };
    let ledgerUsd = 0;
    let atRiskUsd = 0;
    let expectedSum = 0;
    let expectedN = 0;
    for (const b of this.requests.values()) {
      if (!inScope(b)) continue;
      ledgerUsd += b.savingsUsd;
      atRiskUsd += b.atRiskUsd;
      expectedSum += b.expectedSum;
      expectedN += b.expectedN;
      const rows = [rowOf(models, b.model, b.tier, b.local), ...(b.tier !== null ? [tierRow(b.tier)] : [])];
      for (const r of rows) {
        if (b.task === 'completion') r.completions += b.requests;
        else r.requests += b.requests;
      }
    }
    let failures = 0;
    let successes = 0;
    let judged = 0;
    for (const b of this.signals.values()) {
      if (!inScope(b)) continue;
      for (const r of [rowOf(models, b.model, b.tier, b.local), tierRow(b.tier)]) r.signals[b.signal] += b.count;
      const s = SIGNALS[b.signal];
      if (b.saved && !s.completion) {
        failures += b.count * s.weight * (1 - s.y);
        successes += b.count * s.weight * s.y;
        judged += b.count;
      }
    }
    const f0 = 1 - (expectedN ? expectedSum / expectedN : DEFAULT_EXPECTED_SUCCESS);
    const alpha = PRIOR_SIGNALS * f0 + failures;
    const beta = PRIOR_SIGNALS * (1 - f0) + successes;
    const mean = alpha / (alpha + beta);
    const sd = Math.sqrt((mean * (1 - mean)) / (alpha + beta + 1));
    const lo = Math.max(0, mean - Z90 * sd);
    const hi = Math.min(1, mean + Z90 * sd);
    const savings: SavingsEstimate = {
      ledgerUsd,
      expectedUsd: ledgerUsd - mean * atRiskUsd,
      lowUsd: ledgerUsd - hi * atRiskUsd,
      highUsd: ledgerUsd - lo * atRiskUsd,
      failureRate: mean,
      failureLow: lo,
      failureHigh: hi,
      judged,
      atRiskUsd,
    };
    const byRequests = (a: RoutingRateRow, b: RoutingRateRow) =>
      b.requests + b.completions - (a.requests + a.completions) || (a.key < b.key ? -1 : 1);
    return {
      since,
      until,
      byModel: [...models.values()].map(finish).sort(byRequests),
      byTier: [...tiers.values()].map(finish).sort((a, b) => (a.tier ?? 0) - (b.tier ?? 0)),
      savings,
    };
  }
}

type Row = Omit<RoutingRateRow, 'acceptanceRate' | 'escalationRate' | 'completionAcceptanceRate'>;

function newRow(key: string, tier: number | null, local?: boolean): Row {
  const signals = Object.fromEntries(Object.keys(SIGNALS).map((s) => [s, 0])) as Record<FeedbackSignal, number>;
  return { key, tier, ...(local !== undefined ? { local } : {}), requests: 0, completions: 0, signals };
}

/** The rates of a row from its counts (null where nothing was counted). */
function finish(r: Row): RoutingRateRow {
  let judged = 0;
  let taken = 0;
  for (const [signal, n] of Object.entries(r.signals) as [FeedbackSignal, number][]) {
    const s = SIGNALS[signal];
    if (s.completion) continue;
    judged += n;
    taken += n * s.y;
  }
  const shown = r.signals['completion-accepted'] + r.signals['completion-ignored'];
  const escalations = r.signals['retried-stronger'];
  return {
    ...r,
    acceptanceRate: judged ? taken / judged : null,
    escalationRate: r.requests ? Math.min(1, escalations / r.requests) : null,
    completionAcceptanceRate: shown ? r.signals['completion-accepted'] / shown : null,
  };
}
