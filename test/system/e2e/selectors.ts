// Where things are in the page: every DOM selector the e2e flows use, in one place, so that a VS Code
// (or webview) markup change is fixed here and not in each flow. Locators only; no waiting, no input.
import type { FrameLocator, Locator, Page } from 'playwright-core';

export const EXTENSION_ID = 'gearbox.gearbox';

/** The status bar and its items, as CSS: also used by a script that runs in the page. */
export const STATUS_BAR_CSS = '.part.statusbar';
export const STATUS_BAR_ITEM_CSS = '.statusbar-item';

/** The workbench around the editor: status bar, quick input, menus, dialogs, activity bar. */
export const WorkbenchSelectors = {
  workbench: (page: Page): Locator => page.locator('.monaco-workbench'),
  statusBar: (page: Page): Locator => page.locator(STATUS_BAR_CSS),
  /** The Gearbox status bar item. */
  gearboxStatus: (page: Page): Locator =>
    page.locator(`${STATUS_BAR_CSS} ${STATUS_BAR_ITEM_CSS}`).filter({ hasText: /Gearbox/ }),
  /** The explorer's rows: there once the remote file system answered. */
  explorerRows: (page: Page): Locator => page.locator('.explorer-folders-view .monaco-list-row'),
  quickInput: (page: Page): Locator => page.locator('.quick-input-widget'),
  quickInputBox: (page: Page): Locator =>
    page.locator('.quick-input-widget').locator('input.input, .quick-input-box input').first(),
  /** Quick-input rows (command palette, Quick Pick), optionally filtered by text. */
  quickPickRows: (page: Page, text?: string | RegExp): Locator => {
    const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
    return text === undefined ? rows : rows.filter({ hasText: text });
  },
  /** The Quick Pick row Enter would pick (the focused one), optionally only when it shows this text. */
  quickPickFocusedRow: (page: Page, text?: string | RegExp): Locator => {
    const row = page.locator('.quick-input-widget .quick-input-list .monaco-list-row.focused');
    return text === undefined ? row : row.filter({ hasText: text });
  },
  /** The active editor tab, optionally only when it shows this file name. */
  activeTab: (page: Page, name?: string): Locator => {
    const tab = page.locator('.tabs-container .tab.active');
    return name === undefined ? tab : tab.filter({ hasText: name });
  },
  /** The active tab while its editor has unsaved changes. */
  dirtyActiveTab: (page: Page): Locator => page.locator('.tabs-container .tab.active.dirty'),
  /** The "Gearbox" view container's entry in the activity bar. */
  activityBarItem: (page: Page): Locator =>
    page
      .locator(
        '.part.activitybar .action-item[aria-label^="Gearbox"], ' +
          '.part.activitybar .action-item:has(> .action-label[aria-label^="Gearbox"])',
      )
      .first(),
  contextMenu: (page: Page): Locator => page.locator('.monaco-menu-container, .context-view .monaco-menu'),
  /** An entry of an open (context or sub-) menu whose label starts with the text. */
  menuItem: (page: Page, label: RegExp): Locator =>
    page.locator('.monaco-menu .action-item').filter({ hasText: label }),
  diffEditor: (page: Page): Locator => page.locator('.editor-group-container .monaco-diff-editor').first(),
  /** A notification toast, optionally only one whose text matches. */
  notification: (page: Page, text?: RegExp): Locator => {
    const toasts = page.locator('.notification-toast');
    return text === undefined ? toasts : toasts.filter({ hasText: text });
  },
  /** Notification toasts on screen (they hide after a while; the notification center keeps them all). */
  notificationToasts: (page: Page): Locator => page.locator('.notifications-toasts .notification-toast'),
  /** Every notification of the window, once the notification center is open. */
  notificationCenterItems: (page: Page): Locator => page.locator('.notifications-center .notification-list-item'),
  /** A button of a notification or a modal dialog. */
  promptButton: (page: Page, label: RegExp): Locator =>
    page
      .locator('.notification-toast .monaco-button, .monaco-dialog-box .monaco-button, .dialog-buttons .monaco-button')
      .filter({ hasText: label }),
};

/** A walkthrough in the Welcome editor (contributes.walkthroughs): its steps and their buttons. */
export const WalkthroughSelectors = {
  page: (page: Page): Locator => page.locator('.gettingStartedContainer'),
  /** The walkthrough's title, shown once it is open on its steps. */
  title: (page: Page, title: string): Locator =>
    page.locator('.gettingStartedContainer .getting-started-category h2, .gettingStartedContainer h2').filter({
      hasText: title,
    }),
  /** A walkthrough's entry on the Welcome page's start page. */
  category: (page: Page, title: string): Locator =>
    page.locator('.gettingStartedContainer .getting-started-category').filter({ hasText: title }).first(),
  /** A step's header (click it to expand the step). */
  step: (page: Page, title: string): Locator =>
    page.locator('.gettingStartedContainer .getting-started-step').filter({ hasText: title }).first(),
  /** A command link of the expanded step, rendered as a button. */
  button: (page: Page, label: string): Locator =>
    page
      .locator('.gettingStartedContainer .getting-started-step.expanded')
      .getByRole('button', { name: label, exact: true })
      .first(),
};

