// The sidebar chat (view `gearbox.chat`): a webview with a strict CSP, the editor's chip and the @
// mentions (chip-sources.ts), code block actions (Apply streams into the inline diff) and the chat
// commands. The conversation itself lives in ChatController.
import * as vscode from 'vscode';
import { z } from 'zod';
import { ChatParams, CodeContext } from '../../shared/protocol';
import type { HostToWebview } from '../../shared/webview-protocol';
import type { GearboxClient } from '../client-api';
import { mergeByAnchors } from '../core/anchor-merge';
import { editRegion } from '../core/edit-region';
import type { InlineEdits } from '../edit/inline-edit';
import { webviewHtml } from '../webview-html';
import { ChipSources } from './chip-sources';
import { editorFileChip, rangeChip, type ResolvedChip } from './chips';
import { capText, chipLabel, isEmptyRange, lineSpan, MAX_CONTEXT_CHARS } from './context';
import { ChatController, type CodeActionKind } from './controller';
import { HistoryStore } from './history';

const CHAT_VIEW_ID = 'gearbox.chat';

/** Argument of the internal command `gearbox.chat.send` (used by the refactor "Explain" action). */
const ChatSendArgs = z.object({
  message: z.string().min(1).max(1_000_000),
  context: CodeContext.optional(),
  /** The answer's token budget (Explain: EXPLAIN_MAX_TOKENS); absent: the daemon's chat default. */
  maxTokens: ChatParams.shape.maxTokens,
});

/** Editors whose documents are not code the user is working on. */
const IGNORED_SCHEMES = new Set(['output', 'debug', 'vscode-scm', 'comment', 'vscode-chat-code-block']);

/** The editor's chip keeps this id: removing it is remembered until the selection or the editor changes. */
const EDITOR_CHIP_ID = 'editor';

