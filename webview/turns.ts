// The conversation log of the chat webview: renders user turns and answers (route details, usage,
// status, retry), streams answer text (re-rendered at most once per animation frame) and adds the
// code-block actions (copy, insert, apply) to the code in answers.
import type { AssistantTurn, Turn, UserTurn, WebviewToHost } from '../shared/webview-protocol';
import { tokensText } from './chips';
import type { Dom } from './dom';
import type { MarkdownRenderer } from './render';

export interface TurnsOptions {
  win: Window;
  dom: Dom;
  md: MarkdownRenderer;
  send(m: WebviewToHost): void;
}

export interface Turns {
  /** The log element: the turns, or an explanation while there are none. */
  element: HTMLElement;
  /** Replaces the whole conversation. */
  reset(turns: readonly Turn[]): void;
  /** Adds a turn, or replaces the one with its id. */
  upsert(t: Turn): void;
  remove(ids: readonly string[]): void;
  /** Appends streamed text to an answer; it is rendered on the next animation frame. */
  appendChunk(id: string, delta: string, model: string | undefined): void;
  /** Renders pending streamed text now. */
  flush(): void;
}

const EMPTY_TEXT =
  'Ask about your code. The selection (or the whole file) of the active editor is attached; type @ to add ' +
  'files, problems, the terminal, symbols or a code search. Gearbox picks the cheapest model that is good enough.';

