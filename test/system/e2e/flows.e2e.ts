// The UI end-to-end flows in a real VS Code (code-server) driven by Chromium. Each describe
// block gets its own code-server, workspace, daemon runtime dir and fake provider; screenshots of
// each step go to test/system/e2e/artifacts/<flow>/. Run: npm run test:e2e (see test/system/e2e/README section).
import assert from 'node:assert/strict';
import { ChatActions, EditorActions, normalizeText, StatusBarActions, WorkbenchActions } from './actions';
import { MODELS, useCodeServer } from './launch';
import { ChatSelectors, EditorSelectors, WorkbenchSelectors } from './selectors';

const DEMO_PY = 'def add(a, b):\n    return a + b\n\n\n';

describe('flow 1: inline completion in a Python file', function () {
  this.timeout(180_000);
  const cs = useCodeServer({ name: 'flow1-inline-completion', files: { 'demo.py': DEMO_PY } });

  it('ghost text appears while typing, Tab accepts it, and the file has it', async () => {
    const e2e = cs.get();
    await StatusBarActions.waitFor(e2e);
    await e2e.screenshot('workbench-ready');
    await WorkbenchActions.openFile(e2e, 'demo.py');
    await EditorActions.gotoEnd(e2e);
    let typed = 'print(add(1, ';
    const t = Date.now();
    await EditorActions.type(e2e, typed);
    const { text: ghost, typedMore } = await EditorActions.waitForGhostText(e2e, {
      timeoutMs: 60_000,
      moreKeys: '23',
    });
    typed += typedMore;
    e2e.timings['first-ghost-text'] = Date.now() - t;
    await e2e.screenshot('ghost-text');
    assert.ok(ghost.trim().length > 0, 'ghost text is not empty');

    await e2e.page.keyboard.press('Tab');
    await EditorSelectors.ghostText(EditorSelectors.active(e2e.page)).waitFor({ state: 'detached', timeout: 10_000 });
    await e2e.screenshot('accepted');
    const saved = normalizeText(await EditorActions.saveAndRead(e2e, 'demo.py'));
    const lastLine =
      saved
        .split('\n')
        .filter((l) => l.length > 0)
        .at(-1) ?? '';
    assert.ok(lastLine.startsWith(typed), `the typed text is in the file: ${JSON.stringify(lastLine)}`);
    const accepted = lastLine.slice(typed.length);
    // What Tab inserted is what the ghost text showed (the first line of it, for a multi-line suggestion).
    const ghostFirstLine = ghost.split('\n')[0] ?? '';
    assert.ok(accepted.length > 0, 'Tab inserted the suggestion');
    assert.equal(accepted.trimEnd(), ghostFirstLine.trimEnd(), 'the file holds the suggestion that was shown');
    assert.ok(saved.startsWith(DEMO_PY.trimEnd()), 'the rest of the file is unchanged');
    await e2e.screenshot('saved');
  });
});

const LONG_ANSWER = `${Array.from({ length: 80 }, (_, i) => `word${i}`).join(' ')}.`;

