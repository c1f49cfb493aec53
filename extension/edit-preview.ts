// Shows a proposed change as a diff (current document ↔ proposed), asks Accept / Reject, and on
// Accept applies it as ONE WorkspaceEdit (a single undo restores the original). Used by the
// refactor commands and the chat view.
import * as vscode from 'vscode';

export const PREVIEW_SCHEME = 'gearbox-preview';

const contents = new Map<string, string>();
const changed = new vscode.EventEmitter<vscode.Uri>();
let registration: vscode.Disposable | undefined;
let counter = 0;

function ensureProvider(): void {
  if (registration) return;
  registration = vscode.workspace.registerTextDocumentContentProvider(PREVIEW_SCHEME, {
    onDidChange: changed.event,
    provideTextDocumentContent: (uri) => contents.get(uri.toString()) ?? '',
  });
}

async function closeDiff(previewUri: vscode.Uri): Promise<void> {
  const key = previewUri.toString();
  const tabs: vscode.Tab[] = [];
  for (const group of vscode.window.tabGroups.all) {
    for (const tab of group.tabs) {
      const input = tab.input;
      if (
        input instanceof vscode.TabInputTextDiff &&
        (input.modified.toString() === key || input.original.toString() === key)
      )
        tabs.push(tab);
    }
  }
  if (tabs.length) {
    try {
      await vscode.window.tabGroups.close(tabs, true);
    } catch {
      /* already closed */
    }
  }
}

export async function previewAndApply(args: {
  uri: vscode.Uri;
  range: vscode.Range;
  newText: string;
  title: string;
}): Promise<boolean> {
  ensureProvider();
  const doc = await vscode.workspace.openTextDocument(args.uri);
  const range = doc.validateRange(args.range);
  const version = doc.version;
  const text = doc.getText();
  const proposed = text.slice(0, doc.offsetAt(range.start)) + args.newText + text.slice(doc.offsetAt(range.end));
  if (proposed === text) {
    void vscode.window.showInformationMessage(`${args.title}: no changes to apply.`);
    return false;
  }

  // Same path (so the language and icon match) on the preview scheme, unique per preview.
  const previewUri = vscode.Uri.from({
    scheme: PREVIEW_SCHEME,
    path: doc.uri.path || '/untitled',
    query: `preview=${++counter}`,
  });
  contents.set(previewUri.toString(), proposed);
  const name = doc.uri.path.split('/').pop() || doc.uri.toString();
  let applied = false;
  try {
    await vscode.commands.executeCommand(
      'vscode.diff',
      doc.uri,
      previewUri,
      `${name}: current ↔ proposed (${args.title})`,
      {
        preview: false,
        preserveFocus: false,
      } satisfies vscode.TextDocumentShowOptions,
    );

    // Non-modal so the diff can be scrolled while deciding.
    const choice = await vscode.window.showInformationMessage(
      `${args.title}: apply the proposed change to ${name}?`,
      'Accept',
      'Reject',
    );
    if (choice !== 'Accept') return false;

    if (doc.isClosed || doc.version !== version) {
      void vscode.window.showWarningMessage(
        `${name} changed since the preview, so the change was not applied. Run the command again.`,
      );
      return false;
    }
    const edit = new vscode.WorkspaceEdit();
    edit.replace(doc.uri, range, args.newText);
    applied = await vscode.workspace.applyEdit(edit);
    if (!applied)
      void vscode.window.showErrorMessage(`Gearbox could not apply the change to ${name} (is it read-only?).`);
    return applied;
  } finally {
    await closeDiff(previewUri);
    contents.delete(previewUri.toString());
    if (applied) {
      // Back to the edited code, the new text selected.
      const start = range.start;
      const end = doc.positionAt(doc.offsetAt(start) + args.newText.length);
      await vscode.window
        .showTextDocument(doc, { preview: false, selection: new vscode.Range(start, end) })
        .then(undefined, () => undefined);
    }
  }
}