export function registerChatView(
  context: vscode.ExtensionContext,
  client: GearboxClient,
  inlineEdits: InlineEdits,
): vscode.Disposable {
  const disposables: vscode.Disposable[] = [];
  const log = client.log;
  const distRoot = vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview');
  const mediaRoot = vscode.Uri.joinPath(context.extensionUri, 'media');

  let view: vscode.WebviewView | undefined;
  let focusWhenReady = false;

  // ---------- the last code editor (the webview takes focus, so remember it) ----------
  let lastEditor: vscode.TextEditor | undefined;
  let lastSelection: vscode.Selection | undefined;
  const usable = (e: vscode.TextEditor | undefined): e is vscode.TextEditor =>
    !!e && !IGNORED_SCHEMES.has(e.document.uri.scheme);
  const track = (e: vscode.TextEditor | undefined) => {
    if (!usable(e)) return;
    lastEditor = e;
    lastSelection = e.selection;
  };
  track(vscode.window.activeTextEditor);

  const liveEditor = (): vscode.TextEditor | undefined => {
    if (lastEditor && !lastEditor.document.isClosed) {
      const visible = vscode.window.visibleTextEditors.find((e) => e === lastEditor);
      if (visible) return visible;
      const same = vscode.window.visibleTextEditors.find((e) => e.document === lastEditor!.document);
      if (same) return same;
    }
    return usable(vscode.window.activeTextEditor) ? vscode.window.activeTextEditor : undefined;
  };

  /** An editor to insert into: the remembered one, shown again if it was hidden. */
  const targetEditor = async (): Promise<vscode.TextEditor | undefined> => {
    const live = liveEditor();
    if (live) return live;
    if (lastEditor && !lastEditor.document.isClosed) {
      return vscode.window.showTextDocument(lastEditor.document, { preserveFocus: false, selection: lastSelection });
    }
    return undefined;
  };

  const currentEditor = () => liveEditor() ?? (lastEditor && !lastEditor.document.isClosed ? lastEditor : undefined);

  /** The editor's chip with its content: the selection's lines, or the whole file (capped). */
  const snapshotContext = (): ResolvedChip | undefined => {
    const ed = currentEditor();
    if (!ed) return undefined;
    const doc = ed.document;
    const sel = ed.selection;
    const path = doc.isUntitled ? doc.uri.path || 'untitled' : vscode.workspace.asRelativePath(doc.uri);
    const base = { uri: doc.uri.toString(), path, languageId: doc.languageId };
    if (sel.isEmpty) {
      if (!doc.getText().trim()) return undefined;
      return editorFileChip(EDITOR_CHIP_ID, { ...base, text: doc.getText() });
    }
    const text = doc.getText(new vscode.Range(sel.start.line, 0, sel.end.line, sel.end.character));
    if (!doc.getText(sel).trim()) return undefined;
    const chip = rangeChip(EDITOR_CHIP_ID, 'editor', { ...base, text }, toRange(sel));
    return chip;
  };
  const chips = new ChipSources({ client, editor: currentEditor });
  disposables.push(chips);

  // ---------- the conversation ----------
  const store = new HistoryStore(context.workspaceState, {}, (why) => log.warn(`chat history: ${why}`));
  const post = (message: HostToWebview): boolean => {
    if (!view) return false;
    void Promise.resolve(view.webview.postMessage(message)).catch(() => undefined);
    return true;
  };
  const controller = new ChatController({
    client,
    store,
    post,
    newCancellation: () => new vscode.CancellationTokenSource(),
    currentContext: snapshotContext,
    pickContext: (kind, draft) => chips.pick(kind, draft),
    resolveRefs: async (refs) => {
      const out: ResolvedChip[] = [];
      for (const ref of refs) {
        const chip = await chips.resolve(ref).catch((err: Error) => {
          log.warn(`chat: could not read ${ref.label} again: ${err.message}`);
          return undefined;
        });
        if (chip) out.push(chip);
      }
      return out;
    },
    codeAction: (kind, code, language) => codeAction(kind, code, language),
  });

  const updateChip = () => {
    const ed = liveEditor() ?? (lastEditor && !lastEditor.document.isClosed ? lastEditor : undefined);
    if (!ed) {
      controller.editorContextChanged('', null);
      return;
    }
    const doc = ed.document;
    const sel = ed.selection;
    const key = `${doc.uri.toString()}#${sel.start.line}:${sel.start.character}-${sel.end.line}:${sel.end.character}`;
    const hasText = doc.lineCount > 1 || doc.lineAt(0).text.trim().length > 0;
    if (!hasText || (!sel.isEmpty && !doc.getText(sel).trim())) {
      controller.editorContextChanged(key, null);
      return;
    }
    const name = doc.isUntitled ? doc.uri.path || 'untitled' : doc.fileName;
    const range = toRange(sel);
    const label = chipLabel(name, range);
    const whole = isEmptyRange(range);
    const detail = whole
      ? `${vscode.workspace.asRelativePath(doc.uri)} — whole file`
      : `${vscode.workspace.asRelativePath(doc.uri)} — lines ${lineSpan(range).first}–${lineSpan(range).last}`;
    // The size as it will be sent: the selection's lines, or the file up to the cap.
    const chars = whole
      ? Math.min(doc.getText().length, MAX_CONTEXT_CHARS)
      : capText(doc.getText(new vscode.Range(sel.start.line, 0, sel.end.line, sel.end.character))).text.length;
    controller.editorContextChanged(key, {
      id: EDITOR_CHIP_ID,
      kind: 'editor',
      label,
      detail,
      tokens: Math.ceil(chars / 4),
      uris: [doc.uri.toString()],
      range,
    });
  };
  let chipTimer: ReturnType<typeof setTimeout> | undefined;
  const scheduleChip = () => {
    if (chipTimer) clearTimeout(chipTimer);
    chipTimer = setTimeout(() => {
      chipTimer = undefined;
      updateChip();
    }, 120);
  };
  updateChip();

  disposables.push(
    vscode.window.onDidChangeActiveTextEditor((e) => {
      track(e);
      scheduleChip();
    }),
    vscode.window.onDidChangeTextEditorSelection((e) => {
      if (!usable(e.textEditor)) return;
      lastEditor = e.textEditor;
      lastSelection = e.textEditor.selection;
      scheduleChip();
    }),
    vscode.workspace.onDidCloseTextDocument((d) => {
      if (lastEditor?.document === d) {
        lastEditor = undefined;
        track(vscode.window.activeTextEditor);
      }
      scheduleChip();
    }),
    client.onNotification('gearbox/chatChunk', (p) => controller.onChunk(p)),
    // Keys, endpoints, config, downloads, loads: the model dropdown follows the daemon's catalog.
    client.onNotification('gearbox/catalogChanged', () => void controller.refreshModels()),
    client.onDidChangeState((s) => controller.setConnection(s)),
    { dispose: () => chipTimer && clearTimeout(chipTimer) },
  );
  controller.setConnection(client.state);

  // ---------- code block actions ----------
  async function codeAction(kind: CodeActionKind, code: string, _language?: string): Promise<void> {
    if (kind === 'copyCode') {
      await vscode.env.clipboard.writeText(code);
      vscode.window.setStatusBarMessage('Gearbox: code copied to the clipboard', 2500);
      return;
    }
    const editor = await targetEditor();
    if (!editor) {
      void vscode.window.showWarningMessage('Gearbox: open an editor first, then try again.');
      return;
    }
    if (kind === 'insertCode') {
      const ok = await editor.edit((b) => {
        for (const sel of editor.selections) b.replace(sel, code);
      });
      if (!ok)
        void vscode.window.showWarningMessage(
          'Gearbox: could not insert the code (the document changed or is read-only).',
        );
      else
        await vscode.window.showTextDocument(editor.document, { viewColumn: editor.viewColumn, preserveFocus: false });
      return;
    }
    await applyCode(editor, code);
  }

  /**
   * Apply: a selection's lines are replaced by the block; without one the block is merged into the
   * whole file (its anchors first, else a local model writes the merged file). Either way the change
   * shows as the inline diff, hunk by hunk.
   */
  async function applyCode(editor: vscode.TextEditor, code: string): Promise<void> {
    const doc = editor.document;
    const lines = { lineCount: doc.lineCount, lineText: (l: number) => doc.lineAt(l).text };
    if (!editor.selection.isEmpty) {
      const region = editRegion(lines, toRange(editor.selection));
      await inlineEdits.showProposal(editor, region, code, 'Apply');
      return;
    }
    const last = doc.lineCount - 1;
    const whole = {
      startLine: 0,
      endLine: doc.lineCount,
      requestRange: { start: { line: 0, character: 0 }, end: { line: last, character: doc.lineAt(last).text.length } },
      keep: [],
    };
    const merged = mergeByAnchors(doc.getText(), code);
    if (merged !== undefined) {
      await inlineEdits.showProposal(editor, whole, merged, 'Apply');
      return;
    }
    // The anchors do not match: a local model merges (a daemon request, routed and checked like any).
    await inlineEdits.streamEdit(editor, whole, { kind: 'merge', instruction: code, hint: 'local', title: 'Apply' });
  }

  // ---------- the webview ----------
  const provider: vscode.WebviewViewProvider = {
    resolveWebviewView(webviewView) {
      view = webviewView;
      const webview = webviewView.webview;
      webview.options = { enableScripts: true, localResourceRoots: [distRoot, mediaRoot] };
      webview.html = renderHtml(webview, distRoot);
      const subs = [
        webview.onDidReceiveMessage((m: unknown) => {
          if (m && typeof m === 'object' && (m as { type?: unknown }).type === 'ready' && focusWhenReady) {
            controller.handleMessage(m);
            focusWhenReady = false;
            post({ type: 'focusInput' });
            return;
          }
          controller.handleMessage(m);
        }),
        webviewView.onDidChangeVisibility(() => {
          if (webviewView.visible) updateChip();
        }),
      ];
      webviewView.onDidDispose(() => {
        subs.forEach((d) => d.dispose());
        if (view === webviewView) view = undefined;
      });
    },
  };
  disposables.push(vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, provider));

  /** Shows the view; with `focusInput` the message box takes focus, else the editor keeps it. */
  const reveal = async (focusInput: boolean) => {
    if (view) {
      view.show(!focusInput);
      if (focusInput) post({ type: 'focusInput' });
      return;
    }
    focusWhenReady = focusInput;
    // Not `gearbox.chat.focus`: this extension registers that id itself (see below), overriding
    // the one VS Code generates for the view, so calling it here would recurse.
    await vscode.commands.executeCommand('workbench.view.extension.gearbox');
    if (view) (view as vscode.WebviewView).show(!focusInput);
  };

  disposables.push(
    vscode.commands.registerCommand('gearbox.chat.focus', () => reveal(true)),
    vscode.commands.registerCommand('gearbox.chat.new', () => controller.newChat()),
    vscode.commands.registerCommand('gearbox.chat.retryStronger', async () => {
      if (!controller.conversation.some((t) => t.role === 'user')) {
        void vscode.window.showInformationMessage('Gearbox: nothing to retry yet — ask something in the chat first.');
        return;
      }
      await reveal(false);
      await controller.retry('stronger');
    }),
    /** Internal: `{ message, context? }`; reveals the view, sends, resolves when the answer is finished. */
    vscode.commands.registerCommand('gearbox.chat.send', async (raw: unknown) => {
      const args = ChatSendArgs.safeParse(raw);
      if (!args.success) {
        log.warn(
          'gearbox.chat.send: invalid arguments: ' +
            args.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
        );
        return;
      }
      await reveal(false);
      await controller.send(args.data.message, args.data.context, args.data.maxTokens);
    }),
  );

  return vscode.Disposable.from(...disposables);
}

function toRange(sel: vscode.Range): {
  start: { line: number; character: number };
  end: { line: number; character: number };
} {
  return {
    start: { line: sel.start.line, character: sel.start.character },
    end: { line: sel.end.line, character: sel.end.character },
  };
}

function renderHtml(webview: vscode.Webview, distRoot: vscode.Uri): string {
  return webviewHtml(webview, distRoot, { script: 'main.js', style: 'main.css', title: 'Gearbox Chat' });
}