describe('flow 2: chat', function () {
  this.timeout(240_000);
  const cs = useCodeServer({ name: 'flow2-chat', files: { 'demo.py': DEMO_PY } });

  it('opens from the activity bar and streams an answer with the model and the route reason', async () => {
    const e2e = cs.get();
    await StatusBarActions.waitFor(e2e);
    // The "Gearbox" view container is in the activity bar.
    await WorkbenchSelectors.activityBarItem(e2e.page).waitFor({ timeout: 30_000 });
    await ChatActions.open(e2e);
    await e2e.screenshot('chat-open');

    e2e.fake.setScript(() => ({
      kind: 'reply',
      text: `The add function returns a + b. ${LONG_ANSWER.slice(0, 200)}`,
      delayMs: 60,
    }));
    // "@best" asks the router for the strongest model: the fake provider's fake-large.
    await ChatActions.ask(e2e, 'What does add do? @best');
    const chat = ChatSelectors.frame(e2e.page);
    const first = ChatSelectors.answers(chat).first();
    // Streamed: partial text shows while the answer is still streaming.
    await ChatSelectors.body(ChatSelectors.streamingAnswers(chat))
      .filter({ hasText: /\S/ })
      .first()
      .waitFor({ timeout: 60_000 });
    await e2e.screenshot('streaming');
    await ChatSelectors.doneAnswers(chat).first().waitFor({ timeout: 60_000 });
    await e2e.screenshot('answered');
    assert.match(await ChatSelectors.body(first).innerText(), /The add function returns a \+ b\./);
    const meta = normalizeText(await ChatSelectors.meta(first).innerText());
    assert.ok(meta.includes(MODELS.fakeLarge), `the answer names its model: ${meta}`);
    // The route reason: we asked for the best model, so the reason says so.
    assert.match(meta.replace(MODELS.fakeLarge, ''), /best/i, `the answer shows the route reason: ${meta}`);
    assert.equal(e2e.fake.requests.at(-1)?.body.model, 'fake-large');
  });

  it('Stop ends a streaming answer mid-way', async () => {
    const e2e = cs.get();
    const abortsBefore = e2e.fake.aborts.length;
    e2e.fake.setScript(() => ({ kind: 'reply', text: LONG_ANSWER, delayMs: 250 }));
    await ChatActions.ask(e2e, 'Write a long story about adders. @best');
    const chat = ChatSelectors.frame(e2e.page);
    const streaming = ChatSelectors.streamingAnswers(chat);
    await ChatSelectors.body(streaming).filter({ hasText: /word2/ }).waitFor({ timeout: 60_000 });
    const stop = ChatSelectors.stopButton(chat);
    await stop.waitFor({ state: 'visible' });
    await e2e.screenshot('before-stop');
    await stop.click();
    const stopped = ChatSelectors.answers(chat).last();
    await stopped.and(ChatSelectors.finishedAnswers(chat)).waitFor({ timeout: 15_000 });
    await e2e.screenshot('stopped');
    const cls = (await stopped.getAttribute('class')) ?? '';
    assert.match(cls, /gb-status-stopped/, `the answer is marked stopped: ${cls}`);
    const text = await ChatSelectors.body(stopped).innerText();
    assert.ok(!text.includes('word79'), 'the answer stopped before the end');
    // The daemon cancelled the provider's stream (the fake saw the client hang up).
    await Promise.race([
      e2e.fake.waitForAborts(abortsBefore + 1),
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error('Stop did not cancel the request to the provider within 15 s')), 15_000),
      ),
    ]);
    await ChatSelectors.sendButton(chat).waitFor({ state: 'visible' });
  });

  it('keeps the history across a window reload', async () => {
    const e2e = cs.get();
    await e2e.reload();
    await StatusBarActions.waitFor(e2e);
    await ChatActions.open(e2e);
    const chat = ChatSelectors.frame(e2e.page);
    await ChatSelectors.userTurns(chat).filter({ hasText: 'What does add do?' }).waitFor({ timeout: 30_000 });
    await ChatSelectors.answers(chat)
      .filter({ hasText: 'The add function returns a + b.' })
      .waitFor({ timeout: 30_000 });
    assert.ok((await ChatSelectors.answers(chat).count()) >= 2, 'both answers are back');
    await e2e.screenshot('after-reload');
  });

  it('the Usage view shows what the chats cost, the savings and the budget', async () => {
    const e2e = cs.get();
    await WorkbenchActions.runCommand(e2e, 'Gearbox: Show Usage');
    // The Usage webview sits in the same sidebar container as the chat: find its document by content.
    const deadline = Date.now() + 30_000;
    let text = '';
    while (Date.now() < deadline && !/requests/.test(text)) {
      for (const f of e2e.page.frames()) {
        const t = await f
          .locator('body')
          .innerText({ timeout: 1000 })
          .catch(() => '');
        if (t.includes('saved vs frontier')) text = t;
      }
      if (!/requests/.test(text)) await e2e.page.waitForTimeout(250);
    }
    await e2e.screenshot('usage');
    assert.match(text, /spent/, `the Usage view shows the cost: ${text}`);
    assert.match(text, /saved vs frontier/i);
    // Section headings are upper-cased by CSS, and innerText reports them that way.
    assert.match(text, /budget/i);
    assert.match(text, /local vs closed/i);
    assert.match(text, /fake\/fake-large/, 'the per-model table lists the model that answered');
  });
});

