// What a user does in the workbench, as the e2e flows do it: commands, Quick Open, typing and moving
// in the editor, saving, waiting for ghost text and for the status bar, asking in the chat. Each takes
// the launched code-server (launch.ts) and finds things through selectors.ts.
import path from 'node:path';
import type { FrameLocator } from 'playwright-core';
import type { CodeServerE2E } from './launch';
import { ChatSelectors, EditorSelectors, STATUS_BAR_CSS, STATUS_BAR_ITEM_CSS, WorkbenchSelectors } from './selectors';
import { waitFor } from './wait';

/** Text as the user reads it: VS Code renders spaces as no-break spaces and adds zero-width joiners. */
export function normalizeText(s: string): string {
  return s.replace(/\u00a0/g, ' ').replace(/\u200b|\u200c|\u200d|\ufeff/g, '');
}

export const WorkbenchActions = {
  /** Opens the quick input with a key (F1, Ctrl+P, Ctrl+G), retrying: the first press can be lost at startup. */
  /**
   * Closes a quick input left open (Escape reaches it only with the focus in it: after a click in a
   * notification or a webview, it goes there instead and the pick stays open).
   */
  async closeQuickInput(e2e: CodeServerE2E): Promise<void> {
    const box = WorkbenchSelectors.quickInputBox(e2e.page);
    for (let attempt = 0; attempt < 3 && (await box.isVisible()); attempt++) {
      // Escape anywhere else would do something else (in the editor: drop the selection).
      const focused = await box
        .focus({ timeout: 2_000 })
        .then(() => box.evaluate((el) => el === el.ownerDocument.activeElement))
        .catch(() => false);
      if (focused) await e2e.page.keyboard.press('Escape');
      await box.waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => {});
    }
  },

  async openQuickInput(e2e: CodeServerE2E, key: string) {
    const input = WorkbenchSelectors.quickInputBox(e2e.page);
    for (let attempt = 0; attempt < 3; attempt++) {
      await e2e.page.keyboard.press(key);
      try {
        await input.waitFor({ state: 'visible', timeout: 5_000 });
        return input;
      } catch {
        await e2e.page.keyboard.press('Escape');
      }
    }
    throw new Error(`the quick input did not open with ${key}`);
  },

  /** Runs a command by its palette title ("Gearbox: Show Status"), clicking the matching row. */
  async runCommand(e2e: CodeServerE2E, title: string): Promise<void> {
    const input = await WorkbenchActions.openQuickInput(e2e, 'F1');
    await input.fill(`>${title}`);
    const row = WorkbenchSelectors.quickPickRows(e2e.page, title.replace(/…$/, '')).first();
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    await row.click();
  },

  /**
   * Opens a workspace file through Quick Open and waits until its editor has focus. An editor that
   * takes the focus as it renders (the Welcome walkthrough at the first start) closes Quick Open
   * under the typing: then Quick Open is opened again.
   */
  async openFile(e2e: CodeServerE2E, rel: string): Promise<void> {
    const { page } = e2e;
    const base = path.basename(rel);
    // The row Enter picks: right after typing, the list may still show the recently opened files
    // (another file focused) until Quick Open has filtered it.
    const row = WorkbenchSelectors.quickPickFocusedRow(page, base).first();
    for (let attempt = 1; ; attempt++) {
      const input = await WorkbenchActions.openQuickInput(e2e, 'Control+P');
      try {
        await input.fill(rel, { timeout: 5_000 });
        await row.waitFor({ state: 'visible', timeout: 15_000 });
        break;
      } catch (err) {
        if (attempt === 3) throw err;
        await page.keyboard.press('Escape');
      }
    }
    await page.keyboard.press('Enter');
    await WorkbenchSelectors.activeTab(page, base).waitFor({ timeout: 15_000 });
    await EditorSelectors.viewLines(EditorSelectors.active(page)).waitFor({ state: 'visible' });
    await EditorSelectors.anyFocused(page).waitFor({ timeout: 10_000 });
  },
};

