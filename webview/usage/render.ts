// Renders the Usage view from a validated snapshot: a daily cost chart (inline SVG, cost against
// what the frontier model would have cost), the local/closed split, savings, budget bars, the top
// models, and what routing learned from feedback (routing.ts). DOM building only (textContent,
// never HTML strings), so data cannot inject markup.
// Colours come from VS Code theme variables in styles.css; nothing here sets inline styles (CSP).
import type { UsageHostToWebview, UsageRange, UsageScope, UsageSnapshot } from '../../shared/usage-webview-protocol';
import { el, money } from './dom';
import { routingSection } from './routing';

export { money } from './dom';

const SVG = 'http://www.w3.org/2000/svg';

export interface UsageUi {
  onRange(range: UsageRange): void;
  onScope(scope: UsageScope): void;
  onRefresh(): void;
  onResetCalibration(): void;
}

function svg(doc: Document, tag: string, attrs: Record<string, string | number>, cls?: string): SVGElement {
  const e = doc.createElementNS(SVG, tag) as SVGElement;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (cls) e.setAttribute('class', cls);
  return e;
}

/** Bars per day: the frontier counterfactual behind, the actual cost in front. */
export function dailyChart(doc: Document, days: UsageSnapshot['days']): SVGElement {
  const W = 300;
  const H = 110;
  const pad = { top: 8, bottom: 16, left: 2, right: 2 };
  const chart = svg(doc, 'svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', preserveAspectRatio: 'none' }, 'gb-chart');
  const max = Math.max(0, ...days.map((d) => Math.max(d.costUsd, d.counterfactualUsd)));
  const title = svg(doc, 'title', {});
  title.textContent = `Daily cost, ${days[0]?.date ?? ''} to ${days.at(-1)?.date ?? ''}; highest ${money(max)}`;
  chart.appendChild(title);
  chart.appendChild(
    svg(doc, 'line', { x1: pad.left, x2: W - pad.right, y1: H - pad.bottom, y2: H - pad.bottom }, 'gb-axis'),
  );
  const n = Math.max(1, days.length);
  const slot = (W - pad.left - pad.right) / n;
  const barW = Math.max(1, slot * 0.7);
  const plotH = H - pad.top - pad.bottom;
  const h = (v: number) => (max > 0 ? (v / max) * plotH : 0);
  days.forEach((d, i) => {
    const x = pad.left + i * slot + (slot - barW) / 2;
    const g = svg(doc, 'g', {}, 'gb-day');
    const tip = svg(doc, 'title', {});
    tip.textContent =
      `${d.date}: ${money(d.costUsd)} (frontier ${money(d.counterfactualUsd)}), ` +
      `${d.requests} requests (${d.localRequests} local, ${d.closedRequests} closed)`;
    g.appendChild(tip);
    const cf = h(d.counterfactualUsd);
    const c = h(d.costUsd);
    g.appendChild(svg(doc, 'rect', { x, y: H - pad.bottom - cf, width: barW, height: cf }, 'gb-bar-counterfactual'));
    g.appendChild(svg(doc, 'rect', { x, y: H - pad.bottom - c, width: barW, height: c }, 'gb-bar-cost'));
    chart.appendChild(g);
  });
  const label = (text: string, x: number, anchor: string) => {
    const t = svg(doc, 'text', { x, y: H - 3, 'text-anchor': anchor }, 'gb-chart-label');
    t.textContent = text;
    chart.appendChild(t);
  };
  if (days.length) {
    label(days[0]!.date.slice(5), pad.left, 'start');
    label(days.at(-1)!.date.slice(5), W - pad.right, 'end');
  }
  return chart;
}

/** A horizontal bar: spent against a cap (or the split of two counts). */
export function bar(doc: Document, fraction: number, cls: string): SVGElement {
  const f = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
  const s = svg(doc, 'svg', { viewBox: '0 0 100 6', preserveAspectRatio: 'none', role: 'presentation' }, 'gb-bar');
  s.appendChild(svg(doc, 'rect', { x: 0, y: 0, width: 100, height: 6 }, 'gb-bar-track'));
  s.appendChild(svg(doc, 'rect', { x: 0, y: 0, width: (f * 100).toFixed(2), height: 6 }, cls));
  return s;
}

function budgetRow(doc: Document, label: string, spent: number, cap: number): HTMLElement {
  const row = el(doc, 'div', 'gb-budget');
  const head = el(doc, 'div', 'gb-row');
  head.append(
    el(doc, 'span', undefined, label),
    el(doc, 'span', 'gb-num', cap > 0 ? `${money(spent)} of ${money(cap)}` : `${money(spent)} · no cap`),
  );
  row.appendChild(head);
  if (cap > 0) {
    const ratio = spent / cap;
    row.appendChild(bar(doc, ratio, ratio >= 1 ? 'gb-fill-over' : ratio >= 0.8 ? 'gb-fill-warn' : 'gb-fill'));
    if (ratio >= 1) row.appendChild(el(doc, 'div', 'gb-note', 'At the cap: only local models are used.'));
  }
  return row;
}

