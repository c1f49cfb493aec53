// Issue 12's learning loop in a real VS Code (code-server) driven by Chromium: the same kind of
// refactor (Simplify on a small Python function) is rejected twice in the inline diff, each time
// answered by the tier-2 model; the third goes one tier up, to the tier-3 model; the Usage view then
// shows the tier-2 model's capability moved down and Python refactors counted as harder.
// Screenshots of each step go to test/system/e2e/artifacts/routing-learning/.
import assert from 'node:assert/strict';
import type { FrameLocator } from 'playwright-core';
import { EditorActions, normalizeText, StatusBarActions, WorkbenchActions } from './actions';
import { type CodeServerE2E, MODELS, useCodeServer } from './launch';
import { EditorSelectors } from './selectors';
import { waitFor } from './wait';

const FAKE_MID = 'fake/fake-mid';
const GEOMETRY = 'def area(w, h):\n    return w * h\n\n\nprint(area(2, 3))\n';
const SIMPLIFIED = '```python\ndef area(w, h):\n    return w*h\n```\nDropped the spaces.';

/** The Usage webview's document: the sidebar holds other webviews too, so it is found by its content. */
function usageFrame(e2e: CodeServerE2E): Promise<FrameLocator> {
  const outer = e2e.page.locator('iframe.webview');
  return waitFor(
    'the Usage webview',
    async () => {
      for (let i = 0; i < (await outer.count()); i++) {
        const doc = e2e.page.frameLocator('iframe.webview').nth(i).frameLocator('iframe#active-frame');
        if (await doc.locator('.gb-controls').count()) return doc;
      }
      return undefined;
    },
    30_000,
  );
}

/** Select the function, Gearbox: Simplify, and wait for the inline diff; the model that answered. */
async function simplify(e2e: CodeServerE2E, round: number): Promise<string> {
  const asked = e2e.fake.requests.length;
  await EditorActions.selectLines(e2e, 1, 2);
  await WorkbenchActions.runCommand(e2e, 'Gearbox: Simplify');
  await EditorSelectors.codeLens(EditorSelectors.active(e2e.page), /^Reject$/).waitFor({ timeout: 60_000 });
  await e2e.screenshot(`diff-${round}`);
  assert.equal(e2e.fake.requests.length, asked + 1, 'one request to the provider');
  return `fake/${e2e.fake.requests.at(-1)!.body.model}`;
}

/** Clicks a lens of the inline diff and waits for the diff to end. */
async function decide(e2e: CodeServerE2E, lens: 'Accept' | 'Reject'): Promise<void> {
  const editor = EditorSelectors.active(e2e.page);
  await EditorSelectors.codeLens(editor, new RegExp(`^${lens}$`)).click();
  await EditorSelectors.codeLens(editor, /^(Accept|Reject)$/)
    .first()
    .waitFor({ state: 'detached', timeout: 15_000 });
}

describe('issue 12: routing learns from the user', function () {
  this.timeout(300_000);
  const cs = useCodeServer({
    name: 'routing-learning',
    files: { 'geometry.py': GEOMETRY },
    // The cheapest model meeting a 67 % target serves; a tier-2 and a tier-3 model are allowed.
    // No ghost text: every request the fake provider sees is a refactor of this flow.
    workspaceSettings: {
      'gearbox.routing.quality': 3,
      'gearbox.allowedModels': [FAKE_MID, MODELS.fakeLarge],
      'gearbox.inlineCompletion.enabled': false,
    },
    daemonConfig: (config) => {
      config.providers[0].models.push({
        name: 'fake-mid',
        tier: 2,
        contextWindow: 64000,
        inputPricePerMTok: 1,
        outputPricePerMTok: 4,
      });
      return config;
    },
  });

  it('a refactor rejected twice at the same kind of request: the third goes one tier up', async () => {
    const e2e = cs.get();
    e2e.fake.setScript(() => ({ kind: 'reply', text: SIMPLIFIED }));
    await StatusBarActions.waitFor(e2e);
    await WorkbenchActions.openFile(e2e, 'geometry.py');

    const served: string[] = [];
    for (const round of [1, 2]) {
      served.push(await simplify(e2e, round));
      await decide(e2e, 'Reject');
    }
    assert.deepEqual(served, [FAKE_MID, FAKE_MID], 'the tier-2 model serves until it is rejected');
    assert.equal(e2e.readWorkspaceFile('geometry.py'), GEOMETRY, 'nothing was taken');

    const third = await simplify(e2e, 3);
    assert.equal(third, MODELS.fakeLarge, 'after two rejections the tier-3 model answers');
    await decide(e2e, 'Accept');
    await e2e.screenshot('third-accepted');
  });

  it('the Usage view shows the moved calibration', async () => {
    const e2e = cs.get();
    await WorkbenchActions.runCommand(e2e, 'Gearbox: Show Usage');
    // Room for the whole section: the Chat and Models views above it are folded.
    for (const view of ['Chat', 'Models']) {
      const header = e2e.page.locator('.part.sidebar .pane-header[aria-expanded="true"]').filter({ hasText: view });
      await header.click();
      await header.waitFor({ state: 'detached' });
    }
    const usage = await usageFrame(e2e);
    const mid = usage.locator('.gb-cal-model').filter({ hasText: FAKE_MID });
    await mid.waitFor({ timeout: 30_000 });
    await usage.locator('.gb-routing').scrollIntoViewIfNeeded();
    await usage.locator('.gb-savings-band').waitFor({ state: 'visible' });
    await e2e.screenshot('usage-calibration');
    const moved = normalizeText(await mid.innerText());
    // Published θ of a tier-2 model without a published run, and where two rejections put it.
    assert.match(moved, /θ 1\.58 → (\d\.\d\d) \(−0\.\d\d\)/, moved);
    const difficulty = normalizeText(await usage.locator('.gb-cal-difficulty').first().innerText());
    assert.match(difficulty, /refactor · python\s+difficulty \+0\.\d\d/, difficulty);
    const tier2 = normalizeText(await usage.locator('.gb-rate-tier').filter({ hasText: 'tier 2' }).innerText());
    assert.match(tier2, /0% taken of 2/, tier2);
    assert.match(normalizeText(await usage.locator('.gb-routing').innerText()), /Learning is on/);
  });
});