export const EditorActions = {
  async focus(e2e: CodeServerE2E): Promise<void> {
    if (await EditorSelectors.focused(e2e.page).count()) return;
    await EditorSelectors.viewLines(EditorSelectors.active(e2e.page)).click({ position: { x: 5, y: 5 } });
  },

  /** Moves the cursor to the end of the document. */
  async gotoEnd(e2e: CodeServerE2E): Promise<void> {
    await EditorActions.focus(e2e);
    await e2e.page.keyboard.press('Control+End');
  },

  /** Moves to a 1-based line and column with Go to Line (Ctrl+G "line:col"). */
  async gotoLine(e2e: CodeServerE2E, line: number, col = 1): Promise<void> {
    const input = await WorkbenchActions.openQuickInput(e2e, 'Control+G');
    await input.fill(`:${line}:${col}`);
    await e2e.page.keyboard.press('Enter');
    await EditorSelectors.focused(e2e.page).waitFor({ timeout: 5_000 });
  },

  async type(e2e: CodeServerE2E, text: string, delayMs = 20): Promise<void> {
    await e2e.page.keyboard.type(text, { delay: delayMs });
  },

  /** Selects lines [from, to] (1-based, inclusive) of the active editor with the keyboard. */
  async selectLines(e2e: CodeServerE2E, from: number, to: number): Promise<void> {
    await EditorActions.gotoLine(e2e, from, 1);
    for (let i = from; i <= to; i++) await e2e.page.keyboard.press('Shift+ArrowDown');
  },

  /** Ghost text (inline completion) currently shown in the active editor, or "" when none. */
  async ghostText(e2e: CodeServerE2E): Promise<string> {
    const parts = await EditorSelectors.ghostTextParts(EditorSelectors.active(e2e.page)).allTextContents();
    return normalizeText(parts.join(''));
  },

  /**
   * Waits for ghost text after typing. If none shows within `retriggerAfterMs`, asks once
   * explicitly (Alt+\\, "Trigger Inline Suggestion") and says so on stderr: a lost automatic
   * trigger is worth knowing about, but is not what these flows test. Returns the ghost text and
   * the keys of `moreKeys` it typed beyond the caller's text.
   */
  async waitForGhostText(
    e2e: CodeServerE2E,
    { timeoutMs = 30_000, retriggerAfterMs = 15_000, moreKeys = '' } = {},
  ): Promise<{ text: string; typedMore: string }> {
    let typedMore = '';
    const shown = EditorSelectors.ghostText(EditorSelectors.active(e2e.page));
    const deadline = Date.now() + timeoutMs;
    const left = () => Math.max(1, deadline - Date.now());
    try {
      await shown.waitFor({ state: 'visible', timeout: Math.min(retriggerAfterMs, timeoutMs) });
    } catch {
      const late = `no ghost text ${retriggerAfterMs} ms after typing`;
      process.stderr.write(`      [${e2e.opts.name}] ${late}; triggering inline suggestions explicitly\n`);
      e2e.notes.push(`ghost text needed an explicit trigger (${late})`);
      await e2e.screenshot('no-ghost-text-yet');
      await e2e.page.keyboard.press('Alt+Backslash');
      // A random-weight test model may have nothing to say at this exact spot (an empty line, on
      // some CPUs' arithmetic): keep typing, as a user would, one key at a time.
      const keys = [...moreKeys];
      for (;;) {
        const wait = keys.length ? Math.min(retriggerAfterMs, left()) : left();
        try {
          await shown.waitFor({ state: 'visible', timeout: wait });
          break;
        } catch (err) {
          const key = keys.shift();
          if (key === undefined || Date.now() >= deadline)
            throw new Error(
              `${(err as Error).message}\nrecent completions in the daemon log:\n${e2e.completionLogTail()}`,
            );
          e2e.notes.push(`no ghost text yet: typed ${JSON.stringify(key)} more`);
          await e2e.page.keyboard.type(key, { delay: 30 });
          typedMore += key;
        }
      }
    }
    const text = await waitFor(
      'non-empty ghost text',
      async () => (await EditorActions.ghostText(e2e)).trim() || undefined,
      left(),
    );
    return { text, typedMore };
  },

  /** Saves the active editor (Ctrl+S) and returns the file's content from disk once it changed. */
  async saveAndRead(e2e: CodeServerE2E, rel: string, previous?: string): Promise<string> {
    const before = previous ?? e2e.readWorkspaceFile(rel);
    await e2e.page.keyboard.press('Control+S');
    // A dirty editor's tab has class "dirty"; wait for it to go (or for the file to change).
    await waitFor(
      `${rel} to be saved`,
      async () => {
        const dirty = await WorkbenchSelectors.dirtyActiveTab(e2e.page).count();
        const now = e2e.readWorkspaceFile(rel);
        return dirty === 0 && now !== before ? now : undefined;
      },
      10_000,
    ).catch(() => undefined);
    return e2e.readWorkspaceFile(rel);
  },
};

