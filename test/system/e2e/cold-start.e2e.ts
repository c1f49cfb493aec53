// A new user's first minute with no model and no key: typing in a Python file makes every inline
// completion fail with "no model can serve completion". The user must get exactly one notification,
// with the action that fixes it, however many completions fail (not Gearbox's own twice, and never
// vscode-languageclient's raw "Request textDocument/inlineCompletion failed … [object Object]").
// Then a key arrives, and the lists of models that are open (chat dropdown, model picker) follow.
import assert from 'node:assert/strict';
import { connectToDaemon } from '../../../daemon/cli/client';
import { ChatActions, EditorActions, normalizeText, StatusBarActions, WorkbenchActions } from './actions';
import { useCodeServer } from './launch';
import { ChatSelectors, ModelsViewSelectors, WalkthroughSelectors, WorkbenchSelectors } from './selectors';
import { waitFor } from './wait';

const DEMO_PY = 'def add(a, b):\n    return a + b\n\n\n';
/** What vscode-languageclient logs (and, left alone, pops up) for each failed inline completion. */
const FAILED_COMPLETION = /Request textDocument\/inlineCompletion failed/;

describe('flow 0: a cold start with no model and no API key', function () {
  this.timeout(240_000);
  const cs = useCodeServer({
    name: 'flow0-cold-start',
    files: { 'demo.py': DEMO_PY },
    // No local model, no configured provider, nothing fetched at the first start; the built-in
    // providers have no key (the harness strips them).
    daemonConfig: (config) => {
      const { localModels: _m, modelDirs: _d, providers: _p, ...rest } = config;
      return { ...rest, autoDownload: false };
    },
  });

  it('typing in a Python file shows one notification, and its button is the fix', async () => {
    const e2e = cs.get();
    const failures = () => e2e.extensionLogLines().filter((l) => FAILED_COMPLETION.test(l)).length;
    await StatusBarActions.waitFor(e2e);
    // The first run opens the Get Started walkthrough (an editor, not a notification): let it open
    // before typing, so that it does not take the focus mid-word.
    await WalkthroughSelectors.title(e2e.page, 'Get Started with Gearbox').waitFor({ timeout: 60_000 });
    await WorkbenchActions.openFile(e2e, 'demo.py');
    await EditorActions.gotoEnd(e2e);
    await EditorActions.type(e2e, 'print(add(1, ');
    const notice = WorkbenchSelectors.notificationToasts(e2e.page).filter({ hasText: /no model can serve/ });
    await notice.first().waitFor({ timeout: 60_000 });
    await e2e.screenshot('first-notification');

    // Keep typing: each pause is another completion that fails the same way.
    for (const more of ['2)', '\nx = add(', '3, 4)']) {
      const before = failures();
      await EditorActions.type(e2e, more);
      await waitFor(
        `another failed completion after typing ${JSON.stringify(more)}`,
        () => failures() > before,
        60_000,
      );
    }
    // A notification is drawn a moment after the failure that caused it is logged. Messages from the
    // extension host reach the window in order: once a later one (Show Status) is drawn, every one the
    // failures caused is drawn too.
    await WorkbenchActions.runCommand(e2e, 'Gearbox: Show Status');
    const STATUS = /Gearbox daemon/;
    await WorkbenchSelectors.notificationToasts(e2e.page)
      .filter({ hasText: STATUS })
      .first()
      .waitFor({ timeout: 30_000 });
    await WorkbenchActions.runCommand(e2e, 'Notifications: Show Notifications');
    const items = WorkbenchSelectors.notificationCenterItems(e2e.page).filter({ hasNotText: STATUS });
    await items.first().waitFor({ timeout: 10_000 });
    await e2e.screenshot('notification-center');
    const texts = (await items.allInnerTexts()).map((t) => normalizeText(t).replace(/\s+/g, ' ').trim());
    assert.equal(texts.length, 1, `exactly one notification, got ${texts.length}:\n${texts.join('\n')}`);
    assert.match(texts[0]!, /Gearbox: no model can serve inline completion/);
    assert.ok(!FAILED_COMPLETION.test(texts[0]!), 'not the client library raw error');

    // Its buttons are the fixes the daemon named: add a local model, or set an API key.
    const buttons = items.first().locator('.monaco-button');
    const setKey = buttons.filter({ hasText: /^Set API Key$/ });
    await setKey.waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(await buttons.filter({ hasText: /^Add Local Model…$/ }).count(), 1, 'Add Local Model… too');
    await setKey.click();
    await WorkbenchSelectors.quickPickRows(e2e.page, /OpenAI/)
      .first()
      .waitFor({ state: 'visible', timeout: 15_000 });
    await e2e.screenshot('set-api-key');
    await WorkbenchActions.closeQuickInput(e2e);
  });

  it('the open chat view lists a provider as soon as Set API Key gives it a key', async () => {
    const e2e = cs.get();
    const chat = await ChatActions.open(e2e);
    const picker = ChatSelectors.modelPicker(chat);
    const openai = picker.locator('option[value^="openai/"]');
    await openai.first().waitFor({ state: 'attached', timeout: 30_000 });
    assert.equal(await picker.locator('option[value^="openai/"]:not([disabled])').count(), 0, 'no key yet');
    await e2e.screenshot('chat-before-key');

    await WorkbenchActions.runCommand(e2e, 'Gearbox: Set API Key');
    const row = WorkbenchSelectors.quickPickRows(e2e.page, /^OpenAI/).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    await row.click();
    const input = WorkbenchSelectors.quickInputBox(e2e.page);
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill('sk-test-e2e-catalog-0123456789');
    await e2e.page.keyboard.press('Enter');
    // Without reopening the view: the daemon said the catalog changed, the view asked again.
    await picker.locator('option[value^="openai/"]:not([disabled])').first().waitFor({
      state: 'attached',
      timeout: 30_000,
    });
    await e2e.screenshot('chat-after-key');
  });

  it('an open Select Model… pick lists a provider as soon as another client gives it a key', async () => {
    const e2e = cs.get();
    await WorkbenchActions.runCommand(e2e, 'Gearbox: Select Model…');
    const chatTask = WorkbenchSelectors.quickPickRows(e2e.page, /^Chat/).first();
    await chatTask.waitFor({ state: 'visible', timeout: 15_000 });
    await chatTask.click();
    await WorkbenchSelectors.quickPickRows(e2e.page, 'Auto (router)').first().waitFor({ timeout: 30_000 });
    // The list is virtualized: filter it to Anthropic's models, as a user would. Into the pick's own
    // input: focus can come back to the chat view's webview as the task pick closes.
    await WorkbenchSelectors.quickInputBox(e2e.page).fill('anthropic/');
    const rows = WorkbenchSelectors.quickPickRows(e2e.page, /anthropic\//);
    await rows.first().waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(normalizeText(await rows.first().innerText()), /unavailable/, 'no Anthropic key yet');
    await e2e.screenshot('picker-before-key');

    // Another window (here: a CLI client of the same daemon) sets the key.
    const other = await connectToDaemon({ runtimeDir: e2e.dirs.runtime, clientName: 'e2e-other-window' });
    try {
      await other.request('gearbox/setKeys', { keys: { anthropic: 'sk-ant-test-e2e-0123456789' } });
    } finally {
      await other.close();
    }
    await rows
      .filter({ hasNotText: /unavailable/ })
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
    await e2e.screenshot('picker-after-key');
    await WorkbenchActions.closeQuickInput(e2e);
    // The Models view's providers follow too: both keys show there without a refresh.
    for (const provider of [/^Anthropic/, /^OpenAI/])
      await ModelsViewSelectors.rows(e2e.page, provider)
        .filter({ hasNotText: /no key/ })
        .first()
        .waitFor({ state: 'visible', timeout: 30_000 });
  });
});
