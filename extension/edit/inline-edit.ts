// Inline edits in the editor: Ctrl+I / Cmd+I asks for an instruction and streams the answer into an
// inline diff at the cursor (the selection's lines are rewritten, no selection inserts code there);
// the refactor commands and the chat's Apply go through the same diff. Accept / Reject per hunk and
// for all are code lenses over the hunks (and commands); the session itself is inline-diff-session.ts.
import * as vscode from 'vscode';
import {
  ErrorCodes,
  type Range as LspRange,
  type RefactorKind,
  type RefactorParams,
  type RefactorResult,
} from '../../shared/protocol';
import type { GearboxClient } from '../client-api';
import { answerCode } from '../core/answer-code';
import { editRegion, type EditRegion } from '../core/edit-region';
import type { Verdict } from '../core/inline-diff';
import { errorCode, errorMessage } from '../core/refactor-logic';
import { sendFeedback } from '../feedback';
import { InlineDiffSession } from './inline-diff-session';

/** What a decided inline diff tells the router about the answer behind it. */
const VERDICT_SIGNAL = { accepted: 'edit-accepted', rejected: 'edit-rejected', partial: 'edit-partial' } as const;

/** Set while the active editor shows an inline diff (keybindings of Accept All / Reject All). */
const CONTEXT_KEY = 'gearbox.inlineDiffVisible';

/** RefactorParams.text limit: beyond it the daemon's own copy of the document is used. */
const MAX_TEXT = 4_000_000;

export interface StreamedEdit {
  kind: RefactorKind;
  instruction?: string;
  hint?: RefactorParams['hint'];
  /** What the progress and messages call it ("Simplify", "Edit", "Apply"). */
  title: string;
}

export class InlineEdits implements vscode.Disposable {
  private readonly sessions = new Map<string, InlineDiffSession>();
  /** The daemon's request behind a session's proposal (absent for Apply: its code is the chat's). */
  private readonly requestIds = new WeakMap<InlineDiffSession, string>();
  private readonly lensesChanged = new vscode.EventEmitter<void>();
  private readonly disposables: vscode.Disposable[] = [];
  private counter = 0;

  constructor(private readonly client: GearboxClient) {
    this.disposables.push(
      this.lensesChanged,
      vscode.languages.registerCodeLensProvider(
        { scheme: '*' },
        { onDidChangeCodeLenses: this.lensesChanged.event, provideCodeLenses: (doc) => this.lenses(doc) },
      ),
      vscode.window.onDidChangeActiveTextEditor(() => this.updateContext()),
      vscode.commands.registerCommand('gearbox.inlineEdit', () => this.askAndEdit()),
      vscode.commands.registerCommand('gearbox.inlineDiff.acceptHunk', (uri?: string, hunk?: number) =>
        this.decide(uri, hunk, 'accepted'),
      ),
      vscode.commands.registerCommand('gearbox.inlineDiff.rejectHunk', (uri?: string, hunk?: number) =>
        this.decide(uri, hunk, 'rejected'),
      ),
      vscode.commands.registerCommand('gearbox.inlineDiff.acceptAll', (uri?: string) =>
        this.decide(uri, 'all', 'accepted'),
      ),
      vscode.commands.registerCommand('gearbox.inlineDiff.rejectAll', (uri?: string) =>
        this.decide(uri, 'all', 'rejected'),
      ),
    );
  }