describe('flow 3: refactor from the editor context menu', function () {
  this.timeout(240_000);
  const SOURCE =
    'def is_positive(n):\n    if n > 0:\n        return True\n    else:\n        return False\n' +
    '\n\nprint(is_positive(3))\n';
  const SIMPLIFIED = 'def is_positive(n):\n    return n > 0';
  const cs = useCodeServer({
    name: 'flow3-refactor',
    files: { 'logic.py': SOURCE },
    // Refactors go to the fake provider, whose answer is scripted below.
    workspaceSettings: { 'gearbox.models.refactor': MODELS.fakeLarge },
  });

  it('select → right-click → Gearbox → Simplify → inline diff → Accept → file changed → Undo restores', async () => {
    const e2e = cs.get();
    e2e.fake.setScript((body) =>
      JSON.stringify(body.messages).includes('Simplify')
        ? { kind: 'reply', text: `\`\`\`python\n${SIMPLIFIED}\n\`\`\`\nReturned the comparison directly.` }
        : { kind: 'reply' },
    );
    await StatusBarActions.waitFor(e2e);
    await WorkbenchActions.openFile(e2e, 'logic.py');
    await EditorActions.selectLines(e2e, 1, 5); // lines 1-5, up to the start of line 6
    await e2e.screenshot('selected');

    // Right-click inside the selection → the "Gearbox" submenu → "Simplify".
    await EditorSelectors.line(EditorSelectors.active(e2e.page), 1).click({ button: 'right' });
    const gearboxItem = WorkbenchSelectors.contextMenu(e2e.page)
      .locator('.action-item')
      .filter({ hasText: /^Gearbox/ })
      .first();
    await gearboxItem.waitFor({ state: 'visible', timeout: 10_000 });
    await gearboxItem.hover();
    await gearboxItem.click();
    const simplify = WorkbenchSelectors.menuItem(e2e.page, /^Simplify/).first();
    await simplify.waitFor({ state: 'visible', timeout: 10_000 });
    await e2e.screenshot('context-menu');
    await simplify.click();

    // The answer streams into an inline diff in the editor: Accept / Reject over the hunk.
    const editor = EditorSelectors.active(e2e.page);
    const accept = EditorSelectors.codeLens(editor, /^Accept$/);
    await accept.first().waitFor({ state: 'visible', timeout: 60_000 });
    await e2e.screenshot('inline-diff');
    await accept.first().click();
    await EditorSelectors.codeLens(editor, /^(Accept|Reject)$/)
      .first()
      .waitFor({ state: 'detached', timeout: 15_000 });
    await WorkbenchSelectors.activeTab(e2e.page, 'logic.py').waitFor({ timeout: 15_000 });
    await e2e.screenshot('accepted');
    const changed = await EditorActions.saveAndRead(e2e, 'logic.py', SOURCE);
    assert.ok(changed.startsWith(`${SIMPLIFIED}\n`), `the file has the simplified code:\n${changed}`);
    assert.ok(changed.includes('print(is_positive(3))'), 'the rest of the file is unchanged');

    // One Undo restores the original (the change was one edit).
    await EditorActions.focus(e2e);
    await e2e.page.keyboard.press('Control+Z');
    const restored = await EditorActions.saveAndRead(e2e, 'logic.py', changed);
    await e2e.screenshot('undone');
    assert.equal(restored, SOURCE);
  });
});

