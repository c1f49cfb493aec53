// What the CLI prints: status, the model table, route decisions, chat footers and usage reports.
// Pure functions of the daemon's answers, so they are tested without a daemon.
import type { ChatResult, ModelInfo, RouteDecision, StatusResult, UsageResult } from '../../shared/protocol';

export function formatStatus(st: StatusResult): string {
  const mb = (n: number | null) => (n === null ? '-' : `${(n / 1024 / 1024).toFixed(0)} MB`);
  const mem = st.memory;
  const host = st.modelHost;
  const loaded = st.loadedModels.map(
    (m) => `${m.id} (${mb(m.sizeBytes)}, ${m.gpuLayers} GPU layers, ${m.sequences} seq)`,
  );
  const lines = [
    `Gearbox daemon ${st.version} (protocol ${st.protocolVersion})`,
    `  pid ${st.pid}, port ${st.port}, up ${(st.uptimeMs / 1000).toFixed(0)} s, ${st.clients} client(s)`,
    `  runtime: ${st.runtime}`,
    `  GPU: ${st.gpu}`,
    `  memory: daemon ${mb(mem.daemonRssBytes)}, model host ${mb(mem.modelHostRssBytes)}, ` +
      `system free ${mb(mem.systemFreeBytes)} of ${mb(mem.systemTotalBytes)}`,
    `  model host: ${host.state}${host.pid ? ` (pid ${host.pid})` : ''}, ${host.restarts} restart(s)`,
    `  loaded models: ${loaded.length ? loaded.join(', ') : 'none'}`,
    `  API keys for: ${st.providersWithKeys.length ? st.providersWithKeys.join(', ') : 'none'}`,
  ];
  return lines.join('\n');
}

