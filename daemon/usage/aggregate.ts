// Totals over ledger records, kept in memory as small buckets (local day × workspace × model ×
// task), so neither a long ledger nor frequent completions make queries slow. Days and months are
// in the daemon's local time zone. Pure: no I/O, the clock is a parameter.
import type {
  BudgetState,
  TaskKind,
  UsageBreakdownRow,
  UsageDay,
  UsageResult,
  UsageTotals,
} from '../../shared/protocol';
import type { LedgerRecord } from './record';

/** The longest range a usage query may cover. */
const MAX_USAGE_DAYS = 3660;
const DEFAULT_SINCE = '30d';

/** Local calendar date of an instant, YYYY-MM-DD. */
export function localDay(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** `day` plus n calendar days (local; noon avoids DST edges). */
export function addDays(day: string, n: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return localDay(new Date(y, m - 1, d + n, 12));
}

function daysBetween(from: string, to: string): number {
  const [y1, m1, d1] = from.split('-').map(Number) as [number, number, number];
  const [y2, m2, d2] = to.split('-').map(Number) as [number, number, number];
  return Math.round((Date.UTC(y2, m2 - 1, d2) - Date.UTC(y1, m1 - 1, d1)) / 86_400_000);
}

export class UsageRangeError extends Error {}

/** The first local day a `since` covers: 'Nd' = the last N days including today; a date; a date-time's local day. */
export function resolveSince(since: string | undefined, now: Date): string {
  const today = localDay(now);
  const s = since ?? DEFAULT_SINCE;
  const rel = /^(\d{1,4})d$/.exec(s);
  if (rel) {
    const n = Number(rel[1]);
    if (n < 1 || n > MAX_USAGE_DAYS) throw new UsageRangeError(`since: between 1d and ${MAX_USAGE_DAYS}d`);
    return addDays(today, -(n - 1));
  }
  let day: string;
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
    const [y, m, d] = s.split('-').map(Number) as [number, number, number];
    const dt = new Date(y, m - 1, d, 12);
    if (dt.getFullYear() !== y || dt.getMonth() !== m - 1 || dt.getDate() !== d)
      throw new UsageRangeError(`since: ${s} is not a calendar date`);
    day = s;
  } else {
    const t = Date.parse(s);
    if (Number.isNaN(t)) throw new UsageRangeError(`since: "${s}" is neither an ISO date nor a number of days like 7d`);
    day = localDay(new Date(t));
  }
  if (daysBetween(day, today) + 1 > MAX_USAGE_DAYS)
    throw new UsageRangeError(`since: at most ${MAX_USAGE_DAYS} days back`);
  return day;
}

interface Bucket {
  day: string;
  workspace: string;
  model: string;
  provider: string;
  local: boolean;
  task: TaskKind;
  requests: number;
  ok: number;
  error: number;
  cancelled: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  counterfactualUsd: number;
}

type Sums = Omit<UsageBreakdownRow, 'key' | 'provider' | 'local'>;
const zeroSums = (): Sums => ({ requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, counterfactualUsd: 0 });

export class UsageAggregator {
  private readonly buckets = new Map<string, Bucket>();
  /** Cost per local day and per month, every workspace: what budgets count. */
  private readonly costByDay = new Map<string, number>();
  private readonly costByMonth = new Map<string, number>();
  records = 0;

  add(r: LedgerRecord): void {
    const t = new Date(r.time);
    const day = localDay(t);
    const key = `${day}\u0000${r.workspace}\u0000${r.model}\u0000${r.task}`;
    let b = this.buckets.get(key);
    if (!b) {
      b = {
        day,
        workspace: r.workspace,
        model: r.model,
        provider: r.provider,
        local: r.local,
        task: r.task,
        requests: 0,
        ok: 0,
        error: 0,
        cancelled: 0,
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
        counterfactualUsd: 0,
      };
      this.buckets.set(key, b);
    }
    b.requests++;
    if (r.outcome === 'ok') b.ok++;
    else if (r.outcome === 'error') b.error++;
    else b.cancelled++;
    b.inputTokens += r.inputTokens;
    b.outputTokens += r.outputTokens;
    b.costUsd += r.costUsd;
    b.counterfactualUsd += r.counterfactualUsd;
    this.costByDay.set(day, (this.costByDay.get(day) ?? 0) + r.costUsd);
    const month = day.slice(0, 7);
    this.costByMonth.set(month, (this.costByMonth.get(month) ?? 0) + r.costUsd);
    this.records++;
  }

