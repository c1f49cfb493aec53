import { strict as assert } from 'node:assert';
import type { ChipRef, Turn } from '../../shared/webview-protocol';
import {
  MAX_CONTEXT_CHARS,
  buildAttachedContext,
  capText,
  chipLabel,
  lineSpan,
  offsetAt,
  sliceRange,
} from '../../extension/chat/context';
import { HISTORY_KEY, HistoryStore, trimHistory, type MementoLike } from '../../extension/chat/history';

class FakeMemento implements MementoLike {
  data = new Map<string, unknown>();
  writes = 0;
  get<T>(key: string): T | undefined {
    const v = this.data.get(key);
    return v === undefined ? undefined : (JSON.parse(JSON.stringify(v)) as T);
  }
  async update(key: string, value: unknown): Promise<void> {
    this.writes++;
    this.data.set(key, JSON.parse(JSON.stringify(value)));
  }
}

const u = (id: string, text = 'q'): Turn => ({ id, role: 'user', text });
const a = (id: string, text = 'a', status: 'done' | 'streaming' = 'done'): Turn => ({
  id,
  role: 'assistant',
  text,
  status,
});

describe('chat history store', () => {
  it('round-trips turns, the last chips (references, not contents) and the model pick', async () => {
    const m = new FakeMemento();
    const store = new HistoryStore(m);
    assert.deepEqual(store.load(), { turns: [], selectedModel: null });
    const lastChips: ChipRef[] = [
      { id: 'c1', kind: 'file', label: '@file a.py', tokens: 3, uris: ['file:///a.py'] },
      { id: 'c2', kind: 'codebase', label: '@codebase parse (2)', tokens: 90, query: 'parse dates' },
    ];
    const chips = [{ id: 'c1', kind: 'file' as const, label: '@file a.py', tokens: 3, uris: ['file:///a.py'] }];
    const asked: Turn = { id: '1', role: 'user', text: 'q', chips };
    await store.save({ turns: [asked, a('2')], selectedModel: 'local/qwen', lastChips });
    const again = new HistoryStore(m).load();
    assert.deepEqual(
      again.turns.map((t) => t.id),
      ['1', '2'],
    );
    assert.equal(again.selectedModel, 'local/qwen');
    assert.deepEqual(again.lastChips, lastChips);
    assert.deepEqual(again.turns[0]!.role === 'user' && again.turns[0]!.chips, chips);
    // What is stored has no room for content: a chip with text is not a chip.
    m.data.set(HISTORY_KEY, { version: 1, turns: [], selectedModel: null, lastChips: [{ ...lastChips[0], text: 1 }] });
    assert.deepEqual(new HistoryStore(m).load().lastChips?.[0], lastChips[0]);
  });

  it('marks an answer that was streaming at reload as interrupted', async () => {
    const m = new FakeMemento();
    await new HistoryStore(m).save({ turns: [u('1'), a('2', 'part', 'streaming')], selectedModel: null });
    const t = new HistoryStore(m).load().turns[1]!;
    assert.equal(t.role === 'assistant' && t.status, 'interrupted');
  });

  it('drops invalid stored data instead of failing', () => {
    const m = new FakeMemento();
    const why: string[] = [];
    m.data.set(HISTORY_KEY, 'garbage');
    assert.deepEqual(new HistoryStore(m, {}, (w) => why.push(w)).load().turns, []);
    m.data.set(HISTORY_KEY, { version: 1, turns: [u('1'), { id: 'x', role: 'robot' }, a('2')], selectedModel: null });
    assert.deepEqual(
      new HistoryStore(m, {}, (w) => why.push(w)).load().turns.map((t) => t.id),
      ['1', '2'],
    );
    assert.equal(why.length, 2);
  });

  it('caps the number of turns and never keeps an answer without its question', () => {
    const turns: Turn[] = [];
    for (let i = 0; i < 10; i++) turns.push(u(`u${i}`), a(`a${i}`));
    const out = trimHistory({ turns, selectedModel: null }, { maxTurns: 5, maxChars: 1e9 });
    assert.equal(out.turns[0]!.role, 'user');
    assert.deepEqual(
      out.turns.map((t) => t.id),
      ['u8', 'a8', 'u9', 'a9'],
    );
  });

  it('caps the stored size', async () => {
    const m = new FakeMemento();
    const store = new HistoryStore(m, { maxTurns: 1000, maxChars: 20_000 });
    const turns: Turn[] = [];
    for (let i = 0; i < 50; i++) turns.push(u(`u${i}`, 'q'.repeat(100)), a(`a${i}`, 'x'.repeat(900)));
    turns.push(u('big', 'y'.repeat(50_000)));
    const lastChips = Array.from(
      { length: 200 },
      (_, i): ChipRef => ({
        id: `c${i}`,
        kind: 'file',
        label: `@file ${'z'.repeat(400)}`,
        tokens: 1,
      }),
    );
    await store.save({ turns, selectedModel: null, lastChips });
    const raw = JSON.stringify(m.data.get(HISTORY_KEY));
    assert.ok(raw.length <= 20_000, `stored ${raw.length} chars`);
    const loaded = store.load();
    assert.equal(loaded.lastChips, undefined, 'oversized chip references are not stored');
    assert.match(loaded.turns.at(-1)!.text, /truncated in history/);
  });

  it('clear keeps the model pick', async () => {
    const m = new FakeMemento();
    const store = new HistoryStore(m);
    await store.save({ turns: [u('1')], selectedModel: 'm' });
    await store.clear('m');
    assert.deepEqual(store.load(), { turns: [], selectedModel: 'm' });
  });
});