/** The Models view (a tree in the Gearbox sidebar). */
export const ModelsViewSelectors = {
  pane: (page: Page): Locator =>
    page.locator('.part.sidebar .pane').filter({ has: page.locator('.pane-header', { hasText: /^Models/ }) }),
  /** Rows of the view's tree, optionally only those whose label or description matches. */
  rows: (page: Page, text?: RegExp): Locator => {
    const rows = ModelsViewSelectors.pane(page).locator('.monaco-list-row');
    return text === undefined ? rows : rows.filter({ hasText: text });
  },
};

/** The text editor of the active editor group. */
export const EditorSelectors = {
  active: (page: Page): Locator =>
    page.locator('.editor-group-container.active .editor-instance .monaco-editor').first(),
  /** The active group's editor while it has keyboard focus. */
  focused: (page: Page): Locator => page.locator('.editor-group-container.active .monaco-editor.focused'),
  /** Any editor with keyboard focus, in whichever group. */
  anyFocused: (page: Page): Locator => page.locator('.editor-instance .monaco-editor.focused'),
  viewLines: (editor: Locator): Locator => editor.locator('.view-lines'),
  line: (editor: Locator, index: number): Locator => editor.locator('.view-line').nth(index),
  /** Every part of the ghost text (inline completion) on screen. */
  ghostTextParts: (editor: Locator): Locator =>
    editor.locator('.ghost-text-decoration, .ghost-text-decoration-preview, .ghost-text'),
  /** The ghost text's first decoration: visible while a suggestion shows. */
  ghostText: (editor: Locator): Locator => editor.locator('.ghost-text-decoration, .ghost-text').first(),
  /** Code lenses of the editor (the inline diff's Accept / Reject), optionally only those whose text matches. */
  codeLens: (editor: Locator, text?: RegExp): Locator => {
    const lenses = editor.locator('.codelens-decoration a, .codelens-decoration span');
    return text === undefined ? lenses : lenses.filter({ hasText: text });
  },
};

/** The Gearbox chat webview (its contract: textarea[aria-label=Message], Send / Stop, .gb-answer and parts). */
export const ChatSelectors = {
  /** The chat webview's document: VS Code nests it as iframe.webview > iframe#active-frame. */
  frame: (page: Page): FrameLocator =>
    page
      .frameLocator(`iframe.webview[src*="extensionId=${EXTENSION_ID}"], .part.sidebar iframe.webview`)
      .first()
      .frameLocator('iframe#active-frame'),
  input: (chat: FrameLocator): Locator => chat.locator('textarea[aria-label="Message"]'),
  sendButton: (chat: FrameLocator): Locator => chat.getByRole('button', { name: 'Send', exact: true }),
  stopButton: (chat: FrameLocator): Locator => chat.getByRole('button', { name: 'Stop', exact: true }),
  /** The model dropdown under the composer (Auto, then one option per chat model; unavailable ones disabled). */
  modelPicker: (chat: FrameLocator): Locator => chat.locator('select.gb-model-picker'),
  userTurns: (chat: FrameLocator): Locator => chat.locator('.gb-user'),
  answers: (chat: FrameLocator): Locator => chat.locator('.gb-answer'),
  streamingAnswers: (chat: FrameLocator): Locator => chat.locator('.gb-answer.gb-status-streaming'),
  finishedAnswers: (chat: FrameLocator): Locator => chat.locator('.gb-answer:not(.gb-status-streaming)'),
  doneAnswers: (chat: FrameLocator): Locator => chat.locator('.gb-answer.gb-status-done'),
  /** The @ menu of the input and its entries ("@file", ...). */
  mentionMenu: (chat: FrameLocator): Locator => chat.locator('.gb-mentions'),
  mentionOption: (chat: FrameLocator, kind: string): Locator =>
    chat.locator('.gb-mentions [role="option"]').filter({ hasText: `@${kind}` }),
  /** The chips above the input, optionally only those whose label matches. */
  chips: (chat: FrameLocator, label?: RegExp): Locator => {
    const chips = chat.locator('.gb-context-row .gb-chip');
    return label === undefined ? chips : chips.filter({ hasText: label });
  },
  /** Parts of one answer. */
  body: (answer: Locator): Locator => answer.locator('.gb-answer-body'),
  meta: (answer: Locator): Locator => answer.locator('.gb-answer-meta'),
  status: (answer: Locator): Locator => answer.locator('.gb-answer-status'),
};
