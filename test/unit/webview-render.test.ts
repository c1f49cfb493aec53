import { strict as assert } from 'node:assert';
import createDOMPurify from 'dompurify';
import { JSDOM } from 'jsdom';
import type { HostToWebview, Turn } from '../../shared/webview-protocol';
import { startApp, type ChatApp } from '../../webview/app';
import { formatCost, usageLine } from '../../webview/turns';
import { createMarkdownRenderer, escapeHtml, fenceLanguage } from '../../webview/render';

const XSS =
  'Here: <img src=x onerror=alert(1)> and <script>alert(1)</script> <iframe src="https://evil"></iframe>\n\n' +
  '<div onclick="alert(1)">x</div>\n\n[click](javascript:alert(1))';

function purifyFor(win: unknown) {
  return createDOMPurify(win as Parameters<typeof createDOMPurify>[0]);
}

describe('webview markdown render', () => {
  const dom = new JSDOM('<!DOCTYPE html><div id="out"></div>');
  const win = dom.window;
  const md = createMarkdownRenderer(purifyFor(win));
  const mount = (markdown: string) => {
    const out = win.document.getElementById('out')!;
    out.innerHTML = md.render(markdown);
    return out;
  };

  it('renders no raw HTML from model output', () => {
    const out = mount(XSS);
    assert.equal(out.querySelector('img'), null);
    assert.equal(out.querySelector('script'), null);
    assert.equal(out.querySelector('iframe'), null);
    assert.equal(out.querySelector('[onerror],[onclick]'), null);
    for (const a of Array.from(out.querySelectorAll('a')))
      assert.ok(!/javascript:/i.test(a.getAttribute('href') ?? ''));
    // The markup is shown as text instead.
    assert.match(out.textContent ?? '', /<img src=x onerror=alert\(1\)>/);
    assert.match(out.textContent ?? '', /<script>alert\(1\)<\/script>/);
  });

  it('keeps markdown formatting, highlights known languages', () => {
    const out = mount(
      '# Title\n\nSome **bold** and `code`.\n\n```ts\nconst x: number = 1;\n```\n\n' +
        '- a\n- b\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[docs](https://example.com)',
    );
    assert.ok(out.querySelector('h1'));
    assert.equal(out.querySelector('strong')?.textContent, 'bold');
    const code = out.querySelector('pre code')!;
    assert.match(code.className, /language-ts/);
    assert.ok(code.querySelector('.hljs-keyword'), 'highlighted');
    assert.equal(code.textContent, 'const x: number = 1;');
    assert.equal(out.querySelectorAll('li').length, 2);
    assert.ok(out.querySelector('table td'));
    assert.equal(out.querySelector('a')?.getAttribute('href'), 'https://example.com');
  });

  it('escapes code in unknown languages and unclosed fences while streaming', () => {
    const out = mount('```nosuchlang\n<b>x</b>\n```\n\n```py\ndef f():\n  return "<img src=x onerror=alert(1)>"');
    assert.equal(out.querySelector('b'), null);
    assert.equal(out.querySelector('img'), null);
    const blocks = out.querySelectorAll('pre code');
    assert.equal(blocks.length, 2);
    assert.equal(blocks[0]!.textContent, '<b>x</b>');
    assert.match(blocks[1]!.textContent ?? '', /return "<img src=x onerror=alert\(1\)>"/);
  });

  it('shows images as links, never <img>', () => {
    const out = mount('![diagram](https://example.com/x.png) ![local](file:///etc/passwd)');
    assert.equal(out.querySelector('img'), null);
    assert.equal(out.querySelector('a')?.getAttribute('href'), 'https://example.com/x.png');
    assert.match(out.textContent ?? '', /local/);
  });

  it('helpers', () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
    assert.equal(fenceLanguage('ts title=a.ts'), 'ts');
    assert.equal(fenceLanguage('shell'), 'shell');
    assert.equal(fenceLanguage('klingon'), undefined);
    assert.equal(formatCost(0), '$0');
    assert.equal(formatCost(0.00123), '$0.0012');
    assert.equal(formatCost(1.5), '$1.50');
    assert.equal(
      usageLine({ usage: { inputTokens: 1234, outputTokens: 56 }, costUsd: 0.002, latencyMs: 1400 }),
      '1,234 in / 56 out · $0.0020 · 1.4 s',
    );
  });
});

