// Open documents of one connection, plus a ring of recent edits used as completion context.
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';

export interface RecentEdit {
  uri: string;
  /** Line where the edit happened (after applying it). */
  line: number;
  /** A few lines around the edit, as they read after the edit. */
  snippet: string;
  seq: number;
}

export class DocumentStore {
  private readonly docs = new Map<string, TextDocument>();
  private readonly ring: RecentEdit[] = [];
  private seq = 0;

  constructor(
    private readonly ringSize = 16,
    private readonly snippetRadius = 4,
  ) {}

  open(uri: string, languageId: string, version: number, text: string): void {
    this.docs.set(uri, TextDocument.create(uri, languageId, version, text));
  }

  change(uri: string, version: number, changes: TextDocumentContentChangeEvent[]): void {
    const doc = this.docs.get(uri);
    if (!doc) return;
    const updated = TextDocument.update(doc, changes, version);
    this.docs.set(uri, updated);
    for (const c of changes) {
      const line = 'range' in c ? c.range.start.line + c.text.split('\n').length - 1 : 0;
      this.recordEdit(updated, line);
    }
  }

  close(uri: string): void {
    this.docs.delete(uri);
  }

  get(uri: string): TextDocument | undefined {
    return this.docs.get(uri);
  }

  get size(): number {
    return this.docs.size;
  }

  /** Most recent first, at most one entry per (uri, nearby line). */
  recentEdits(): readonly RecentEdit[] {
    return [...this.ring].reverse();
  }

  private recordEdit(doc: TextDocument, line: number): void {
    const from = Math.max(0, line - this.snippetRadius);
    const to = Math.min(doc.lineCount, line + this.snippetRadius + 1);
    const snippet = doc.getText({ start: { line: from, character: 0 }, end: { line: to, character: 0 } });
    // Typing produces many edits on the same lines: keep one entry per region.
    const i = this.ring.findIndex((e) => e.uri === doc.uri && Math.abs(e.line - line) <= this.snippetRadius);
    if (i >= 0) this.ring.splice(i, 1);
    this.ring.push({ uri: doc.uri, line, snippet, seq: ++this.seq });
    if (this.ring.length > this.ringSize) this.ring.shift();
  }
}
