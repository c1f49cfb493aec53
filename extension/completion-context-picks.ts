// Tells the daemon which region of a file the user selected or looked at when they leave it
// (core/context-picks.ts decides): a chunk of the extra context of completions in other files.
import * as vscode from 'vscode';
import type { GearboxClient } from './client-api';
import { type EditorSpot, pickOnLeave } from './core/context-picks';

function spotOf(editor: vscode.TextEditor | undefined): EditorSpot | undefined {
  if (!editor) return undefined;
  const { start, end } = editor.selection;
  return {
    uri: editor.document.uri.toString(),
    selection: {
      start: { line: start.line, character: start.character },
      end: { line: end.line, character: end.character },
    },
  };
}

export function registerContextPicks(conn: GearboxClient): vscode.Disposable {
  let here = spotOf(vscode.window.activeTextEditor);
  return vscode.Disposable.from(
    vscode.window.onDidChangeTextEditorSelection((e) => {
      if (e.textEditor === vscode.window.activeTextEditor) here = spotOf(e.textEditor);
    }),
    vscode.window.onDidChangeActiveTextEditor((next) => {
      const params = pickOnLeave(here, next?.document.uri.toString());
      if (params) conn.notify('gearbox/completion/pickContext', params);
      here = spotOf(next);
    }),
  );
}