describe('webview app (jsdom)', () => {
  let dom: JSDOM;
  let posted: any[];
  let state: unknown;
  let app: ChatApp;
  let warnings: string[];
  const origWarn = console.warn;

  const doc = () => dom.window.document;
  const deliver = (m: HostToWebview | unknown) =>
    dom.window.dispatchEvent(new dom.window.MessageEvent('message', { data: m }));
  const byText = (sel: string, text: string) =>
    Array.from(doc().querySelectorAll<HTMLElement>(sel)).find((e) => e.textContent === text);
  const button = (label: string) => byText('button', label) as HTMLButtonElement | undefined;
  const input = () => doc().querySelector('textarea[aria-label="Message"]') as HTMLTextAreaElement;
  const key = (el: Element, k: string, extra: KeyboardEventInit = {}) =>
    el.dispatchEvent(new dom.window.KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true, ...extra }));

  const user: Turn = { id: 'u1', role: 'user', text: 'Explain this', context: { label: 'app.py:10-24' } };
  const answer: Turn = { id: 'a1', role: 'assistant', text: '', status: 'streaming' };
  const done: Turn = {
    id: 'a1',
    role: 'assistant',
    status: 'done',
    text: 'Use this:\n\n```python\nprint("hi")\n```\n',
    model: 'anthropic/claude-x',
    provider: 'anthropic',
    route: {
      summary: 'multi-file reasoning → tier 2',
      reasons: [{ feature: 'code-size', weight: 0.3, detail: '400 lines attached' }],
      rejected: [{ model: 'local/qwen', reason: 'tier-below-threshold', detail: 'tier 1 < 2' }],
    },
    usage: { inputTokens: 900, outputTokens: 40 },
    costUsd: 0.0031,
    latencyMs: 2100,
  };

  beforeEach(() => {
    dom = new JSDOM('<!DOCTYPE html><body><div id="app"></div></body>', { pretendToBeVisual: true });
    posted = [];
    state = { draft: 'half-typed' };
    warnings = [];
    console.warn = (...a: unknown[]) => void warnings.push(a.join(' '));
    app = startApp({
      win: dom.window as unknown as Window,
      api: { postMessage: (m) => posted.push(m), getState: () => state, setState: (s) => (state = s) },
      purify: purifyFor(dom.window),
    });
  });
  afterEach(() => {
    console.warn = origWarn;
    app.dispose();
    dom.window.close();
  });

  it('announces ready, restores the draft, has accessible controls', () => {
    assert.deepEqual(posted[0], { type: 'ready' });
    assert.equal(input().value, 'half-typed');
    const log = doc().querySelector('[role="log"]')!;
    assert.equal(log.getAttribute('aria-live'), 'polite');
    assert.ok(button('Send'));
    assert.equal(button('Stop')?.hidden, true);
    assert.ok(doc().querySelector('select[aria-label="Model"]'));
  });

  it('Enter sends, Shift+Enter does not, the draft is saved', () => {
    const ta = input();
    ta.value = 'line one';
    ta.dispatchEvent(new dom.window.Event('input'));
    assert.deepEqual(state, { draft: 'line one' });
    key(ta, 'Enter', { shiftKey: true });
    assert.equal(posted.filter((m) => m.type === 'send').length, 0);
    key(ta, 'Enter');
    assert.deepEqual(posted.at(-1), { type: 'send', text: 'line one' });
    assert.equal(ta.value, '');
    assert.deepEqual(state, { draft: '' });
  });

  it('streams an answer, shows Stop while streaming, Escape stops', () => {
    deliver({ type: 'init', turns: [], models: [], selectedModel: null, chips: [], streaming: false });
    deliver({ type: 'turn', turn: user });
    deliver({ type: 'turn', turn: answer });
    deliver({ type: 'streaming', streaming: true });
    assert.equal(button('Stop')?.hidden, false);
    assert.equal(button('Send')?.disabled, true);
    deliver({ type: 'chunk', id: 'a1', delta: 'Hello **wor', model: 'local/qwen' });
    deliver({ type: 'chunk', id: 'a1', delta: 'ld**' });
    app.flush();
    const box = doc().querySelector('[data-id="a1"]')!;
    assert.equal(box.querySelector('strong')?.textContent, 'world');
    assert.match(box.querySelector('.gb-answer-meta')!.textContent!, /local\/qwen/);
    assert.equal(box.getAttribute('aria-busy'), 'true');
    key(input(), 'Escape');
    assert.deepEqual(posted.at(-1), { type: 'stop' });
    deliver({ type: 'streaming', streaming: false });
    assert.equal(button('Stop')?.hidden, true);
  });

  it('shows the model, route summary (expandable), usage and code block actions', () => {
    deliver({ type: 'init', turns: [user, done], models: [], selectedModel: null, chips: [], streaming: false });
    const meta = doc().querySelector('.gb-answer-meta')!;
    assert.match(meta.textContent!, /anthropic\/claude-x/);
    assert.match(meta.textContent!, /multi-file reasoning → tier 2/);
    assert.match(meta.textContent!, /900 in \/ 40 out · \$0\.0031/);
    const details = meta.querySelector('details')!;
    assert.match(details.textContent!, /400 lines attached/);
    assert.match(details.textContent!, /local\/qwen — tier-below-threshold/);
    assert.match(doc().querySelector('.gb-user')!.textContent!, /app\.py:10-24/);

    button('Copy')!.click();
    // Each action names its answer: its feedback for the router.
    assert.deepEqual(posted.at(-1), { type: 'copyCode', code: 'print("hi")', answerId: 'a1' });
    button('Insert at Cursor')!.click();
    assert.deepEqual(posted.at(-1), { type: 'insertCode', code: 'print("hi")', answerId: 'a1' });
    button('Apply')!.click();
    assert.deepEqual(posted.at(-1), { type: 'applyCode', code: 'print("hi")', answerId: 'a1', language: 'python' });
    button('Retry with a stronger model')!.click();
    assert.deepEqual(posted.at(-1), { type: 'retryStronger' });
  });

  it('keeps a cut stream, marked interrupted with retry', () => {
    const cut: Turn = {
      id: 'a1',
      role: 'assistant',
      status: 'interrupted',
      text: 'partial answ',
      model: 'openai/x',
      error: { message: 'socket hang up', code: -32009 },
    };
    deliver({ type: 'init', turns: [user, cut], models: [], selectedModel: null, chips: [], streaming: false });
    const box = doc().querySelector('[data-id="a1"]')!;
    assert.match(box.querySelector('.gb-answer-body')!.textContent!, /partial answ/);
    assert.match(box.querySelector('.gb-answer-status')!.textContent!, /interrupted — retry/);
    (box.querySelector('button[aria-label="Retry"]') as HTMLButtonElement).click();
    assert.deepEqual(posted.at(-1), { type: 'retry' });
    assert.ok(button('Retry with a stronger model'));
  });

  it('model picker: Auto + models, unavailable ones disabled with their reason', () => {
    deliver({
      type: 'models',
      models: [
        { id: 'local/qwen', label: 'Qwen (local)', available: true },
        { id: 'openai/gpt', label: 'GPT', available: false, unavailableReason: 'no API key' },
      ],
      selectedModel: null,
    });
    const select = doc().querySelector('select[aria-label="Model"]') as HTMLSelectElement;
    const opts = Array.from(select.options);
    assert.deepEqual(
      opts.map((o) => o.textContent),
      ['Auto', 'Qwen (local)', 'GPT — no API key'],
    );
    assert.equal(opts[2]!.disabled, true);
    select.value = 'local/qwen';
    select.dispatchEvent(new dom.window.Event('change'));
    assert.deepEqual(posted.at(-1), { type: 'selectModel', model: 'local/qwen' });
  });

  it('chips with their size and a remove button, the budget, and a notice', () => {
    deliver({
      type: 'chips',
      chips: [
        { id: 'editor', kind: 'editor', label: 'app.py:10-24', detail: 'src/app.py', tokens: 120 },
        { id: 'c2', kind: 'codebase', label: '@codebase parse dates (3)', tokens: 2400 },
      ],
      budget: { tokens: 2520, limit: 2000, model: 'local/small' },
      notice: 'No problems in the workspace right now.',
    });
    const labels = Array.from(doc().querySelectorAll('.gb-chip-label')).map((e) => e.textContent);
    assert.deepEqual(labels, ['app.py:10-24', '@codebase parse dates (3)']);
    assert.deepEqual(
      Array.from(doc().querySelectorAll('.gb-chip-tokens')).map((e) => e.textContent),
      ['120', '2.4k'],
    );
    assert.match(
      doc().querySelector('.gb-budget.gb-over')!.textContent!,
      /2\.5k of 2\.0k tokens for local\/small.*trimmed/,
    );
    assert.match(doc().querySelector('.gb-notice')!.textContent!, /No problems/);
    (doc().querySelector('button[aria-label="Remove @codebase parse dates (3)"]') as HTMLButtonElement).click();
    assert.deepEqual(posted.at(-1), { type: 'removeChip', id: 'c2' });
    deliver({ type: 'chips', chips: [] });
    assert.equal(doc().querySelector('.gb-chip'), null);
    // A sent turn lists its chips (references) and the trimming notice.
    deliver({
      type: 'turn',
      turn: {
        id: 'u9',
        role: 'user',
        text: 'why?',
        chips: [{ id: 'c2', kind: 'codebase', label: '@codebase parse dates (3)', tokens: 2400 }],
        notice: 'Context trimmed to fit local/small',
      },
    });
    const turn = doc().querySelector('[data-id="u9"]')!;
    assert.match(turn.textContent!, /@codebase parse dates \(3\) · 2\.4k/);
    assert.match(turn.querySelector('.gb-user-notice')!.textContent!, /trimmed/);
  });

  it('typing @ opens the mention menu; Enter picks a kind, which leaves the text and asks for the chip', () => {
    const ta = input();
    const menu = () => doc().querySelector('.gb-mentions') as HTMLElement;
    const type = (text: string) => {
      ta.value = text;
      ta.setSelectionRange(text.length, text.length);
      ta.dispatchEvent(new dom.window.Event('input'));
    };
    type('where are dates parsed? @');
    assert.equal(menu().hidden, false);
    assert.equal(menu().querySelectorAll('[role="option"]').length, 7);
    type('where are dates parsed? @co');
    assert.deepEqual(
      Array.from(menu().querySelectorAll('.gb-mention-kind')).map((e) => e.textContent),
      ['@codebase'],
    );
    key(ta, 'Enter');
    assert.equal(menu().hidden, true);
    assert.equal(ta.value, 'where are dates parsed? ');
    assert.deepEqual(posted.at(-1), { type: 'addContext', kind: 'codebase', draft: 'where are dates parsed? ' });
    assert.equal(posted.filter((m) => m.type === 'send').length, 0, 'Enter picked, it did not send');
    // Routing hints are not kinds: the menu closes and Enter sends.
    type('explain @best');
    assert.equal(menu().hidden, true);
    key(ta, 'Enter');
    assert.deepEqual(posted.at(-1), { type: 'send', text: 'explain @best' });
    // The @ button opens it too; arrows move, Escape closes.
    button('@')!.click();
    assert.equal(menu().hidden, false);
    key(ta, 'ArrowDown');
    assert.equal(menu().querySelector('.gb-active .gb-mention-kind')!.textContent, '@selection');
    key(ta, 'Escape');
    assert.equal(menu().hidden, true);
  });

  it('drops invalid messages and never renders injected HTML', () => {
    deliver({ type: 'turn', turn: { id: 'x', role: 'assistant' } });
    deliver({ type: 'html', html: '<img src=x onerror=alert(1)>' });
    assert.equal(warnings.length, 2);
    assert.equal(doc().querySelector('[data-id="x"]'), null);
    deliver({ type: 'turn', turn: user });
    deliver({ type: 'turn', turn: { ...answer } });
    deliver({ type: 'chunk', id: 'a1', delta: 'Look <img src=x onerror=alert(1)> <script>alert(1)</script>' });
    app.flush();
    deliver({ type: 'turn', turn: { ...done, text: 'Done <img src=x onerror=alert(1)><script>alert(2)</script>' } });
    const log = doc().querySelector('[role="log"]')!;
    assert.equal(log.querySelector('img'), null);
    assert.equal(log.querySelector('script'), null);
    assert.match(log.textContent!, /<img src=x onerror=alert\(1\)>/);
  });

  it('a retry replaces the last answer', () => {
    deliver({ type: 'init', turns: [user, done], models: [], selectedModel: null, chips: [], streaming: false });
    deliver({ type: 'removeTurns', ids: ['a1'] });
    assert.equal(doc().querySelector('[data-id="a1"]'), null);
    deliver({ type: 'turn', turn: { ...user, hint: 'stronger' } });
    assert.match(doc().querySelector('.gb-user')!.textContent!, /stronger model/);
    deliver({ type: 'turn', turn: { ...answer, id: 'a2' } });
    assert.ok(doc().querySelector('[data-id="a2"]'));
    assert.equal(doc().querySelectorAll('.gb-user').length, 1);
  });
});