describe('flow 4: Select Model… pins the chat model for the workspace', function () {
  this.timeout(240_000);
  const cs = useCodeServer({ name: 'flow4-select-model', files: { 'demo.py': DEMO_PY } });

  const quickPickTitle =
    'Quick Pick lists Auto (router) and the models; the choice lands in .vscode/settings.json ' +
    'and the next answer names it';
  it(quickPickTitle, async () => {
    const e2e = cs.get();
    await StatusBarActions.waitFor(e2e);
    await WorkbenchActions.runCommand(e2e, 'Gearbox: Select Model…');
    // Step 1: which task.
    const chatTask = WorkbenchSelectors.quickPickRows(e2e.page, /^Chat/).first();
    await chatTask.waitFor({ state: 'visible', timeout: 15_000 });
    await e2e.screenshot('task-pick');
    await chatTask.click();
    // Step 2: Auto (router) and the model ids.
    const rows = (text: string) => WorkbenchSelectors.quickPickRows(e2e.page, text).first();
    await rows('Auto (router)').waitFor({ state: 'visible', timeout: 30_000 });
    await rows(MODELS.local).waitFor({ state: 'visible' });
    // The list is virtualized (only the rows on screen exist): filter it, as a user would.
    await e2e.page.keyboard.type(MODELS.fakeSmall);
    const row = rows(MODELS.fakeSmall);
    await row.waitFor({ state: 'visible' });
    await e2e.screenshot('model-pick');
    await row.click();

    const settings = await (async () => {
      const deadline = Date.now() + 15_000;
      for (;;) {
        const s = e2e.readWorkspaceSettings();
        if (s['gearbox.models.chat'] !== undefined || Date.now() > deadline) return s;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    assert.equal(
      settings['gearbox.models.chat'],
      MODELS.fakeSmall,
      `.vscode/settings.json: ${JSON.stringify(settings)}`,
    );
    await e2e.screenshot('saved');

    e2e.fake.setScript(() => ({ kind: 'reply', text: 'Answer from the pinned model.' }));
    await ChatActions.open(e2e);
    await ChatActions.ask(e2e, 'Which model are you?');
    const done = ChatSelectors.doneAnswers(ChatSelectors.frame(e2e.page)).last();
    await done.waitFor({ timeout: 60_000 });
    await e2e.screenshot('answer');
    const meta = normalizeText(await ChatSelectors.meta(done).innerText());
    assert.ok(meta.includes(MODELS.fakeSmall), `the answer names the pinned model: ${meta}`);
    assert.equal(e2e.fake.requests.at(-1)?.body.model, 'fake-small');
  });
});

describe('flow 5: the daemon dies and comes back', function () {
  this.timeout(240_000);
  const cs = useCodeServer({ name: 'flow5-daemon-restart', files: { 'demo.py': DEMO_PY } });

  it('SIGKILL → the status bar says so → the extension restarts it → completion works again', async () => {
    const e2e = cs.get();
    await StatusBarActions.waitFor(e2e);
    await WorkbenchActions.openFile(e2e, 'demo.py');
    await EditorActions.gotoEnd(e2e);
    await EditorActions.type(e2e, 'x = add(1, ');
    await EditorActions.waitForGhostText(e2e, { timeoutMs: 60_000, moreKeys: '23' });
    await e2e.screenshot('completion-before');
    await e2e.page.keyboard.press('Escape');
    const before = await e2e.waitForDaemon();
    const hostsBefore = e2e.ourProcesses().filter((p) => p.cmd.includes('model-host'));

    // Record every status bar text, so a short "down" phase is not missed between polls.
    await StatusBarActions.record(e2e);
    const t = Date.now();
    process.kill(before.pid, 'SIGKILL');
    await StatusBarActions.waitForSeen(e2e, /daemon down/, 30_000);
    await e2e.screenshot('daemon-down');
    const after = await e2e.waitForDaemon(60_000, before.pid);
    await StatusBarActions.waitFor(e2e, /Gearbox: (?!daemon down)/, 60_000);
    e2e.timings['daemon-recovery'] = Date.now() - t;
    const seen = await StatusBarActions.history(e2e);
    assert.ok(
      seen.some((s) => /daemon down/.test(s)),
      `the status bar said the daemon was down: ${JSON.stringify(seen)}`,
    );
    assert.notEqual(after.pid, before.pid);
    await e2e.screenshot('daemon-back');
    // The killed daemon's model host should not outlive it (reported, not asserted: see the notes).
    await new Promise((r) => setTimeout(r, 2000));
    const orphans = hostsBefore.filter((h) => e2e.ourProcesses().some((p) => p.pid === h.pid));
    if (orphans.length)
      e2e.notes.push(
        `model host(s) of the killed daemon still running 2 s later: ${orphans.map((o) => o.pid).join(', ')}`,
      );

    // Completion works again, served by the new daemon.
    await EditorActions.focus(e2e);
    await e2e.page.keyboard.press('End');
    await EditorActions.type(e2e, '2)\ny = add(3, ');
    const ghost = await EditorActions.waitForGhostText(e2e, { timeoutMs: 60_000, moreKeys: '45' });
    assert.ok(ghost.text.trim().length > 0);
    await e2e.screenshot('completion-again');
  });

  const interruptedTitle =
    'a chat streaming when the daemon dies shows "interrupted — retry", keeps the history, and Retry works';
  it(interruptedTitle, async () => {
    const e2e = cs.get();
    await StatusBarActions.waitFor(e2e, /Gearbox: (?!daemon down)/, 60_000);
    await ChatActions.open(e2e);
    e2e.fake.setScript(() => ({ kind: 'reply', text: LONG_ANSWER, delayMs: 250 }));
    await ChatActions.ask(e2e, 'Tell me about adders. @best');
    const chat = ChatSelectors.frame(e2e.page);
    await ChatSelectors.body(ChatSelectors.streamingAnswers(chat))
      .filter({ hasText: /word2/ })
      .waitFor({ timeout: 60_000 });
    const daemon = await e2e.waitForDaemon();
    process.kill(daemon.pid, 'SIGKILL');
    const last = ChatSelectors.answers(chat).last();
    await ChatSelectors.status(last)
      .filter({ hasText: /interrupted/ })
      .waitFor({ timeout: 30_000 });
    await e2e.screenshot('chat-interrupted');
    assert.match(
      await ChatSelectors.body(last).innerText(),
      /word0 word1 word2/,
      'what arrived before the crash is kept',
    );
    await e2e.waitForDaemon(60_000, daemon.pid);
    await StatusBarActions.waitFor(e2e, /Gearbox: (?!daemon down)/, 60_000);
    // The conversation (and the earlier question) is still there; Retry answers with the new daemon.
    assert.ok((await ChatSelectors.userTurns(chat).filter({ hasText: 'Tell me about adders.' }).count()) >= 1);
    e2e.fake.setScript(() => ({ kind: 'reply', text: 'Adders add.' }));
    await ChatSelectors.status(last).getByRole('button', { name: 'Retry', exact: true }).click();
    await ChatSelectors.doneAnswers(chat).filter({ hasText: 'Adders add.' }).waitFor({ timeout: 60_000 });
    await e2e.screenshot('chat-retried');
  });
});

describe('flow 6: VS Code lists the Gearbox models (vscode.lm provider)', function () {
  this.timeout(180_000);
  const cs = useCodeServer({
    name: 'flow6-language-models',
    files: { 'demo.py': DEMO_PY },
    // The launcher turns VS Code's own AI features off for the other flows; this one needs them.
    userSettings: { 'chat.disableAIFeatures': false },
  });

  it('Chat: Manage Language Models shows Gearbox Auto, Gearbox Local and the configured models', async () => {
    const e2e = cs.get();
    await StatusBarActions.waitFor(e2e);
    await WorkbenchActions.runCommand(e2e, 'Chat: Manage Language Models');
    const editor = e2e.page.locator('.part.editor, .monaco-dialog-box, .monaco-modal-editor, body');
    for (const name of ['Gearbox Auto', 'Gearbox Local', MODELS.local, 'fake-large'])
      await editor.getByText(name, { exact: true }).first().waitFor({ timeout: 60_000 });
    await e2e.screenshot('language-models');
  });
});
