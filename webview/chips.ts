// The chips row of the chat input: each chip with its label (which names its kind), its size in
// tokens and × to remove it; under them the total against the model's window (marked when it will be
// trimmed) and a notice (a chip that could not be added, and why).
import type { ChipRef, ContextBudget, WebviewToHost } from '../shared/webview-protocol';
import type { Dom } from './dom';

/** "1.2k" tokens, as the chips show sizes. */
export function tokensText(n: number): string {
  return n < 1000 ? `${n}` : `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
}

export function renderChips(
  dom: Dom,
  row: HTMLElement,
  chips: readonly ChipRef[],
  budget: ContextBudget | undefined,
  notice: string | undefined,
  send: (m: WebviewToHost) => void,
): void {
  const { el, button } = dom;
  row.textContent = '';
  row.hidden = chips.length === 0 && !notice;
  const list = el('div', 'gb-chips');
  for (const chip of chips) {
    const c = el('span', 'gb-chip');
    c.dataset.kind = chip.kind;
    if (chip.detail) c.title = chip.detail;
    c.append(
      el('span', 'gb-chip-label', chip.label),
      el('span', 'gb-chip-tokens', tokensText(chip.tokens)),
      button('×', 'gb-chip-remove', () => send({ type: 'removeChip', id: chip.id }), `Remove ${chip.label}`),
    );
    list.append(c);
  }
  if (chips.length) row.append(list);
  if (chips.length && budget) {
    const over = budget.tokens > budget.limit;
    const b = el(
      'div',
      `gb-budget${over ? ' gb-over' : ''}`,
      `≈ ${tokensText(budget.tokens)} of ${tokensText(budget.limit)} tokens for ${budget.model}` +
        (over ? ' — will be trimmed to fit' : ''),
    );
    row.append(b);
  }
  if (notice) {
    const n = el('div', 'gb-notice', notice);
    n.setAttribute('role', 'status');
    row.append(n);
  }
}
