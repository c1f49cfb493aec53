// The status bar's budget part: spend against the tighter of the daily and monthly caps, when a
// cap is set. No `vscode` import: extension/budget.ts feeds it gearbox/usage's budget state.
import type { BudgetState } from '../../shared/protocol';

export interface BudgetStatus {
  text: string;
  tooltip: string;
  /** 'near' from 80 % of a cap; 'over' at the cap (only local models are used then). */
  level: 'ok' | 'near' | 'over';
}

function usd(n: number): string {
  return n >= 100 ? `$${n.toFixed(0)}` : `$${n.toFixed(2)}`;
}

/** undefined when neither cap is set (0 = no cap). */
export function budgetStatus(b: BudgetState): BudgetStatus | undefined {
  const caps = [
    { cap: b.dailyUsd, spent: b.spentTodayUsd, when: 'today' },
    { cap: b.monthlyUsd, spent: b.spentMonthUsd, when: 'this month' },
  ].filter((c) => c.cap > 0);
  if (caps.length === 0) return undefined;
  // The cap closest to being reached is the one worth showing.
  const tight = caps.reduce((a, c) => (c.spent / c.cap > a.spent / a.cap ? c : a));
  const ratio = tight.spent / tight.cap;
  const level = ratio >= 1 ? 'over' : ratio >= 0.8 ? 'near' : 'ok';
  const icon = level === 'ok' ? '$(credit-card)' : '$(warning)';
  const lines = caps.map(
    (c) => `${usd(c.spent)} of ${usd(c.cap)} ${c.when} (${Math.floor((c.spent / c.cap) * 100)} %)`,
  );
  if (level === 'over') lines.push('At the cap: only local models are used until it resets.');
  return {
    text: `${icon} ${usd(tight.spent)}/${usd(tight.cap)} ${tight.when}`,
    tooltip: `Budget: ${lines.join('; ')}`,
    level,
  };
}