describe('chat context', () => {
  const text = 'line1\nline2\r\nline3\nline4';
  const sel = (sl: number, sc: number, el: number, ec: number) => ({
    start: { line: sl, character: sc },
    end: { line: el, character: ec },
  });

  it('labels the chip like app.py:10-24', () => {
    assert.equal(chipLabel('/home/u/proj/app.py', sel(9, 0, 23, 5)), 'app.py:10-24');
    assert.equal(
      chipLabel('C:\\proj\\app.py', sel(9, 0, 24, 0)),
      'app.py:10-24',
      'a selection ending at column 0 excludes that line',
    );
    assert.equal(chipLabel('app.py', sel(3, 1, 3, 7)), 'app.py:4');
    assert.equal(chipLabel('app.py', sel(3, 1, 3, 1)), 'app.py');
    assert.equal(chipLabel('app.py'), 'app.py');
    assert.deepEqual(lineSpan(sel(5, 2, 1, 0)), { first: 2, last: 6 }, 'reversed selection');
  });

  it('slices ranges like the daemon (CRLF aware)', () => {
    assert.equal(offsetAt(text, { line: 2, character: 0 }), 13);
    assert.equal(sliceRange(text, sel(1, 0, 2, 5)), 'line2\r\nline3');
    assert.equal(sliceRange(text, sel(1, 0, 1, 99)), 'line2');
  });

  it('attaches the selection with the document text', () => {
    const ctx = buildAttachedContext({
      uri: 'file:///p/app.py',
      fileName: '/p/app.py',
      languageId: 'python',
      text,
      selection: sel(1, 0, 2, 5),
    })!;
    assert.equal(ctx.chip.label, 'app.py:2-3');
    assert.deepEqual(ctx.context, { uri: 'file:///p/app.py', languageId: 'python', text, selection: sel(1, 0, 2, 5) });
    assert.equal(sliceRange(ctx.context.text!, ctx.context.selection!), 'line2\r\nline3');
  });

  it('attaches the whole file when nothing is selected, capped', () => {
    const big = `${'x'.repeat(99)}\n`.repeat(3000);
    const ctx = buildAttachedContext({
      uri: 'file:///p/big.ts',
      fileName: '/p/big.ts',
      languageId: 'typescript',
      text: big,
      selection: sel(0, 0, 0, 0),
    })!;
    assert.equal(ctx.chip.label, 'big.ts');
    assert.equal(ctx.context.selection, undefined);
    assert.ok(ctx.context.text!.length <= MAX_CONTEXT_CHARS);
    assert.ok(ctx.context.text!.endsWith('x'), 'cut at a line break');
    assert.match(ctx.chip.detail!, /first/);
  });

  it('sends only the selected text for a huge document', () => {
    const huge = 'a\n'.repeat(1_500_000);
    const ctx = buildAttachedContext({
      uri: 'file:///h.txt',
      fileName: 'h.txt',
      languageId: 'plaintext',
      text: huge,
      selection: sel(10, 0, 12, 1),
    })!;
    assert.equal(ctx.context.text, 'a\na\na');
    assert.equal(ctx.context.selection, undefined);
    assert.equal(ctx.chip.label, 'h.txt:11-13');
  });

  it('attaches nothing for an empty file or a whitespace selection', () => {
    assert.equal(
      buildAttachedContext({ uri: 'u', fileName: 'e.ts', languageId: 'ts', text: '  \n', selection: sel(0, 0, 0, 0) }),
      undefined,
    );
    assert.equal(
      buildAttachedContext({ uri: 'u', fileName: 'e.ts', languageId: 'ts', text: 'a   b', selection: sel(0, 1, 0, 3) }),
      undefined,
    );
  });

  it('capText keeps short text and splits surrogate pairs safely', () => {
    assert.deepEqual(capText('abc', 10), { text: 'abc', truncated: false });
    const s = `${'a'.repeat(9)}😀b`;
    const r = capText(s, 10);
    assert.equal(r.truncated, true);
    assert.equal(r.text, 'a'.repeat(9));
  });
});
