// From install to ghost text by clicking only, in a real VS Code (code-server) with a fresh profile
// and a daemon with no local model and no key: the walkthrough opens by itself; its first button
// opens Add Local Model, whose rows give each preset's reason (the test preset list, served by a
// fake Hugging Face hub on loopback); the recommended one downloads with a progress notification
// (the hub holds the file mid-way so that the notification can be seen, then lets it finish); the
// Models view shows it on disk; the walkthrough's Try Completion opens a Python sample with ghost
// text. Screenshots go to test/system/e2e/artifacts/first-run/ (the README's come from there).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startFakeHfHub, type FakeHfHub } from '../../fakes/fake-hf-hub';
import { makeTestModel } from '../../fixtures/make-test-model';
import { EditorActions, normalizeText, StatusBarActions } from './actions';
import { type CodeServerE2E, repoRoot, useCodeServer } from './launch';
import { ModelsViewSelectors, WalkthroughSelectors, WorkbenchSelectors } from './selectors';
import { waitFor } from './wait';

const PRESETS = path.join(repoRoot, 'test', 'fixtures', 'test-presets.json');
const FIM = { repo: 'gearbox-test/tiny-fim-GGUF', path: 'tiny-fim.gguf' };
const CHAT = { repo: 'gearbox-test/tiny-chat-GGUF', path: 'tiny-chat.gguf' };
const MiB = 1024 * 1024;

/** Whether some frame of the page (webviews are frames) shows the text. */
async function frameWithText(e2e: CodeServerE2E, text: string): Promise<boolean | undefined> {
  for (const f of e2e.page.frames()) {
    const body = await f
      .locator('body')
      .innerText({ timeout: 1000 })
      .catch(() => '');
    if (body.includes(text)) return true;
  }
  return undefined;
}

describe('first run: from install to ghost text by clicking only', function () {
  this.timeout(300_000);
  let hub: FakeHfHub;
  let modelsDir: string;

  before(async () => {
    hub = await startFakeHfHub();
    const model = makeTestModel({ shape: 'tiny' });
    hub.add({ ...FIM, file: model });
    hub.add({ ...CHAT, file: model });
    modelsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gbe2e-models-'));
  });
  after(async () => {
    await hub?.close();
    if (modelsDir) fs.rmSync(modelsDir, { recursive: true, force: true });
  });

  const cs = useCodeServer(() => ({
    name: 'first-run',
    // A fresh install: no local model, no provider with a key, nothing fetched at the first start
    // (autoDownload is off so that the walkthrough, not a background download, starts it).
    daemonConfig: (config) => {
      const { localModels: _m, modelDirs: _d, providers: _p, ...rest } = config;
      return { ...rest, modelEndpoint: hub.url, presetsFile: PRESETS, modelsDir, autoDownload: false };
    },
  }));

  it('walkthrough → Add Local Model → the recommended preset downloads → Models view → ghost text', async () => {
    const e2e = cs.get();
    const { page } = e2e;
    await StatusBarActions.waitFor(e2e);

    // The walkthrough opens by itself on the first activation (nothing can serve yet).
    const title = WalkthroughSelectors.title(page, 'Get Started with Gearbox');
    await title.waitFor({ state: 'visible', timeout: 60_000 });
    const pickStep = WalkthroughSelectors.step(page, 'Pick a local model');
    await pickStep.click();
    const addButton = WalkthroughSelectors.button(page, 'Add Local Model');
    await addButton.waitFor({ state: 'visible', timeout: 15_000 });
    // The step's media (markdown) renders in a frame of its own.
    await waitFor('the step media', () => frameWithText(e2e, 'A local model, sized to this machine'), 30_000);
    await e2e.screenshot('walkthrough');

    // Add Local Model: the presets with the reason on each row, the recommended one first and active.
    hub.nextGet(FIM.repo, FIM.path, { pauseAt: 16 * MiB });
    const paused = new Promise<void>((resolve) => hub.once('paused', () => resolve()));
    await addButton.click();
    const recommended = WorkbenchSelectors.quickPickRows(page, /Tiny FIM test model/).first();
    await recommended.waitFor({ state: 'visible', timeout: 60_000 });
    const rowText = normalizeText(await recommended.innerText());
    assert.match(rowText, /Recommended: (runs from RAM|fits in)/, `the row says why: ${rowText}`);
    const refused = WorkbenchSelectors.quickPickRows(page, /A model no test machine can hold/).first();
    await refused.waitFor({ state: 'visible', timeout: 15_000 });
    assert.match(normalizeText(await refused.innerText()), /needs /, 'and why not');
    await e2e.screenshot('add-local-model');
    await recommended.click();

    // The download: a progress notification (rate, time left) and the status bar, until the file is there.
    const toast = WorkbenchSelectors.notification(page, /downloading Tiny FIM test model/);
    await toast.first().waitFor({ state: 'visible', timeout: 60_000 });
    await paused;
    await WorkbenchSelectors.notification(page, /16\.0 MiB of \d+\.\d MiB/)
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
    const status = await StatusBarActions.waitFor(e2e, /\d+%/, 30_000);
    assert.match(status, /Gearbox: [\s\S]*\d+%/, `the status bar shows the download: ${status}`);
    await e2e.screenshot('download-progress');
    hub.release();
    await WorkbenchSelectors.notification(page, /Tiny FIM test model is on disk/)
      .first()
      .waitFor({ state: 'visible', timeout: 60_000 });
    assert.equal(hub.fileGets(FIM.repo, FIM.path).length, 1, 'one GET for the file');

    // The Models view lists it as on disk.
    const activity = WorkbenchSelectors.activityBarItem(page);
    if (!/\bchecked\b/.test((await activity.getAttribute('class')) ?? '')) await activity.click();
    const row = ModelsViewSelectors.rows(page, /Tiny FIM test model/).first();
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    await ModelsViewSelectors.rows(page, /on disk/)
      .first()
      .waitFor({ state: 'visible', timeout: 30_000 });
    await e2e.screenshot('models-view');

    // Back in the walkthrough: Try Completion opens a Python sample, and ghost text appears.
    if (!(await WorkbenchSelectors.activeTab(page, 'Welcome').count()))
      await page
        .locator('.tabs-container .tab')
        .filter({ hasText: /^Welcome/ })
        .first()
        .click();
    // The Welcome page may be back on its start page: the walkthrough is one click away there.
    const category = WalkthroughSelectors.category(page, 'Get Started with Gearbox');
    await title.or(category).first().waitFor({ state: 'visible', timeout: 30_000 });
    if (!(await title.isVisible())) await category.click();
    await WalkthroughSelectors.step(page, 'Try completion').click();
    await WalkthroughSelectors.button(page, 'Try Completion').click();
    await WorkbenchSelectors.activeTab(page, 'Untitled').waitFor({ timeout: 30_000 });
    const ghost = await EditorActions.waitForGhostText(e2e, { timeoutMs: 90_000, moreKeys: 'if n' });
    assert.ok(ghost.text.trim().length > 0, 'ghost text is shown');
    await e2e.screenshot('ghost-text');
    assert.ok(
      fs.existsSync(path.join(modelsDir, 'hf', 'gearbox-test', 'tiny-fim-GGUF', 'tiny-fim.gguf')),
      'the model is in the models dir',
    );
  });
});