  dispose(): void {
    for (const s of this.sessions.values()) void s.abandon();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  /** Ctrl+I: an instruction for the selection's lines (rewrite) or the cursor (insert). */
  private async askAndEdit(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    if (!editor) return;
    const region = editRegion(
      { lineCount: editor.document.lineCount, lineText: (l) => editor.document.lineAt(l).text },
      toLsp(editor.selection),
    );
    const rewrite = region.endLine > region.startLine && region.keep.length === 0;
    const where = rewrite ? `lines ${region.startLine + 1}–${region.endLine}` : `line ${region.startLine + 1}`;
    const instruction = await vscode.window.showInputBox({
      title: `Gearbox: Edit (${where})`,
      prompt: rewrite ? 'How should the selected lines change?' : 'What should be written here?',
      placeHolder: rewrite ? 'e.g. handle the empty list' : 'e.g. a function that parses ISO dates',
      ignoreFocusOut: true,
    });
    if (!instruction?.trim()) return;
    await this.streamEdit(editor, region, { kind: 'refactor', instruction: instruction.trim(), title: 'Edit' });
  }

  /** A refactor of `region` streamed into an inline diff; resolves when the answer is in (not decided). */
  async streamEdit(editor: vscode.TextEditor, region: EditRegion, edit: StreamedEdit): Promise<void> {
    const doc = editor.document;
    const key = doc.uri.toString();
    if (this.sessions.get(key)?.open) {
      void vscode.window.showInformationMessage(
        `Gearbox: ${doc.fileName} already shows an inline diff; decide it first.`,
      );
      return;
    }
    const session = this.begin(editor, region, edit.title);
    const streamId = `inline-${Date.now().toString(36)}-${++this.counter}`;
    let answer = '';
    const sub = this.client.onNotification('gearbox/chatChunk', (p) => {
      if (p.streamId !== streamId) return;
      answer += p.delta;
      const code = answerCode(answer);
      if (code) session.propose(code.code, false);
    });
    const text = doc.getText();
    let result: RefactorResult | undefined;
    try {
      result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Gearbox: ${edit.title}…`, cancellable: true },
        (_p, token) =>
          this.client.request(
            'gearbox/refactor',
            {
              streamId,
              kind: edit.kind,
              ...(edit.instruction ? { instruction: edit.instruction } : {}),
              uri: doc.uri.toString(),
              range: region.requestRange,
              ...(text.length <= MAX_TEXT ? { text } : {}),
              languageId: doc.languageId,
              ...(edit.hint ? { hint: edit.hint } : {}),
            },
            token,
          ),
      );
    } catch (err) {
      await session.abandon();
      if (errorCode(err) !== ErrorCodes.RequestCancelled) {
        this.client.log.warn(`${edit.title} failed: ${errorMessage(err)}`);
        void vscode.window.showErrorMessage(`Gearbox ${edit.title}: ${errorMessage(err)}`);
      }
      return;
    } finally {
      sub.dispose();
    }
    const newText = result.edits[0]?.newText;
    if (newText === undefined) {
      await session.abandon();
      void vscode.window.showInformationMessage(`Gearbox ${edit.title}: ${result.model} suggested no changes.`);
      return;
    }
    this.client.log.info(`${edit.title} of ${doc.uri.toString()} by ${result.model}: ${result.route.summary}`);
    if (result.requestId) this.requestIds.set(session, result.requestId);
    session.propose(newText, true);
    await session.settled();
  }

  /** A proposal known in full (Apply from the chat): shown as the same inline diff. */
  async showProposal(editor: vscode.TextEditor, region: EditRegion, code: string, title: string): Promise<void> {
    const key = editor.document.uri.toString();
    if (this.sessions.get(key)?.open) {
      void vscode.window.showInformationMessage('Gearbox: this file already shows an inline diff; decide it first.');
      return;
    }
    const session = this.begin(editor, region, title);
    session.propose(code, true);
    await session.settled();
  }

  private begin(editor: vscode.TextEditor, region: EditRegion, title: string): InlineDiffSession {
    // The selection's highlight would hide the diff's colours: the cursor goes to the region's start.
    const start = new vscode.Position(region.startLine, 0);
    editor.selection = new vscode.Selection(start, start);
    const session = new InlineDiffSession(
      editor,
      region,
      {
        changed: () => this.lensesChanged.fire(),
        ended: (s, outcome) => {
          if (this.sessions.get(s.uri.toString()) === s) this.sessions.delete(s.uri.toString());
          // Only a diff the user decided says something about the answer (not one cut short).
          const verdict: Verdict | undefined = outcome === 'finished' ? s.verdict() : undefined;
          if (verdict) void sendFeedback(this.client, this.requestIds.get(s), VERDICT_SIGNAL[verdict]);
          this.lensesChanged.fire();
          this.updateContext();
        },
      },
      title,
    );
    this.sessions.set(editor.document.uri.toString(), session);
    this.updateContext();
    return session;
  }

  private async decide(uri: string | undefined, hunk: number | 'all' | undefined, d: 'accepted' | 'rejected') {
    const key = uri ?? vscode.window.activeTextEditor?.document.uri.toString();
    const session = key ? this.sessions.get(key) : undefined;
    if (!session || hunk === undefined) return;
    session.decide(hunk, d);
    await session.settled();
  }

  private lenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const session = this.sessions.get(doc.uri.toString());
    if (!session) return [];
    const uri = doc.uri.toString();
    const anchors = session.anchors();
    const out: vscode.CodeLens[] = [];
    if (session.state === 'streaming') {
      const at = new vscode.Range(session.startsAt, 0, session.startsAt, 0);
      out.push(new vscode.CodeLens(at, { title: `$(loading~spin) Gearbox: ${session.title}…`, command: '' }));
      return out;
    }
    if (anchors.length > 1) {
      const at = new vscode.Range(anchors[0]!.line, 0, anchors[0]!.line, 0);
      out.push(
        new vscode.CodeLens(at, { title: 'Accept All', command: 'gearbox.inlineDiff.acceptAll', arguments: [uri] }),
        new vscode.CodeLens(at, { title: 'Reject All', command: 'gearbox.inlineDiff.rejectAll', arguments: [uri] }),
      );
    }
    for (const { hunk, line } of anchors) {
      const at = new vscode.Range(line, 0, line, 0);
      out.push(
        new vscode.CodeLens(at, { title: 'Accept', command: 'gearbox.inlineDiff.acceptHunk', arguments: [uri, hunk] }),
        new vscode.CodeLens(at, { title: 'Reject', command: 'gearbox.inlineDiff.rejectHunk', arguments: [uri, hunk] }),
      );
    }
    return out;
  }

  private updateContext(): void {
    const key = vscode.window.activeTextEditor?.document.uri.toString();
    const open = !!key && !!this.sessions.get(key)?.open;
    void vscode.commands.executeCommand('setContext', CONTEXT_KEY, open);
  }
}

export function toLsp(r: vscode.Range): LspRange {
  return {
    start: { line: r.start.line, character: r.start.character },
    end: { line: r.end.line, character: r.end.character },
  };
}
