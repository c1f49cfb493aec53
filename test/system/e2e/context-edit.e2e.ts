// Issue 14's flows in a real VS Code (code-server) driven by Chromium: @file from the chat's @ menu
// then a question (the fake provider's recorded request holds the file), @codebase finding a function
// by what it does in a fixture workspace (the index is built on first use), and Ctrl+I streaming an
// inline diff whose two hunks are accepted and rejected one by one, then one Undo restoring the file.
// Screenshots of each step go to test/system/e2e/artifacts/context-and-inline-edit/.
import assert from 'node:assert/strict';
import { ChatActions, EditorActions, normalizeText, StatusBarActions, WorkbenchActions } from './actions';
import { MODELS, useCodeServer } from './launch';
import { ChatSelectors, EditorSelectors, WorkbenchSelectors } from './selectors';

const BILLING = [
  'def compute_invoice_total(lines, tax_rate):',
  '    subtotal = sum(line.price * line.quantity for line in lines)',
  '    return round(subtotal * (1 + tax_rate), 2)',
  '',
].join('\n');

/** A few files for code search; the one to find says what it does in words, not in its name. */
const FIXTURE: Record<string, string> = {
  'src/billing.py': BILLING,
  'src/stamps.py': [
    'from datetime import datetime',
    '',
    '',
    'def from_stamp(text):',
    '    """Turn an ISO-8601 timestamp string into a timezone-aware datetime."""',
    '    return datetime.fromisoformat(text.replace("Z", "+00:00"))',
    '',
  ].join('\n'),
  'src/names.py': [
    'def slug(title):',
    '    """Lower-case a title and join its words with dashes for a URL."""',
    "    return '-'.join(title.lower().split())",
    '',
  ].join('\n'),
  'src/cache.py': [
    'class Cache:',
    '    """Keeps the most recently used entries in memory."""',
    '',
    '    def __init__(self, size):',
    '        self.size = size',
    '        self.items = {}',
    '',
  ].join('\n'),
};

const GEOMETRY = ['def area(w, h):', '    return w * h', '', '', 'def perimeter(w, h):', '    return w + h', ''].join(
  '\n',
);
/** The answer to the inline edit: two hunks (the first signature, the second body). */
const EDITED = [
  'def area(w: float, h: float) -> float:',
  '    return w * h',
  '',
  '',
  'def perimeter(w, h):',
  '    return 2 * (w + h)',
].join('\n');