export function formatModels(models: ModelInfo[]): string {
  const rows = models.map((m) => [
    m.id,
    m.local ? 'local' : m.providerKind,
    String(m.tier),
    m.contextWindow >= 1000 ? `${Math.round(m.contextWindow / 1000)}k` : String(m.contextWindow),
    m.local ? 'free' : `$${fmtPrice(m.inputPricePerMTok)}/$${fmtPrice(m.outputPricePerMTok)}`,
    m.available ? (m.loaded ? 'loaded' : 'yes') : `no: ${m.unavailableReason ?? ''}`,
  ]);
  const header = ['MODEL', 'KIND', 'TIER', 'CONTEXT', 'PRICE/MTok in/out', 'AVAILABLE'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function fmtPrice(n: number): string {
  return n >= 1 ? n.toFixed(2) : n.toPrecision(2);
}

export function formatDecision(d: RouteDecision): string {
  const lines = [
    `${d.task}: ${d.model ?? 'no model'}${d.pinned ? ' (pinned)' : ''}`,
    `  ${d.summary}`,
    `  difficulty ${d.difficulty.toFixed(2)} → tier ${d.requiredTier}, ${inputTokens(d)}`,
    ...d.reasons.map((r) => `  ${r.weight >= 0 ? '+' : ''}${r.weight.toFixed(2)} ${r.feature}: ${r.detail}`),
  ];
  if (d.fallbacks.length) lines.push(`  fallbacks: ${d.fallbacks.join(', ')}`);
  if (d.rejected.length) lines.push('  rejected:', ...rejectedLines(d.rejected));
  return lines.join('\n');
}

/** "1234 input tokens" when counted by the model's own tokenizer, else "~1234 input tokens (approximate)". */
function inputTokens(d: RouteDecision): string {
  const n = `${d.estimatedInputTokens} input tokens`;
  return d.inputTokensMethod === 'exact' ? n : `~${n} (${d.inputTokensMethod})`;
}

/** Rejections grouped: dozens of "no API key" lines for one provider say less than one line. */
function rejectedLines(rejected: RouteDecision['rejected']): string[] {
  const groups = new Map<string, RouteDecision['rejected']>();
  for (const r of rejected) {
    const key = `${r.reason}\u0000${r.detail}`;
    groups.set(key, [...(groups.get(key) ?? []), r]);
  }
  return [...groups.values()].map((g) => {
    const first = g[0]!;
    if (g.length <= 2) return g.map((r) => `    ${r.model}: ${r.reason} (${r.detail})`).join('\n');
    return `    ${first.model}, ${g[1]!.model} and ${g.length - 2} more: ${first.reason} (${first.detail})`;
  });
}

function money(n: number): string {
  const sign = n < 0 ? '-' : '';
  const a = Math.abs(n);
  return `${sign}$${a === 0 ? '0.00' : a >= 1 ? a.toFixed(2) : a >= 0.01 ? a.toFixed(3) : a.toFixed(5)}`;
}

/** A text bar: `[######······]  $1.20 of $5.00 (24%)`, or "no cap". */
export function budgetBar(label: string, spent: number, cap: number, width = 24): string {
  if (cap <= 0) return `${label}  no cap (${money(spent)} spent)`;
  const ratio = spent / cap;
  const filled = Math.max(0, Math.min(width, Math.round(ratio * width)));
  const over = ratio >= 1 ? '  AT CAP: only local models' : '';
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
  return `${label}  ${bar}  ${money(spent)} of ${money(cap)} (${Math.round(ratio * 100)}%)${over}`;
}

export function formatUsage(u: UsageResult): string {
  const table = (header: string[], rows: string[][], right: Set<number>): string[] => {
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
    return [header, ...rows].map((r) =>
      r
        .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    );
  };
  const scope = u.workspace === 'all' ? 'all workspaces' : `workspace ${u.workspaceId}`;
  const lines = [`Gearbox usage ${u.since} .. ${u.until} (${scope})`, ''];
  const dayRows = u.days.map((d) => [
    d.date,
    String(d.requests),
    String(d.localRequests),
    String(d.closedRequests),
    money(d.costUsd),
    money(d.counterfactualUsd),
    money(d.counterfactualUsd - d.costUsd),
  ]);
  const t = u.totals;
  dayRows.push([
    'TOTAL',
    String(t.requests),
    String(t.localRequests),
    String(t.closedRequests),
    money(t.costUsd),
    money(t.counterfactualUsd),
    money(t.savingsUsd),
  ]);
  lines.push(
    ...table(
      ['DATE', 'REQUESTS', 'LOCAL', 'CLOSED', 'COST', 'ON FRONTIER', 'SAVED'],
      dayRows,
      new Set([1, 2, 3, 4, 5, 6]),
    ),
  );
  const pct = t.requests ? Math.round((t.localRequests / t.requests) * 100) : 0;
  lines.push(
    '',
    `Local ${t.localRequests} / closed ${t.closedRequests} requests (${pct}% local); ` +
      `${t.inputTokens} tokens in, ${t.outputTokens} out.`,
  );
  if (t.errorRequests || t.cancelledRequests)
    lines.push(`${t.errorRequests} failed, ${t.cancelledRequests} cancelled.`);
  lines.push(
    `Saved ${money(u.savingsUsd)} against the strongest available closed model (${money(t.counterfactualUsd)}).`,
  );
  if (u.byModel.length) {
    lines.push(
      '',
      ...table(
        ['MODEL', 'REQUESTS', 'COST'],
        u.byModel.map((m) => [`${m.key}${m.local ? ' (local)' : ''}`, String(m.requests), money(m.costUsd)]),
        new Set([1, 2]),
      ),
    );
  }
  if (u.byTask.length) {
    lines.push(
      '',
      ...table(
        ['TASK', 'REQUESTS', 'COST'],
        u.byTask.map((m) => [m.key, String(m.requests), money(m.costUsd)]),
        new Set([1, 2]),
      ),
    );
  }
  lines.push(
    '',
    'Budget (every workspace, local time):',
    budgetBar('  today     ', u.budget.spentTodayUsd, u.budget.dailyUsd),
    budgetBar('  this month', u.budget.spentMonthUsd, u.budget.monthlyUsd),
  );
  if (u.ledger.skippedLines)
    lines.push(`Note: ${u.ledger.skippedLines} damaged line(s) in ${u.ledger.path ?? 'the ledger'} were skipped.`);
  if (u.ledger.path === null) lines.push('Note: the ledger file could not be opened; usage is counted in memory only.');
  return lines.join('\n');
}

/** One line per route: the model and the summary (`gearbox route` without --explain). */
export function formatRouteLine(d: RouteDecision): string {
  return `${d.task}: ${d.model ?? 'no model'}${d.pinned ? ' (pinned)' : ''} — ${d.summary}`;
}

/** The line under a streamed chat answer: model, route, tokens, cost and time. */
export function formatChatFooter(r: ChatResult): string {
  const tokens = `${r.usage.inputTokens} in / ${r.usage.outputTokens} out`;
  return `— ${r.model} · ${r.route.summary} · ${tokens} · $${r.costUsd.toFixed(6)} · ${r.latencyMs} ms`;
}