function controls(doc: Document, range: UsageRange, scope: UsageScope, ui: UsageUi): HTMLElement {
  const bar = el(doc, 'div', 'gb-controls');
  const group = <T extends string>(values: readonly [T, string][], current: T, pick: (v: T) => void) => {
    const g = el(doc, 'div', 'gb-segment');
    for (const [v, text] of values) {
      const b = el(doc, 'button', v === current ? 'gb-on' : undefined, text);
      b.type = 'button';
      b.setAttribute('aria-pressed', String(v === current));
      b.addEventListener('click', () => pick(v));
      g.appendChild(b);
    }
    return g;
  };
  bar.append(
    group<UsageRange>(
      [
        ['7d', '7d'],
        ['30d', '30d'],
        ['90d', '90d'],
      ],
      range,
      ui.onRange,
    ),
    group<UsageScope>(
      [
        ['current', 'This workspace'],
        ['all', 'All'],
      ],
      scope,
      ui.onScope,
    ),
  );
  const refresh = el(doc, 'button', 'gb-refresh', '↻');
  refresh.type = 'button';
  refresh.title = 'Refresh';
  refresh.setAttribute('aria-label', 'Refresh');
  refresh.addEventListener('click', () => ui.onRefresh());
  bar.appendChild(refresh);
  return bar;
}

/** Replaces the content of `root` for one host message. */
export function render(
  root: HTMLElement,
  msg: UsageHostToWebview,
  ui: UsageUi,
  last?: { range: UsageRange; scope: UsageScope },
): void {
  const doc = root.ownerDocument;
  if (msg.type === 'loading') {
    if (!root.firstChild) root.appendChild(el(doc, 'div', 'gb-muted', 'Loading usage…'));
    return;
  }
  if (msg.type === 'error') {
    root.replaceChildren(
      controls(doc, last?.range ?? '30d', last?.scope ?? 'current', ui),
      el(doc, 'div', 'gb-error', msg.message),
    );
    return;
  }
  const u = msg.data;
  const t = u.totals;
  const out: Node[] = [controls(doc, msg.range, msg.scope, ui)];

  const summary = el(doc, 'div', 'gb-summary');
  const stat = (label: string, value: string, cls = '') => {
    const s = el(doc, 'div', `gb-stat ${cls}`.trim());
    s.append(el(doc, 'div', 'gb-stat-value', value), el(doc, 'div', 'gb-stat-label', label));
    return s;
  };
  summary.append(
    stat('spent', money(t.costUsd)),
    stat('saved vs frontier', money(t.savingsUsd), t.savingsUsd > 0 ? 'gb-good' : ''),
    stat('requests', String(t.requests)),
  );
  out.push(summary);

  const chartBox = el(doc, 'section', 'gb-section');
  chartBox.appendChild(el(doc, 'h3', undefined, `Daily cost · ${u.since} – ${u.until}`));
  chartBox.appendChild(dailyChart(doc, u.days));
  const legend = el(doc, 'div', 'gb-legend');
  legend.append(
    el(doc, 'span', 'gb-key gb-key-cost', 'actual'),
    el(doc, 'span', 'gb-key gb-key-counterfactual', 'on the frontier model'),
  );
  chartBox.appendChild(legend);
  out.push(chartBox);

  const split = el(doc, 'section', 'gb-section');
  split.appendChild(el(doc, 'h3', undefined, 'Local vs closed'));
  const localShare = t.requests ? t.localRequests / t.requests : 0;
  const splitRow = el(doc, 'div', 'gb-row');
  splitRow.append(
    el(doc, 'span', 'gb-split-local', `${t.localRequests} local (${Math.round(localShare * 100)}%)`),
    el(doc, 'span', 'gb-split-closed', `${t.closedRequests} closed`),
  );
  split.append(splitRow, bar(doc, localShare, 'gb-fill-local'));
  out.push(split);

  const budget = el(doc, 'section', 'gb-section');
  budget.appendChild(el(doc, 'h3', undefined, 'Budget'));
  budget.append(
    budgetRow(doc, 'Today', u.budget.spentTodayUsd, u.budget.dailyUsd),
    budgetRow(doc, 'This month', u.budget.spentMonthUsd, u.budget.monthlyUsd),
  );
  out.push(budget);

  if (u.byModel.length) {
    const models = el(doc, 'section', 'gb-section');
    models.appendChild(el(doc, 'h3', undefined, 'Models'));
    const list = el(doc, 'ul', 'gb-models');
    for (const m of u.byModel.slice(0, 8)) {
      const li = el(doc, 'li', 'gb-row');
      li.append(
        el(doc, 'span', 'gb-model', `${m.key}${m.local ? ' · local' : ''}`),
        el(doc, 'span', 'gb-num', `${m.requests} · ${money(m.costUsd)}`),
      );
      list.appendChild(li);
    }
    models.appendChild(list);
    out.push(models);
  }
  if (u.routing) out.push(routingSection(doc, u.routing, ui));
  if (t.requests === 0) out.push(el(doc, 'div', 'gb-muted', 'No requests in this range yet.'));
  root.replaceChildren(...out);
}