describe('chat context and inline edit (issue 14)', function () {
  this.timeout(300_000);
  const cs = useCodeServer({
    name: 'context-and-inline-edit',
    files: { ...FIXTURE, 'geometry.py': GEOMETRY },
    // Chat and refactors go to the fake provider, whose requests the flows read.
    workspaceSettings: { 'gearbox.models.chat': MODELS.fakeLarge, 'gearbox.models.refactor': MODELS.fakeLarge },
  });

  it('@file from the picker, then ask: the prompt the provider gets holds the file', async () => {
    const e2e = cs.get();
    await StatusBarActions.waitFor(e2e);
    await ChatActions.open(e2e);
    const chat = ChatSelectors.frame(e2e.page);
    e2e.fake.setScript(() => ({ kind: 'reply', text: 'It sums price × quantity and adds the tax.' }));

    await ChatActions.mention(e2e, 'file');
    // VS Code's own Quick Pick lists the workspace's files, filtered fuzzily as the user types.
    const input = WorkbenchSelectors.quickInputBox(e2e.page);
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill('billng');
    const row = WorkbenchSelectors.quickPickRows(e2e.page, 'billing.py').first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    await e2e.screenshot('file-picker');
    await e2e.page.keyboard.press('Enter');
    const chip = ChatSelectors.chips(chat, /@file src\/billing\.py/);
    await chip.waitFor({ state: 'visible', timeout: 15_000 });
    const chipText = normalizeText(await chip.innerText());
    assert.match(chipText, /\d+/, `the chip shows its size in tokens: ${chipText}`);

    await ChatActions.ask(e2e, 'What does compute_invoice_total do?');
    await ChatSelectors.doneAnswers(chat).filter({ hasText: 'price × quantity' }).waitFor({ timeout: 60_000 });
    await e2e.screenshot('file-answered');
    const sent = JSON.stringify(e2e.fake.requests.at(-1)?.body.messages);
    assert.ok(sent.includes('Context @file src/billing.py:'), `the chip's label is in the prompt: ${sent}`);
    assert.ok(sent.includes('round(subtotal * (1 + tax_rate), 2)'), `the file is in the prompt: ${sent}`);
    // The sent turn keeps the chip; the tray is empty for the next message.
    assert.match(await ChatSelectors.userTurns(chat).last().innerText(), /@file src\/billing\.py/);
    assert.equal(await ChatSelectors.chips(chat, /@file/).count(), 0);
  });

  it('@codebase finds a function by what it does (the index is built on first use)', async () => {
    const e2e = cs.get();
    const chat = ChatSelectors.frame(e2e.page);
    e2e.fake.setScript(() => ({ kind: 'reply', text: 'Use from_stamp in src/stamps.py.' }));
    await ChatActions.mention(e2e, 'codebase');
    const input = WorkbenchSelectors.quickInputBox(e2e.page);
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill('convert an ISO timestamp into a datetime');
    await e2e.screenshot('codebase-query');
    await e2e.page.keyboard.press('Enter');
    const chip = ChatSelectors.chips(chat, /@codebase convert an ISO timestamp/);
    await chip.waitFor({ state: 'visible', timeout: 120_000 });
    await e2e.screenshot('codebase-chip');
    const detail = (await chip.getAttribute('title')) ?? '';
    assert.match(detail, /^"convert an ISO timestamp into a datetime": src\/stamps\.py:/, detail);

    await ChatActions.ask(e2e, 'Which function should I call?');
    await ChatSelectors.doneAnswers(chat).filter({ hasText: 'Use from_stamp' }).waitFor({ timeout: 60_000 });
    await e2e.screenshot('codebase-answered');
    const sent = JSON.stringify(e2e.fake.requests.at(-1)?.body.messages);
    assert.ok(sent.includes('def from_stamp(text):'), `the found function is in the prompt: ${sent}`);
  });

  const inlineTitle =
    'Ctrl+I: the answer streams into an inline diff; accept one hunk, reject the other; one Undo restores';
  it(inlineTitle, async () => {
    const e2e = cs.get();
    // The answer holds after its first two lines until the flow has seen them in the editor.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    e2e.fake.setScript((body) =>
      JSON.stringify(body.messages).includes('type hints')
        ? {
            kind: 'reply',
            chunks: ['```python\n', ...EDITED.split(/(?<=\n)/), '\n```\nDone.'],
            hold: { after: 3, until: held },
          }
        : { kind: 'reply' },
    );
    await WorkbenchActions.openFile(e2e, 'geometry.py');
    await EditorActions.selectLines(e2e, 1, 6);
    await e2e.page.keyboard.press('Control+I');
    const input = WorkbenchSelectors.quickInputBox(e2e.page);
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill('add type hints to area and fix the perimeter');
    await e2e.screenshot('inline-instruction');
    await e2e.page.keyboard.press('Enter');

    const editor = EditorSelectors.active(e2e.page);
    // While it streams: the first new line is already in the editor, under the progress lens.
    await EditorSelectors.viewLines(editor)
      .filter({ hasText: /area\(w:\s*float/ })
      .waitFor({ timeout: 60_000 });
    await EditorSelectors.codeLens(editor, /Gearbox: Edit/).waitFor({ state: 'visible', timeout: 30_000 });
    assert.equal(await EditorSelectors.codeLens(editor, /^Accept/).count(), 0, 'no decision before the answer ends');
    await e2e.screenshot('inline-streaming');
    release();
    // Done: two hunks, each with Accept / Reject, and Accept All / Reject All above them.
    await EditorSelectors.codeLens(editor, /^Accept All$/).waitFor({ state: 'visible', timeout: 60_000 });
    assert.equal(await EditorSelectors.codeLens(editor, /^Accept$/).count(), 2);
    await e2e.screenshot('inline-diff');

    await EditorSelectors.codeLens(editor, /^Accept$/)
      .first()
      .click();
    await EditorSelectors.codeLens(editor, /^Accept All$/).waitFor({ state: 'detached', timeout: 15_000 });
    assert.equal(await EditorSelectors.codeLens(editor, /^Reject$/).count(), 1);
    await e2e.screenshot('inline-one-accepted');
    await EditorSelectors.codeLens(editor, /^Reject$/).click();
    await EditorSelectors.codeLens(editor, /^(Accept|Reject)$/)
      .first()
      .waitFor({ state: 'detached', timeout: 15_000 });
    await e2e.screenshot('inline-decided');

    const changed = await EditorActions.saveAndRead(e2e, 'geometry.py', GEOMETRY);
    assert.equal(changed, GEOMETRY.replace('def area(w, h):', 'def area(w: float, h: float) -> float:'));

    await EditorActions.focus(e2e);
    await e2e.page.keyboard.press('Control+Z');
    const restored = await EditorActions.saveAndRead(e2e, 'geometry.py', changed);
    await e2e.screenshot('inline-undone');
    assert.equal(restored, GEOMETRY, 'one Undo restores the file as it was');
  });
});
