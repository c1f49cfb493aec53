// Two of issue 14's paths that only the real editor drives, in code-server:
// - the chat's chip sizes are the daemon's token count (gearbox/tokens/count), not the chars/4
//   estimate the chip starts with;
// - the region a user selected in a file before leaving it (gearbox/completion/pickContext, sent by
//   the extension on leaving) rides along with the next completion in another file.
// Screenshots go to test/system/e2e/artifacts/context-counts/.
import assert from 'node:assert/strict';
import { connectToDaemon } from '../../../daemon/cli/client';
import { ChatActions, EditorActions, normalizeText, StatusBarActions, WorkbenchActions } from './actions';
import { MODELS, useCodeServer } from './launch';
import { ChatSelectors, WorkbenchSelectors } from './selectors';

// Prose whose tokens are far from its characters / 4: every CJK character is one or more tokens.
const NOTES = `# 发票规则\n\n${'每张发票的税率按地区计算，四舍五入到分。'.repeat(6)}\n`;
// 100 lines; line 81 (1-based) is past the opened file's head (its first 32 lines): only a pick of the
// region around it can bring it into a completion's prompt.
const LIB_LINES = Array.from({ length: 100 }, (_, i) => (i === 80 ? 'def picked_helper():' : `x${i} = ${i}`));
const LIB = `${LIB_LINES.join('\n')}\n`;

describe('chip token counts and completion picks in the editor (issue 14)', function () {
  this.timeout(300_000);
  const cs = useCodeServer({
    name: 'context-counts',
    files: { 'notes.md': NOTES, 'src/lib.py': LIB, 'src/other.py': 'def other():\n    pass\n' },
    // Completions go to the fake provider, whose recorded requests show what the prompt held.
    workspaceSettings: { 'gearbox.models.completion': MODELS.fakeSmall },
  });

  it("a chip's size is the daemon's token count, not the estimate", async () => {
    const e2e = cs.get();
    await StatusBarActions.waitFor(e2e);
    await ChatActions.open(e2e);
    const chat = ChatSelectors.frame(e2e.page);
    await ChatActions.mention(e2e, 'file');
    const input = WorkbenchSelectors.quickInputBox(e2e.page);
    await input.waitFor({ state: 'visible', timeout: 15_000 });
    await input.fill('notes.md');
    await WorkbenchSelectors.quickPickRows(e2e.page, 'notes.md').first().waitFor({ state: 'visible', timeout: 15_000 });
    await e2e.page.keyboard.press('Enter');

    // What the daemon counts for the same text (Auto: the largest count over the models it may pick).
    const client = await connectToDaemon({ runtimeDir: e2e.dirs.runtime });
    let counted: number;
    try {
      counted = (await client.request('gearbox/tokens/count', { texts: [NOTES] })).tokens;
    } finally {
      await client.close();
    }
    const estimate = Math.ceil(NOTES.length / 4);
    assert.ok(
      counted > 2 * estimate,
      `the text is one whose count is far from the estimate: ${counted} vs ${estimate}`,
    );
    const chip = ChatSelectors.chips(chat, new RegExp(`@file notes\\.md\\D*${counted}\\b`));
    await chip.waitFor({ state: 'visible', timeout: 30_000 });
    await e2e.screenshot('chip-counted');
    assert.doesNotMatch(normalizeText(await chip.innerText()), new RegExp(`\\b${estimate}\\b`));
  });

  it('a region selected before leaving a file rides along with a completion in another file', async () => {
    const e2e = cs.get();
    await StatusBarActions.waitFor(e2e);
    e2e.fake.setScript(() => ({ kind: 'reply', text: 'return 0' }));
    /**
     * Asks for a completion where the cursor is (Trigger Inline Suggestion, no edit) and returns the
     * prompts the fake provider got for it. No typing: the context ring takes the chunks picked
     * meanwhile when a completion is for a file other than the one last typed in (while typing it
     * holds still).
     */
    const completeHere = async (): Promise<string> => {
      const from = e2e.fake.requests.length;
      await WorkbenchActions.runCommand(e2e, 'Trigger Inline Suggestion');
      await EditorActions.waitForGhostText(e2e, { timeoutMs: 60_000 });
      const sent = e2e.fake.requests.slice(from).map((r) => JSON.stringify(r.body.messages));
      assert.ok(sent.length > 0, 'the completion went to the fake provider');
      return sent.join('\n');
    };

    // Opened lib.py and looked at its top only: a completion in other.py gets its head, not line 81.
    await WorkbenchActions.openFile(e2e, 'src/lib.py');
    await WorkbenchActions.openFile(e2e, 'src/other.py');
    await EditorActions.gotoLine(e2e, 2, 9);
    const before = await completeHere();
    assert.match(before, /lib\.py\\nx0 = 0/, `the opened file's head is in the prompt: ${before.slice(0, 600)}`);
    assert.doesNotMatch(before, /picked_helper/, 'nothing brought line 81 in yet');
    await e2e.page.keyboard.press('Escape');

    // Select line 81 and leave lib.py: the extension tells the daemon (gearbox/completion/pickContext).
    await WorkbenchActions.openFile(e2e, 'src/lib.py');
    await EditorActions.selectLines(e2e, 81, 81);
    await e2e.screenshot('picked');
    await WorkbenchActions.openFile(e2e, 'src/other.py');
    // Another spot than before: the extension's cache answers a spot it has seen without asking.
    await EditorActions.gotoLine(e2e, 1, 13);
    const after = await completeHere();
    await e2e.screenshot('completion-with-pick');
    // The picked region comes as a chunk of lib.py, before the file being completed.
    assert.match(after, /lib\.py\\n(x\d+ = \d+\\n)*def picked_helper\(\):/, after.slice(0, 800));
  });
});