export const StatusBarActions = {
  async text(e2e: CodeServerE2E): Promise<string> {
    return normalizeText((await WorkbenchSelectors.gearboxStatus(e2e.page).first().innerText()).trim());
  },

  /** Waits until the Gearbox item's text matches (default: running, "Gearbox: <model>"). */
  async waitFor(e2e: CodeServerE2E, re: RegExp = /Gearbox: (?!daemon down)/, timeoutMs = 60_000): Promise<string> {
    const t = Date.now();
    const item = WorkbenchSelectors.gearboxStatus(e2e.page).filter({ hasText: re });
    await item.first().waitFor({ state: 'visible', timeout: timeoutMs });
    e2e.mark('wait-status', t);
    return StatusBarActions.text(e2e);
  },

  /**
   * Starts recording every text the Gearbox status bar item shows (a MutationObserver in the page),
   * so that a short phase ("daemon down" for half a second) is not missed between polls.
   */
  async record(e2e: CodeServerE2E): Promise<void> {
    // A string, not a function: tsx's __name helper does not exist in the page.
    await e2e.page.evaluate(`(() => {
      window.__gbStatus = [];
      const bar = document.querySelector(${JSON.stringify(STATUS_BAR_CSS)});
      const record = () => {
        for (const el of bar.querySelectorAll(${JSON.stringify(STATUS_BAR_ITEM_CSS)})) {
          const t = (el.textContent || '').trim();
          if (/Gearbox/.test(t) && window.__gbStatus[window.__gbStatus.length - 1] !== t) window.__gbStatus.push(t);
        }
      };
      record();
      new MutationObserver(record)
        .observe(bar, { subtree: true, childList: true, characterData: true, attributes: true });
    })()`);
  },

  /** Every text recorded since `record`. */
  async history(e2e: CodeServerE2E): Promise<string[]> {
    return (await e2e.page.evaluate('window.__gbStatus || []')) as string[];
  },

  /** Waits until the recorded texts include one that matches; returns them all. */
  async waitForSeen(e2e: CodeServerE2E, re: RegExp, timeoutMs = 30_000): Promise<string[]> {
    return waitFor(
      `the status bar to show ${re}`,
      async () => {
        const seen = await StatusBarActions.history(e2e);
        return seen.some((s) => re.test(s)) ? seen : undefined;
      },
      timeoutMs,
      50,
    );
  },
};

export const ChatActions = {
  /**
   * Shows the Gearbox chat and returns the webview's content frame once its composer is visible.
   * Clicks the activity bar entry when the container is not showing (clicking it while it shows
   * would hide the sidebar), else runs gearbox.chat.focus from the palette.
   */
  async open(e2e: CodeServerE2E): Promise<FrameLocator> {
    const t = Date.now();
    const frame = ChatSelectors.frame(e2e.page);
    const input = ChatSelectors.input(frame);
    const item = WorkbenchSelectors.activityBarItem(e2e.page);
    const present = (await item.count()) > 0;
    const checked = present && /\bchecked\b/.test((await item.getAttribute('class')) ?? '');
    // The container is showing (e.g. restored after a reload): its webview may still be loading.
    const shown = () =>
      input.waitFor({ state: 'visible', timeout: 10_000 }).then(
        () => true,
        () => false,
      );
    if (!checked || !(await shown())) {
      if (present && !checked) await item.click();
      // VS Code names the view's generated focus command "Focus on Chat View" (id gearbox.chat.focus).
      else await WorkbenchActions.runCommand(e2e, 'Gearbox: Focus on Chat View');
      await input.waitFor({ state: 'visible', timeout: 30_000 });
    }
    e2e.mark('open-chat', t);
    return frame;
  },

  /** Types "@" and the start of a kind into the composer and picks it from the @ menu with Enter. */
  async mention(e2e: CodeServerE2E, kind: string): Promise<void> {
    const chat = ChatSelectors.frame(e2e.page);
    const input = ChatSelectors.input(chat);
    await input.click();
    await input.press('End');
    await input.pressSequentially('@', { delay: 30 });
    await ChatSelectors.mentionOption(chat, kind).waitFor({ state: 'visible', timeout: 10_000 });
    await e2e.screenshot(`mention-${kind}`);
    await input.pressSequentially(kind.slice(0, 3), { delay: 30 });
    await ChatSelectors.mentionMenu(chat).locator('[role="option"]').nth(1).waitFor({ state: 'detached' });
    await input.press('Enter');
  },

  /** Types a message into the chat's composer and clicks Send. */
  async ask(e2e: CodeServerE2E, text: string): Promise<void> {
    const chat = ChatSelectors.frame(e2e.page);
    const input = ChatSelectors.input(chat);
    await input.waitFor({ state: 'visible', timeout: 30_000 });
    await input.fill(text);
    await ChatSelectors.sendButton(chat).click();
  },
};