  /** Spent today and this calendar month (local time), across every workspace. */
  spent(now: Date): { spentTodayUsd: number; spentMonthUsd: number } {
    const today = localDay(now);
    return {
      spentTodayUsd: this.costByDay.get(today) ?? 0,
      spentMonthUsd: this.costByMonth.get(today.slice(0, 7)) ?? 0,
    };
  }

  query(opts: {
    since?: string;
    workspace: 'current' | 'all';
    workspaceId: string;
    now: Date;
    caps: { dailyUsd: number; monthlyUsd: number };
  }): Omit<UsageResult, 'ledger'> {
    const until = localDay(opts.now);
    const since = resolveSince(opts.since, opts.now);
    const days = new Map<string, UsageDay>();
    for (let d = since; d <= until; d = addDays(d, 1)) {
      days.set(d, { date: d, costUsd: 0, counterfactualUsd: 0, requests: 0, localRequests: 0, closedRequests: 0 });
    }
    const totals: UsageTotals = {
      requests: 0,
      okRequests: 0,
      errorRequests: 0,
      cancelledRequests: 0,
      localRequests: 0,
      closedRequests: 0,
      inputTokens: 0,
      outputTokens: 0,
      costUsd: 0,
      counterfactualUsd: 0,
      savingsUsd: 0,
    };
    const byModel = new Map<string, UsageBreakdownRow>();
    const byTask = new Map<string, UsageBreakdownRow>();
    const addTo = (row: Sums, b: Bucket) => {
      row.requests += b.requests;
      row.inputTokens += b.inputTokens;
      row.outputTokens += b.outputTokens;
      row.costUsd += b.costUsd;
      row.counterfactualUsd += b.counterfactualUsd;
    };
    for (const b of this.buckets.values()) {
      const day = days.get(b.day);
      if (!day) continue;
      if (opts.workspace === 'current' && b.workspace !== opts.workspaceId) continue;
      day.requests += b.requests;
      day.costUsd += b.costUsd;
      day.counterfactualUsd += b.counterfactualUsd;
      if (b.local) day.localRequests += b.requests;
      else day.closedRequests += b.requests;
      addTo(totals, b);
      totals.okRequests += b.ok;
      totals.errorRequests += b.error;
      totals.cancelledRequests += b.cancelled;
      if (b.local) totals.localRequests += b.requests;
      else totals.closedRequests += b.requests;
      let m = byModel.get(b.model);
      if (!m) byModel.set(b.model, (m = { key: b.model, provider: b.provider, local: b.local, ...zeroSums() }));
      addTo(m, b);
      let t = byTask.get(b.task);
      if (!t) byTask.set(b.task, (t = { key: b.task, ...zeroSums() }));
      addTo(t, b);
    }
    totals.savingsUsd = totals.counterfactualUsd - totals.costUsd;
    const order = (a: UsageBreakdownRow, b: UsageBreakdownRow) =>
      b.costUsd - a.costUsd || b.requests - a.requests || (a.key < b.key ? -1 : 1);
    const budget: BudgetState = {
      dailyUsd: opts.caps.dailyUsd,
      monthlyUsd: opts.caps.monthlyUsd,
      ...this.spent(opts.now),
    };
    return {
      since,
      until,
      workspace: opts.workspace,
      workspaceId: opts.workspaceId,
      totals,
      days: [...days.values()],
      byModel: [...byModel.values()].sort(order),
      byTask: [...byTask.values()].sort(order),
      savingsUsd: totals.savingsUsd,
      budget,
    };
  }
}

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
