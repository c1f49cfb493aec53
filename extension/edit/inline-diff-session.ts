// One inline diff in an editor: the region's old lines and the proposal (streamed or given), shown in
// the document itself as removed lines (red) above added ones (green), each hunk with Accept / Reject
// (code lenses, inline-edit.ts). Every edit of the session joins one undo step (no undo stop between
// them), so one Undo after the last decision restores the text as it was before the session.
// What to show is computed by extension/core/inline-diff.ts; this file only writes it to the editor.
import * as vscode from 'vscode';
import type { Hunk } from '../core/hunks';
import {
  type Decision,
  decidedLines,
  hunkAnchors,
  streamingHunks,
  type Verdict,
  verdictOf,
  type ViewLine,
  viewLines,
} from '../core/inline-diff';

export type SessionState = 'streaming' | 'review' | 'done';

const removedDecoration = vscode.window.createTextEditorDecorationType({
  isWholeLine: true,
  backgroundColor: new vscode.ThemeColor('diffEditor.removedLineBackground'),
  textDecoration: 'line-through',
  overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.deletedForeground'),
  overviewRulerLane: vscode.OverviewRulerLane.Left,
});
const addedDecoration = vscode.window.createTextEditorDecorationType({
  isWholeLine: true,
  backgroundColor: new vscode.ThemeColor('diffEditor.insertedLineBackground'),
  overviewRulerColor: new vscode.ThemeColor('editorOverviewRuler.addedForeground'),
  overviewRulerLane: vscode.OverviewRulerLane.Left,
});

export interface SessionEvents {
  /** The view changed (code lenses move). */
  changed(): void;
  ended(session: InlineDiffSession, outcome: 'finished' | 'abandoned'): void;
}

