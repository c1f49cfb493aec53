// The Usage view's "Learned from your feedback" section: how each model's capability and each kind
// of request's difficulty moved from the published numbers, acceptance and escalation per tier and
// model, and the savings after the answers that fail, with their 90 % band. DOM building only.
import type { RoutingSnapshot } from '../../shared/usage-webview-protocol';
import { el, money } from './dom';
import type { UsageUi } from './render';

/** "+0.31", "−0.42". */
function signed(x: number): string {
  return `${x < 0 ? '−' : '+'}${Math.abs(x).toFixed(2)}`;
}

function pct(rate: number | null): string {
  return rate === null ? '–' : `${Math.round(rate * 100)}%`;
}

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

function rateRow(doc: Document, r: RoutingSnapshot['byModel'][number], cls: string): HTMLElement {
  // Two lines: model ids are long and the sidebar is narrow.
  const li = el(doc, 'li', `gb-rate ${cls}`);
  const judged = r.taken + r.rejected;
  li.append(
    el(doc, 'div', 'gb-model', `${r.key}${r.local ? ' · local' : ''}`),
    el(
      doc,
      'div',
      'gb-rate-nums',
      `${pct(r.acceptanceRate)} taken of ${judged} · ${pct(r.escalationRate)} escalated of ${r.requests}`,
    ),
  );
  li.title =
    `${r.requests} chat and refactor answers; ${r.taken} taken (applied, inserted, copied, diff accepted), ` +
    `${r.rejected} rejected (diff rejected, retried with a stronger model), ${r.escalations} retried stronger`;
  return li;
}

export function routingSection(doc: Document, r: RoutingSnapshot, ui: UsageUi): HTMLElement {
  const box = el(doc, 'section', 'gb-section gb-routing');
  box.appendChild(el(doc, 'h3', undefined, 'Learned from your feedback'));
  box.appendChild(
    el(
      doc,
      'div',
      'gb-muted gb-learning-state',
      r.learning
        ? 'Learning is on: accepted and rejected answers adjust routing, on this machine only.'
        : 'Learning is off (gearbox.routing.learning): routing uses the published numbers.',
    ),
  );

  const cal = el(doc, 'ul', 'gb-calibration');
  for (const m of r.models.slice(0, 8)) {
    const li = el(doc, 'li', 'gb-row gb-cal-model');
    li.append(
      el(doc, 'span', 'gb-model', m.model),
      el(
        doc,
        'span',
        `gb-num ${m.shift < 0 ? 'gb-down' : m.shift > 0 ? 'gb-up' : ''}`.trim(),
        `θ ${m.publishedTheta.toFixed(2)} → ${m.theta.toFixed(2)} (${signed(m.shift)})`,
      ),
    );
    li.title =
      `capability: published ${m.publishedTheta.toFixed(2)}, for you ${m.theta.toFixed(2)}, ` +
      `from ${plural(m.signals, 'signal')}`;
    cal.appendChild(li);
  }
  for (const d of r.difficulty.slice(0, 8)) {
    const li = el(doc, 'li', 'gb-row gb-cal-difficulty');
    li.append(
      el(doc, 'span', 'gb-model', `${d.task} · ${d.language}`),
      el(doc, 'span', 'gb-num', `difficulty ${signed(d.shift)}`),
    );
    li.title =
      `${d.task} requests in ${d.language} count as this much harder for you, ` + `from ${plural(d.signals, 'signal')}`;
    cal.appendChild(li);
  }
  if (cal.childElementCount) box.appendChild(cal);
  else box.appendChild(el(doc, 'div', 'gb-muted', 'Nothing learned yet.'));

  if (r.byTier.length) {
    box.appendChild(el(doc, 'h3', undefined, 'Acceptance by tier'));
    const tiers = el(doc, 'ul', 'gb-rates');
    for (const t of r.byTier) tiers.appendChild(rateRow(doc, t, 'gb-rate-tier'));
    box.appendChild(tiers);
  }
  if (r.byModel.length) {
    box.appendChild(el(doc, 'h3', undefined, 'Acceptance by model'));
    const models = el(doc, 'ul', 'gb-rates');
    for (const m of r.byModel.slice(0, 8)) models.appendChild(rateRow(doc, m, 'gb-rate-model'));
    box.appendChild(models);
  }

  const s = r.savings;
  const savings = el(doc, 'div', 'gb-savings-band');
  savings.append(
    el(doc, 'div', undefined, `Saved after redoing failed answers: ${money(s.expectedUsd)}`),
    el(
      doc,
      'div',
      'gb-muted',
      `90% band ${money(s.lowUsd)} – ${money(s.highUsd)}; ledger ${money(s.ledgerUsd)}; cheaper answers fail ` +
        `~${pct(s.failureRate)} (router's estimate and ${plural(s.judged, 'signal')})`,
    ),
  );
  box.appendChild(savings);

  const reset = el(doc, 'button', 'gb-reset-calibration', 'Reset calibration');
  reset.type = 'button';
  reset.title = 'Gearbox: Reset Routing Calibration — forget what was learned from your feedback';
  reset.addEventListener('click', () => ui.onResetCalibration());
  box.appendChild(reset);
  if (r.resetAt) box.appendChild(el(doc, 'div', 'gb-muted', `last reset ${r.resetAt.slice(0, 16).replace('T', ' ')}`));
  return box;
}
