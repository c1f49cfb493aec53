// The chat webview UI. No framework: the extension owns the conversation and sends turns, chunks
// and state; this renders them. Every incoming message is validated with the shared schemas.
import type { DOMPurify } from 'dompurify';
import {
  parseHostToWebview,
  type AssistantTurn,
  type ContextChip,
  type HostToWebview,
  type ModelOption,
  type Turn,
  type UserTurn,
  type WebviewToHost,
} from '../shared/webview-protocol';
import { createMarkdownRenderer, type MarkdownRenderer } from './render';

export interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}

export interface AppOptions {
  win: Window;
  api: VsCodeApi;
  purify: DOMPurify;
  /** Element to render into (default: #app, else body). */
  root?: HTMLElement;
}

export interface ChatApp {
  dispose(): void;
  /** Renders pending streamed text now (tests; normally done on the next animation frame). */
  flush(): void;
}

interface DraftState {
  draft?: string;
}

export function startApp(opts: AppOptions): ChatApp {
  const { win, api } = opts;
  const doc = win.document;
  const md: MarkdownRenderer = createMarkdownRenderer(opts.purify);
  const root = opts.root ?? doc.getElementById('app') ?? doc.body;

  const el = <K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] => {
    const e = doc.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const button = (label: string, cls: string, onClick: () => void, ariaLabel?: string): HTMLButtonElement => {
    const b = el('button', cls, label);
    b.type = 'button';
    if (ariaLabel) b.setAttribute('aria-label', ariaLabel);
    b.addEventListener('click', onClick);
    return b;
  };
  const send = (m: WebviewToHost) => api.postMessage(m);

  // ---------- state ----------
  let turns: Turn[] = [];
  let streaming = false;
  let models: ModelOption[] = [];
  let selectedModel: string | null = null;
  let chip: ContextChip | null = null;
  const pendingRender = new Set<string>();
  let frame: number | undefined;

  // ---------- layout ----------
  root.textContent = '';
  const app = el('div', 'gb-app');

  const header = el('header', 'gb-header');
  const picker = el('select', 'gb-model-picker');
  picker.setAttribute('aria-label', 'Model');
  picker.title = 'Model for the next requests in this view';
  const connection = el('span', 'gb-connection');
  connection.setAttribute('role', 'status');
  header.append(picker, connection);

  const log = el('div', 'gb-log');
  log.setAttribute('role', 'log');
  log.setAttribute('aria-live', 'polite');
  log.setAttribute('aria-label', 'Conversation');
  log.tabIndex = 0;
  const empty = el(
    'div',
    'gb-empty',
    'Ask about your code. The selection (or the whole file) of the active editor is attached; Gearbox picks the cheapest model that is good enough.',
  );

  const composer = el('footer', 'gb-composer');
  const chipRow = el('div', 'gb-context-row');
  const input = el('textarea', 'gb-input');
  input.setAttribute('aria-label', 'Message');
  input.placeholder = 'Ask Gearbox… (Enter to send, Shift+Enter for a new line)';
  input.rows = 3;
  const actions = el('div', 'gb-composer-actions');
  const sendBtn = button('Send', 'gb-send gb-primary', () => submit());
  const stopBtn = button('Stop', 'gb-stop', () => send({ type: 'stop' }));
  stopBtn.hidden = true;
  actions.append(sendBtn, stopBtn);
  composer.append(chipRow, input, actions);

  app.append(header, log, composer);
  root.append(app);

  // ---------- draft ----------
  const saved = (api.getState() ?? {}) as DraftState;
  if (typeof saved.draft === 'string') input.value = saved.draft;
  const saveDraft = () =>
    api.setState({ ...((api.getState() ?? {}) as object), draft: input.value } satisfies DraftState);

  // ---------- composer ----------
  function submit(): void {
    const text = input.value.trim();
    if (!text || streaming) return;
    send({ type: 'send', text });
    input.value = '';
    saveDraft();
    autosize();
  }
  function autosize(): void {
    input.style.height = 'auto';
    const h = Math.min(input.scrollHeight, 240);
    if (h > 0) input.style.height = `${h}px`;
  }
  input.addEventListener('input', () => {
    saveDraft();
    autosize();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      submit();
    } else if (e.key === 'Escape' && streaming) {
      e.preventDefault();
      send({ type: 'stop' });
    }
  });
  const onDocKey = (e: KeyboardEvent) => {
    if (e.key === 'Escape' && streaming && e.target !== input) {
      e.preventDefault();
      send({ type: 'stop' });
    }
  };
  doc.addEventListener('keydown', onDocKey);

  picker.addEventListener('change', () => {
    selectedModel = picker.value || null;
    send({ type: 'selectModel', model: selectedModel });
  });

  // ---------- rendering ----------
  function renderPicker(): void {
    picker.textContent = '';
    const auto = el('option', undefined, 'Auto');
    auto.value = '';
    picker.append(auto);
    const known = new Set<string>();
    for (const m of models) {
      known.add(m.id);
      const o = el('option', undefined, m.available ? m.label : `${m.label} — ${m.unavailableReason ?? 'unavailable'}`);
      o.value = m.id;
      o.disabled = !m.available;
      o.title = m.available ? m.id : `${m.id}: ${m.unavailableReason ?? 'unavailable'}`;
      picker.append(o);
    }
    if (selectedModel && !known.has(selectedModel)) {
      const o = el('option', undefined, selectedModel);
      o.value = selectedModel;
      picker.append(o);
    }
    picker.value = selectedModel ?? '';
  }

  function renderChip(): void {
    chipRow.textContent = '';
    if (!chip) {
      chipRow.hidden = true;
      return;
    }
    chipRow.hidden = false;
    const c = el('span', 'gb-chip');
    if (chip.detail) c.title = chip.detail;
    const label = el('span', 'gb-chip-label', chip.label);
    const remove = button('×', 'gb-chip-remove', () => send({ type: 'removeContext' }), 'Remove context');
    c.append(el('span', 'gb-chip-icon', '⌗'), label, remove);
    chipRow.append(c);
  }

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
    if (t.context || notes.length) {
      const meta = el('div', 'gb-user-meta');
      if (t.context) {
        const c = el('span', 'gb-user-context', `⌗ ${t.context.label}`);
        if (t.context.detail) c.title = t.context.detail;
        meta.append(c);
      }
      if (notes.length) meta.append(el('span', 'gb-user-note', notes.join(' · ')));
      box.append(meta);
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
    renderBody(body, t.text);
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

  function renderBody(body: HTMLElement, text: string): void {
    body.innerHTML = md.render(text);
    for (const pre of Array.from(body.querySelectorAll('pre'))) decorateCode(pre as HTMLElement);
  }

  function decorateCode(pre: HTMLElement): void {
    const code = pre.querySelector('code');
    if (!code) return;
    const lang = /(?:^|\s)language-([\w+#.-]+)/.exec(code.className)?.[1];
    const wrap = el('div', 'gb-code-block');
    const bar = el('div', 'gb-code-toolbar');
    bar.append(el('span', 'gb-code-lang', lang ?? ''));
    const text = () => code.textContent ?? '';
    const copy = button('Copy', 'gb-code-action', () => {
      send({ type: 'copyCode', code: text() });
      copy.textContent = 'Copied';
      win.setTimeout(() => (copy.textContent = 'Copy'), 1500);
    });
    bar.append(
      copy,
      button('Insert at Cursor', 'gb-code-action', () => send({ type: 'insertCode', code: text() })),
      button('Apply to Selection', 'gb-code-action', () =>
        send({ type: 'applyCode', code: text(), ...(lang ? { language: lang } : {}) }),
      ),
    );
    pre.replaceWith(wrap);
    wrap.append(bar, pre);
  }

  function renderAll(): void {
    log.textContent = '';
    if (turns.length === 0) log.append(empty);
    const lastAnswer = lastAnswerId();
    for (const t of turns) log.append(t.role === 'user' ? renderUser(t) : renderAnswer(t, t.id === lastAnswer));
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
    const next = t.role === 'user' ? renderUser(t) : renderAnswer(t, t.id === lastAnswerId());
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
    existing.replaceWith(t.role === 'user' ? renderUser(t) : renderAnswer(t, t.id === lastAnswerId()));
  }

  function scheduleRender(id: string): void {
    pendingRender.add(id);
    if (frame !== undefined) return;
    const raf =
      win.requestAnimationFrame?.bind(win) ?? ((cb: FrameRequestCallback) => win.setTimeout(() => cb(Date.now()), 16));
    frame = raf(() => {
      frame = undefined;
      flushRenders();
    });
  }

  function flushRenders(): void {
    const stick = nearBottom();
    for (const id of pendingRender) {
      const t = turns.find((x) => x.id === id);
      const box = turnElement(id);
      if (t?.role !== 'assistant' || !box) continue;
      const body = box.querySelector('.gb-answer-body') as HTMLElement | null;
      if (body) renderBody(body, t.text);
      const model = box.querySelector('.gb-answer-model');
      if (model && t.model) model.textContent = t.model;
    }
    pendingRender.clear();
    if (stick) scrollToEnd();
  }

  function setStreaming(on: boolean): void {
    streaming = on;
    stopBtn.hidden = !on;
    sendBtn.disabled = on;
    app.classList.toggle('gb-streaming', on);
  }

  function setConnection(state: string | undefined): void {
    const text =
      state === 'startFailed'
        ? 'The Gearbox daemon could not start — see Gearbox: Show Logs.'
        : state === 'starting'
          ? 'Starting the Gearbox daemon…'
          : state === 'stopped'
            ? 'The Gearbox daemon is not running.'
            : '';
    connection.textContent = text;
    connection.hidden = !text;
  }

  // ---------- messages from the extension ----------
  function handle(m: HostToWebview): void {
    switch (m.type) {
      case 'init':
        turns = [...m.turns];
        models = m.models;
        selectedModel = m.selectedModel;
        chip = m.context;
        pendingRender.clear();
        setStreaming(m.streaming);
        setConnection(m.connection);
        renderPicker();
        renderChip();
        renderAll();
        return;
      case 'models':
        models = m.models;
        selectedModel = m.selectedModel;
        renderPicker();
        picker.title = m.error ? `Could not list models: ${m.error}` : 'Model for the next requests in this view';
        return;
      case 'context':
        chip = m.context;
        renderChip();
        return;
      case 'turn':
        upsert(m.turn);
        return;
      case 'removeTurns': {
        const ids = new Set(m.ids);
        turns = turns.filter((t) => !ids.has(t.id));
        for (const id of ids) turnElement(id)?.remove();
        const last = lastAnswerId();
        if (last) rerender(last);
        if (turns.length === 0) log.append(empty);
        return;
      }
      case 'chunk': {
        const t = turns.find((x) => x.id === m.id);
        if (t?.role !== 'assistant') return;
        t.text += m.delta;
        if (m.model && !t.model) t.model = m.model;
        scheduleRender(t.id);
        return;
      }
      case 'streaming':
        setStreaming(m.streaming);
        return;
      case 'connection':
        setConnection(m.state);
        return;
      case 'focusInput':
        input.focus();
        return;
    }
  }

  const onMessage = (e: MessageEvent) => {
    const parsed = parseHostToWebview(e.data);
    if (!parsed.ok) {
      console.warn(`gearbox chat: dropped an invalid message from the extension: ${parsed.error}`);
      return;
    }
    handle(parsed.message);
  };
  win.addEventListener('message', onMessage);

  renderPicker();
  renderChip();
  renderAll();
  setStreaming(false);
  setConnection(undefined);
  autosize();
  send({ type: 'ready' });

  return {
    dispose() {
      win.removeEventListener('message', onMessage);
      doc.removeEventListener('keydown', onDocKey);
    },
    flush: flushRenders,
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