export function createTurns({ win, dom, md, send }: TurnsOptions): Turns {
  const { el, button } = dom;
  let turns: Turn[] = [];
  const pendingRender = new Set<string>();
  let frame: number | undefined;

  const log = el('div', 'gb-log');
  log.setAttribute('role', 'log');
  log.setAttribute('aria-live', 'polite');
  log.setAttribute('aria-label', 'Conversation');
  log.tabIndex = 0;
  const empty = el('div', 'gb-empty', EMPTY_TEXT);

  function nearBottom(): boolean {
    return log.scrollHeight - log.scrollTop - log.clientHeight < 60;
  }
  function scrollToEnd(): void {
    log.scrollTop = log.scrollHeight;
  }

  function turnElement(id: string): HTMLElement | null {
    for (const child of Array.from(log.children)) {
      if ((child as HTMLElement).dataset.id === id) return child as HTMLElement;
    }
    return null;
  }

  function renderUser(t: UserTurn): HTMLElement {
    const box = el('div', 'gb-turn gb-user');
    box.dataset.id = t.id;
    box.append(el('div', 'gb-user-text', t.text));
    const notes: string[] = [];
    if (t.hint === 'stronger') notes.push('retried with a stronger model');
    if (t.model) notes.push(`model: ${t.model}`);
    if (t.context || t.chips?.length || notes.length) {
      const meta = el('div', 'gb-user-meta');
      if (t.context) {
        const c = el('span', 'gb-user-context', `⌗ ${t.context.label}`);
        if (t.context.detail) c.title = t.context.detail;
        meta.append(c);
      }
      for (const chip of t.chips ?? []) {
        const c = el('span', 'gb-user-context', `${chip.label} · ${tokensText(chip.tokens)}`);
        c.dataset.kind = chip.kind;
        if (chip.detail) c.title = chip.detail;
        meta.append(c);
      }
      if (notes.length) meta.append(el('span', 'gb-user-note', notes.join(' · ')));
      box.append(meta);
    }
    if (t.notice) {
      const n = el('div', 'gb-user-notice', t.notice);
      n.setAttribute('role', 'note');
      box.append(n);
    }
    return box;
  }

  function renderAnswer(t: AssistantTurn, isLast: boolean): HTMLElement {
    const box = el('div', `gb-turn gb-answer gb-status-${t.status}`);
    box.dataset.id = t.id;
    box.setAttribute('aria-busy', t.status === 'streaming' ? 'true' : 'false');

    const meta = el('div', 'gb-answer-meta');
    meta.append(el('span', 'gb-answer-model', t.model ?? (t.status === 'streaming' ? 'routing…' : 'no model')));
    if (t.route) {
      const details = el('details', 'gb-route');
      const summary = el('summary', 'gb-route-summary', t.route.summary);
      details.append(summary, routeDetails(t));
      meta.append(details);
    }
    const usage = usageLine(t);
    if (usage) meta.append(el('span', 'gb-answer-usage', usage));
    box.append(meta);

    const body = el('div', 'gb-answer-body gb-markdown');
    renderBody(body, t.text, t.id);
    box.append(body);

    if (t.status === 'interrupted') {
      const s = el('div', 'gb-answer-status', 'interrupted — ');
      s.setAttribute('role', 'alert');
      s.append(button('retry', 'gb-link', () => send({ type: 'retry' }), 'Retry'));
      if (t.error?.message) s.title = t.error.message;
      box.append(s);
      if (t.error?.message) box.append(el('div', 'gb-answer-error-detail', t.error.message));
    } else if (t.status === 'error') {
      const s = el('div', 'gb-answer-status gb-error', t.error?.message ?? 'The request failed.');
      s.setAttribute('role', 'alert');
      box.append(s);
    } else if (t.status === 'stopped') {
      box.append(el('div', 'gb-answer-status', 'stopped'));
    }

    if (isLast && t.status !== 'streaming') {
      const row = el('div', 'gb-answer-actions');
      if (t.status !== 'done') row.append(button('Retry', 'gb-secondary', () => send({ type: 'retry' })));
      row.append(
        button('Retry with a stronger model', 'gb-secondary gb-retry-stronger', () => send({ type: 'retryStronger' })),
      );
      box.append(row);
    }
    return box;
  }

  function routeDetails(t: AssistantTurn): HTMLElement {
    const d = el('div', 'gb-route-details');
    const r = t.route!;
    const facts: string[] = [];
    if (r.pinned) facts.push('model pinned (router bypassed)');
    if (typeof r.difficulty === 'number') facts.push(`difficulty ${r.difficulty.toFixed(2)}`);
    if (typeof r.requiredTier === 'number') facts.push(`needs tier ${r.requiredTier}`);
    if (facts.length) d.append(el('div', 'gb-route-facts', facts.join(' · ')));
    if (r.reasons.length) {
      d.append(el('div', 'gb-route-heading', 'Reasons'));
      const ul = el('ul', 'gb-route-reasons');
      for (const reason of r.reasons) {
        const w = reason.weight;
        ul.append(el('li', undefined, `${reason.feature} (${w >= 0 ? '+' : ''}${w.toFixed(2)}): ${reason.detail}`));
      }
      d.append(ul);
    }
    if (r.rejected.length) {
      d.append(el('div', 'gb-route-heading', 'Not chosen'));
      const ul = el('ul', 'gb-route-rejected');
      for (const rej of r.rejected) ul.append(el('li', undefined, `${rej.model} — ${rej.reason}: ${rej.detail}`));
      d.append(ul);
    }
    if (t.attempts?.length) {
      d.append(el('div', 'gb-route-heading', 'Failed first'));
      const ul = el('ul', 'gb-route-attempts');
      for (const a of t.attempts) ul.append(el('li', undefined, `${a.model}: ${a.error}`));
      d.append(ul);
    }
    return d;
  }

  function renderBody(body: HTMLElement, text: string, answerId: string): void {
    body.innerHTML = md.render(text);
    for (const pre of Array.from(body.querySelectorAll('pre'))) decorateCode(pre as HTMLElement, answerId);
  }

  /** The code's actions; each names its answer, whose feedback they are (copied, inserted, applied). */
  function decorateCode(pre: HTMLElement, answerId: string): void {
    const code = pre.querySelector('code');
    if (!code) return;
    const lang = /(?:^|\s)language-([\w+#.-]+)/.exec(code.className)?.[1];
    const wrap = el('div', 'gb-code-block');
    const bar = el('div', 'gb-code-toolbar');
    bar.append(el('span', 'gb-code-lang', lang ?? ''));
    const text = () => code.textContent ?? '';
    const copy = button('Copy', 'gb-code-action', () => {
      send({ type: 'copyCode', code: text(), answerId });
      copy.textContent = 'Copied';
      win.setTimeout(() => (copy.textContent = 'Copy'), 1500);
    });
    const apply = button('Apply', 'gb-code-action gb-apply', () =>
      send({ type: 'applyCode', code: text(), answerId, ...(lang ? { language: lang } : {}) }),
    );
    apply.title = 'Replace the selected lines, or merge into the whole file (shown as a diff to accept or reject)';
    bar.append(
      copy,
      button('Insert at Cursor', 'gb-code-action', () => send({ type: 'insertCode', code: text(), answerId })),
      apply,
    );
    pre.replaceWith(wrap);
    wrap.append(bar, pre);
  }

  function render(t: Turn): HTMLElement {
    return t.role === 'user' ? renderUser(t) : renderAnswer(t, t.id === lastAnswerId());
  }

  function renderAll(): void {
    log.textContent = '';
    if (turns.length === 0) log.append(empty);
    for (const t of turns) log.append(render(t));
    scrollToEnd();
  }

  function lastAnswerId(): string | undefined {
    const last = turns[turns.length - 1];
    return last?.role === 'assistant' ? last.id : undefined;
  }

  function upsert(t: Turn): void {
    const stick = nearBottom();
    const prevLast = lastAnswerId();
    const i = turns.findIndex((x) => x.id === t.id);
    if (i >= 0) turns[i] = t;
    else turns.push(t);
    pendingRender.delete(t.id);
    empty.remove();
    const next = render(t);
    const existing = turnElement(t.id);
    if (existing) existing.replaceWith(next);
    else log.append(next);
    // The previous last answer loses its retry buttons.
    if (prevLast && prevLast !== lastAnswerId()) rerender(prevLast);
    if (stick) scrollToEnd();
  }

  function rerender(id: string): void {
    const t = turns.find((x) => x.id === id);
    const existing = turnElement(id);
    if (!t || !existing) return;
    existing.replaceWith(render(t));
  }

  function remove(removed: readonly string[]): void {
    const ids = new Set(removed);
    turns = turns.filter((t) => !ids.has(t.id));
    for (const id of ids) turnElement(id)?.remove();
    const last = lastAnswerId();
    if (last) rerender(last);
    if (turns.length === 0) log.append(empty);
  }

  function appendChunk(id: string, delta: string, model: string | undefined): void {
    const t = turns.find((x) => x.id === id);
    if (t?.role !== 'assistant') return;
    t.text += delta;
    if (model && !t.model) t.model = model;
    scheduleRender(t.id);
  }

  function scheduleRender(id: string): void {
    pendingRender.add(id);
    if (frame !== undefined) return;
    const raf =
      win.requestAnimationFrame?.bind(win) ?? ((cb: FrameRequestCallback) => win.setTimeout(() => cb(Date.now()), 16));
    frame = raf(() => {
      frame = undefined;
      flush();
    });
  }

  function flush(): void {
    const stick = nearBottom();
    for (const id of pendingRender) {
      const t = turns.find((x) => x.id === id);
      const box = turnElement(id);
      if (t?.role !== 'assistant' || !box) continue;
      const body = box.querySelector('.gb-answer-body') as HTMLElement | null;
      if (body) renderBody(body, t.text, t.id);
      const model = box.querySelector('.gb-answer-model');
      if (model && t.model) model.textContent = t.model;
    }
    pendingRender.clear();
    if (stick) scrollToEnd();
  }

  return {
    element: log,
    reset(next) {
      turns = [...next];
      pendingRender.clear();
      renderAll();
    },
    upsert,
    remove,
    appendChunk,
    flush,
  };
}

/** "1,234 in / 56 out · $0.0012 · 1.4 s" for a finished answer. */
export function usageLine(t: Pick<AssistantTurn, 'usage' | 'costUsd' | 'latencyMs'>): string {
  const parts: string[] = [];
  if (t.usage)
    parts.push(
      `${t.usage.inputTokens.toLocaleString('en-US')} in / ${t.usage.outputTokens.toLocaleString('en-US')} out`,
    );
  if (typeof t.costUsd === 'number') parts.push(formatCost(t.costUsd));
  if (typeof t.latencyMs === 'number') parts.push(`${(t.latencyMs / 1000).toFixed(1)} s`);
  return parts.join(' · ');
}

export function formatCost(usd: number): string {
  if (usd === 0) return '$0';
  if (usd < 0.0001) return '<$0.0001';
  if (usd < 0.01) return `$${usd.toFixed(4)}`;
  return `$${usd.toFixed(2)}`;
}
