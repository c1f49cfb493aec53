// What `gearbox usage --routing` and `--reset-routing` print: acceptance and escalation per model
// and tier, how the calibration moved from the published numbers, and the savings with their band.
import type { ResetRoutingResult, RoutingRateRow, RoutingStatsResult } from '../../shared/protocol';

function money(n: number): string {
  const sign = n < 0 ? '-' : '';
  const a = Math.abs(n);
  return `${sign}$${a >= 1 ? a.toFixed(2) : a >= 0.01 ? a.toFixed(3) : a.toFixed(5)}`;
}

function pct(rate: number | null): string {
  return rate === null ? '-' : `${Math.round(rate * 100)}%`;
}

/** "+0.31" / "-0.42" (ASCII: terminals and logs). */
function signed(x: number): string {
  return `${x < 0 ? '-' : '+'}${Math.abs(x).toFixed(2)}`;
}

function table(header: string[], rows: string[][], right: ReadonlySet<number>): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) =>
    r
      .map((c, i) => (right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

function rateRows(rows: RoutingRateRow[]): string[][] {
  return rows.map((r) => {
    const s = r.signals;
    const positive = s['edit-accepted'] + s['code-applied'] + s['code-inserted'] + s['code-copied'];
    const negative = s['edit-rejected'] + s['retried-stronger'];
    return [
      `${r.key}${r.local ? ' (local)' : ''}`,
      r.tier === null ? '-' : String(r.tier),
      String(r.requests),
      `${positive}/${negative}/${s['edit-partial']}`,
      pct(r.acceptanceRate),
      `${s['retried-stronger']} (${pct(r.escalationRate)})`,
      `${s['completion-accepted']}/${s['completion-accepted'] + s['completion-ignored']} ` +
        `(${pct(r.completionAcceptanceRate)})`,
    ];
  });
}

export function formatRoutingStats(r: RoutingStatsResult): string {
  const scope = r.workspace === 'all' ? 'all workspaces' : 'this workspace';
  const lines = [
    `Gearbox routing ${r.since} .. ${r.until} (${scope}); learning ${r.learning ? 'on' : 'off (routing.learning)'}`,
    '',
  ];
  const head = ['MODEL', 'TIER', 'ANSWERS', 'TAKEN/REJECTED/PARTIAL', 'ACCEPTED', 'ESCALATED', 'GHOST TEXT TAKEN'];
  const right = new Set([1, 2, 4, 5, 6]);
  if (r.byModel.length) lines.push(...table(head, rateRows(r.byModel), right), '');
  if (r.byTier.length) lines.push(...table(['TIER', ...head.slice(1)], rateRows(r.byTier), right), '');
  if (!r.byModel.length) lines.push('No requests or feedback in this range.', '');

  lines.push('Calibration (published θ → θ for you; P(success) = σ(θ − difficulty)):');
  if (!r.models.length && !r.difficulty.length) lines.push('  unchanged: no feedback learned yet');
  if (r.models.length)
    lines.push(
      ...table(
        ['  MODEL', 'PUBLISHED', 'NOW', 'MOVED', 'SD', 'SIGNALS'],
        r.models.map((m) => [
          `  ${m.model}`,
          m.publishedTheta.toFixed(2),
          m.theta.toFixed(2),
          signed(m.shift),
          m.sd.toFixed(2),
          String(m.signals),
        ]),
        new Set([1, 2, 3, 4, 5]),
      ),
    );
  if (r.difficulty.length)
    lines.push(
      ...table(
        ['  REQUESTS', 'DIFFICULTY MOVED', 'SD', 'SIGNALS'],
        r.difficulty.map((d) => [`  ${d.task} · ${d.language}`, signed(d.shift), d.sd.toFixed(2), String(d.signals)]),
        new Set([1, 2, 3]),
      ),
    );
  if (r.resetAt) lines.push(`  last reset ${r.resetAt}`);

  const s = r.savings;
  lines.push(
    '',
    `Saved ${money(s.expectedUsd)} (90% band ${money(s.lowUsd)} .. ${money(s.highUsd)}) after redoing the answers ` +
      `that fail on the frontier model; the ledger alone says ${money(s.ledgerUsd)}.`,
    `  cheaper answers fail ${pct(s.failureRate)} of the time (90%: ${pct(s.failureLow)} .. ${pct(s.failureHigh)}), ` +
      `from the router's expected success and ${s.judged} signal${s.judged === 1 ? '' : 's'}; ` +
      `redoing all of them would cost ${money(s.atRiskUsd)}.`,
    '',
    `Kept on this machine only${r.statePath ? ` (${r.statePath})` : ' (in memory)'}; ` +
      '`gearbox usage --reset-routing` forgets it.',
  );
  return lines.join('\n');
}

export function formatRoutingReset(r: ResetRoutingResult): string {
  return (
    `Routing calibration reset at ${r.resetAt}: forgot ${r.models} model shift${r.models === 1 ? '' : 's'} and ` +
    `${r.difficulty} difficulty offset${r.difficulty === 1 ? '' : 's'}; routing uses the published numbers again.`
  );
}