export class InlineDiffSession {
  state: SessionState = 'streaming';
  readonly uri: vscode.Uri;
  private readonly oldLines: string[];
  /** The region ends with a line break (it is not the document's unterminated last line). */
  private readonly eol: boolean;
  private startLine: number;
  /** Lines the region holds in the document now. */
  private shownLines: number;
  private hunks: Hunk[] = [];
  private readonly decided = new Map<number, Decision>();
  private view: ViewLine[];
  /** Writes go one after another; `dirty` asks for one more with the latest state. */
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;
  private wrote = false;
  private ownEdits = 0;
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private editor: vscode.TextEditor,
    region: { startLine: number; endLine: number; keep: string[] },
    private readonly events: SessionEvents,
    readonly title: string,
  ) {
    const doc = editor.document;
    this.uri = doc.uri;
    this.startLine = region.startLine;
    this.eol = region.endLine < doc.lineCount;
    const endPos = this.eol ? new vscode.Position(region.endLine, 0) : doc.lineAt(doc.lineCount - 1).range.end;
    const text = doc.getText(new vscode.Range(region.startLine, 0, endPos.line, endPos.character));
    this.oldLines = text === '' ? [] : (this.eol ? text.slice(0, -1) : text).split('\n');
    this.shownLines = this.oldLines.length;
    this.view = this.oldLines.map((t) => ({ text: t, kind: 'same' }));
    this.keep = region.keep;
    this.subscriptions.push(
      vscode.workspace.onDidChangeTextDocument((e) => this.onDocumentChanged(e)),
      vscode.window.onDidChangeVisibleTextEditors((editors) => this.onVisibleEditors(editors)),
    );
  }

  private readonly keep: string[];

  /** The proposal so far (`complete` once the answer ended): the view follows it. */
  propose(code: string, complete: boolean): void {
    if (this.state === 'done') return;
    // A complete answer's final line break ends its last line; a streaming one's last line may be partial.
    const body = complete ? code.replace(/\n$/, '') : code;
    const lines = [...this.keep, ...(body === '' && complete ? [] : [body])].join('\n');
    this.hunks = streamingHunks(this.oldLines, lines, complete);
    if (complete) this.state = 'review';
    this.render();
    if (complete && this.hunks.length === 0) void this.finish('finished');
  }

  /** The undecided hunks' first lines in the document, by hunk id. */
  anchors(): { hunk: number; line: number }[] {
    if (this.state !== 'review') return [];
    return [...hunkAnchors(this.view)].map(([hunk, i]) => ({ hunk, line: this.startLine + i }));
  }

  get startsAt(): number {
    return this.startLine;
  }

  get open(): boolean {
    return this.state !== 'done';
  }

  decide(hunk: number | 'all', decision: Decision): void {
    if (this.state !== 'review') return;
    for (const h of this.hunks)
      if (hunk === 'all' || h.id === hunk) if (!this.decided.has(h.id)) this.decided.set(h.id, decision);
    this.render();
    if (this.hunks.every((h) => this.decided.has(h.id))) void this.finish('finished');
  }

  /** Ends the session, undecided hunks rejected (a cancelled or failed answer). */
  async abandon(): Promise<void> {
    if (this.state === 'done') return;
    for (const h of this.hunks) if (!this.decided.has(h.id)) this.decided.set(h.id, 'rejected');
    this.state = 'review';
    this.render();
    await this.finish('abandoned');
  }

  /** Resolves when every write of the session reached the document. */
  settled(): Promise<void> {
    return this.writing;
  }

  /** What the user decided, once every hunk is (undefined for a proposal without changes). */
  verdict(): Verdict | undefined {
    return verdictOf(this.hunks, this.decided);
  }

  /** The region's text as it will be once decided (undecided hunks count as rejected). */
  result(): string[] {
    return decidedLines(this.oldLines, this.hunks, this.decided);
  }

  private async finish(outcome: 'finished' | 'abandoned'): Promise<void> {
    if (this.state === 'done') return;
    this.state = 'done';
    this.render();
    await this.writing;
    this.editor.setDecorations(removedDecoration, []);
    this.editor.setDecorations(addedDecoration, []);
    for (const s of this.subscriptions.splice(0)) s.dispose();
    this.events.ended(this, outcome);
  }

  private render(): void {
    this.view = viewLines(this.oldLines, this.hunks, this.decided);
    this.dirty = true;
    this.writing = this.writing.then(() => this.write()).catch(() => undefined);
    this.events.changed();
  }

  /** Writes the latest view into the region (once for any number of renders while a write ran). */
  private async write(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const doc = this.editor.document;
    if (doc.isClosed) return;
    const view = this.view;
    const lines = view.map((l) => l.text);
    const same =
      lines.length === this.shownLines &&
      lines.every((t, i) => this.startLine + i < doc.lineCount && doc.lineAt(this.startLine + i).text === t);
    const last = this.state === 'done';
    if (!same) {
      const end = this.eol
        ? new vscode.Position(this.startLine + this.shownLines, 0)
        : doc.lineAt(doc.lineCount - 1).range.end;
      const range = new vscode.Range(new vscode.Position(this.startLine, 0), end);
      const text = lines.map((t) => (this.eol ? `${t}\n` : t)).join(this.eol ? '' : '\n');
      this.ownEdits++;
      const first = !this.wrote;
      try {
        // One undo step for the whole session: a stop before the first write and after the last only.
        const ok = await this.editor.edit((b) => b.replace(range, text), {
          undoStopBefore: first,
          undoStopAfter: last,
        });
        if (ok) {
          this.wrote = true;
          this.shownLines = lines.length;
        }
      } finally {
        this.ownEdits--;
      }
    } else if (last && this.wrote) {
      // The last decision changed nothing on screen: close the undo step with an empty edit.
      await this.editor.edit(() => {}, { undoStopBefore: false, undoStopAfter: true });
    }
    this.decorate();
  }

  private decorate(): void {
    const removed: vscode.Range[] = [];
    const added: vscode.Range[] = [];
    if (this.state !== 'done') {
      this.view.forEach((l, i) => {
        const line = new vscode.Range(this.startLine + i, 0, this.startLine + i, 0);
        if (l.kind === 'removed') removed.push(line);
        else if (l.kind === 'added') added.push(line);
      });
    }
    this.editor.setDecorations(removedDecoration, removed);
    this.editor.setDecorations(addedDecoration, added);
  }

  /** A change by someone else: above the region it moves it; in it, the session cannot go on. */
  private onDocumentChanged(e: vscode.TextDocumentChangeEvent): void {
    if (e.document.uri.toString() !== this.uri.toString() || this.ownEdits > 0 || this.state === 'done') return;
    for (const c of e.contentChanges) {
      const added = c.text.split('\n').length - 1;
      const removed = c.range.end.line - c.range.start.line;
      if (c.range.end.line < this.startLine) this.startLine += added - removed;
      else if (c.range.start.line <= this.startLine + this.shownLines) {
        void vscode.window.showWarningMessage(`${this.title}: the text changed under the inline diff, so it ended.`);
        this.state = 'done';
        this.editor.setDecorations(removedDecoration, []);
        this.editor.setDecorations(addedDecoration, []);
        for (const s of this.subscriptions.splice(0)) s.dispose();
        this.events.ended(this, 'abandoned');
        return;
      }
    }
    this.events.changed();
  }

  /** The document shown again (another tab, a split): decorations follow it to the new editor. */
  private onVisibleEditors(editors: readonly vscode.TextEditor[]): void {
    if (editors.includes(this.editor)) return;
    const next = editors.find((e) => e.document.uri.toString() === this.uri.toString());
    if (!next) return;
    this.editor = next;
    this.decorate();
  }
}
