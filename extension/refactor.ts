// Refactor commands: the editor context submenu (gearbox.refactor.*) and the daemon's code
// actions (gearbox.refactor with { kind, uri, range }). The daemon computes; the answer streams into
// the inline diff of the editor (edit/inline-edit.ts), where each hunk is accepted or rejected.
import * as vscode from 'vscode';
import type { GearboxClient } from './client-api';
import {
  ErrorCodes,
  EXPLAIN_MAX_TOKENS,
  type Range as LspRange,
  type RefactorKind,
  type RefactorResult,
} from '../shared/protocol';
import {
  describeResult,
  errorCode,
  errorMessage,
  parseCodeActionArg,
  REFACTOR_COMMANDS,
  refactorTitle,
  testsDocument,
} from './core/refactor-logic';
import { buildAttachedContext } from './chat/context';
import { editRegion } from './core/edit-region';
import type { InlineEdits } from './edit/inline-edit';

/** RefactorParams.text limit: beyond it the daemon's own copy of the document is used. */
const MAX_TEXT = 4_000_000;

function toLsp(r: vscode.Range): LspRange {
  return {
    start: { line: r.start.line, character: r.start.character },
    end: { line: r.end.line, character: r.end.character },
  };
}

function fromLsp(r: LspRange): vscode.Range {
  return new vscode.Range(r.start.line, r.start.character, r.end.line, r.end.character);
}

export function registerRefactorCommands(
  context: vscode.ExtensionContext,
  client: GearboxClient,
  inlineEdits: InlineEdits,
): void {
  const run = async (kind: RefactorKind, doc: vscode.TextDocument, range: vscode.Range): Promise<void> => {
    range = doc.validateRange(range);
    if (range.isEmpty) {
      void vscode.window.showInformationMessage('Gearbox: select some code first.');
      return;
    }
    const title = refactorTitle(kind);
    const selectionText = doc.getText(range);

    if (kind === 'explain') {
      // Explanations are a conversation: they go to the chat view, not to gearbox/refactor. The
      // context follows the chat's own convention (document text + selection range, which the
      // daemon slices; only the selected text for a huge document).
      const attached = buildAttachedContext({
        uri: doc.uri.toString(),
        fileName: doc.fileName,
        languageId: doc.languageId,
        text: doc.getText(),
        selection: toLsp(range),
        selectedText: selectionText,
      });
      if (!attached) {
        void vscode.window.showInformationMessage('Gearbox: the selection is empty.');
        return;
      }
      await vscode.commands.executeCommand('gearbox.chat.send', {
        message: 'Explain this code',
        context: attached.context,
        // An explanation is a few hundred tokens; asking for more in the chat gets the chat's budget.
        maxTokens: EXPLAIN_MAX_TOKENS,
      });
      return;
    }

    let instruction: string | undefined;
    if (kind === 'refactor') {
      instruction = await vscode.window.showInputBox({
        title: 'Gearbox: Refactor',
        prompt: 'What should change in the selected code?',
        placeHolder: 'e.g. use async/await instead of callbacks',
        ignoreFocusOut: true,
        validateInput: (v) => (v.trim() ? undefined : 'Describe the change'),
      });
      if (!instruction?.trim()) return;
      instruction = instruction.trim();
    }

    if (kind === 'tests') {
      await generateTests(doc, range, client);
      return;
    }
    // Every other kind rewrites the selection's lines: streamed into the inline diff of the editor.
    const editor = await vscode.window.showTextDocument(doc, { preserveFocus: false, preview: false });
    const region = editRegion({ lineCount: doc.lineCount, lineText: (l) => doc.lineAt(l).text }, toLsp(range));
    await inlineEdits.streamEdit(editor, region, { kind, ...(instruction ? { instruction } : {}), title });
  };

  const fromSelection = (kind: RefactorKind) => async (): Promise<void> => {
    const editor = vscode.window.activeTextEditor;
    if (!editor) {
      void vscode.window.showInformationMessage('Gearbox: open a file and select some code first.');
      return;
    }
    await run(kind, editor.document, editor.selection);
  };

  for (const c of REFACTOR_COMMANDS)
    context.subscriptions.push(vscode.commands.registerCommand(c.command, fromSelection(c.kind)));

  context.subscriptions.push(
    vscode.commands.registerCommand('gearbox.refactor', async (arg: unknown) => {
      const a = parseCodeActionArg(arg);
      if (!a) {
        // Invoked without the code action's argument (e.g. from a keybinding): use the selection.
        const editor = vscode.window.activeTextEditor;
        if (editor && !editor.selection.isEmpty) return run('refactor', editor.document, editor.selection);
        void vscode.window.showInformationMessage('Gearbox: select some code first.');
        return;
      }
      let doc: vscode.TextDocument;
      try {
        doc = await vscode.workspace.openTextDocument(vscode.Uri.parse(a.uri, true));
      } catch (err) {
        void vscode.window.showErrorMessage(`Gearbox: cannot open ${a.uri}: ${errorMessage(err)}`);
        return;
      }
      await run(a.kind, doc, fromLsp(a.range));
    }),
  );
}

/** Generate Tests: the answer opens beside the code as a new document (nothing in the file changes). */
async function generateTests(doc: vscode.TextDocument, range: vscode.Range, client: GearboxClient): Promise<void> {
  const title = refactorTitle('tests');
  const fullText = doc.getText();
  let result: RefactorResult | undefined;
  try {
    result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Gearbox: ${title}…`, cancellable: true },
      async (_progress, token) => {
        try {
          return await client.request(
            'gearbox/refactor',
            {
              kind: 'tests',
              uri: doc.uri.toString(),
              range: toLsp(range),
              ...(fullText.length <= MAX_TEXT ? { text: fullText } : {}),
              languageId: doc.languageId,
            },
            token,
          );
        } catch (err) {
          if (token.isCancellationRequested || errorCode(err) === ErrorCodes.RequestCancelled) return undefined;
          throw err;
        }
      },
    );
  } catch (err) {
    showError(title, err, client);
    return;
  }
  if (!result) return; // cancelled
  const who = describeResult(result);
  client.log.info(`${title} of ${doc.uri.toString()}: ${who} — ${result.route.summary}`);
  const { content, language } = testsDocument(result.explanation, doc.languageId);
  const testsDoc = await vscode.workspace.openTextDocument({ content, language });
  await vscode.window.showTextDocument(testsDoc, { viewColumn: vscode.ViewColumn.Beside, preview: false });
  void vscode.window.showInformationMessage(`Gearbox: tests generated by ${who}. Save them where they belong.`);
}

function showError(title: string, err: unknown, client: GearboxClient): void {
  const msg = errorMessage(err);
  const code = errorCode(err);
  client.log.warn(`${title} failed${code !== undefined ? ` (${code})` : ''}: ${msg}`);
  const actions: string[] = [];
  if (code === ErrorCodes.MissingApiKey) actions.push('Set API Key');
  if (code === ErrorCodes.NoModelAvailable || code === ErrorCodes.MissingApiKey) actions.push('Select Model…');
  void vscode.window.showErrorMessage(`Gearbox ${title}: ${msg}`, ...actions).then((pick) => {
    if (pick === 'Set API Key') void vscode.commands.executeCommand('gearbox.setApiKey');
    else if (pick === 'Select Model…') void vscode.commands.executeCommand('gearbox.selectModel');
  });
}
