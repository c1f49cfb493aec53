// Open documents of one connection, plus the ring of their chunks used as completion context. The
// store is capped (documents and characters): a client cannot make the daemon hold unbounded text.
// A document over the cap is not kept at all, and a change that takes the store over it drops that
// document; the store remembers only which URIs it refused, so that requests on them say why.
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import type { DocumentLimitData, Range } from '../shared/protocol';
import { ChunkSource, ContextRing, type RingChunk } from './completion-ring';

export interface DocumentLimits {
  maxDocuments: number;
  /** Characters (UTF-16 code units) of all open documents together. */
  maxChars: number;
}

/** Refused URIs remembered (the most recent), each at most this long: what a refusal may keep. */
const MAX_REFUSED = 64;
const MAX_REFUSED_URI = 2048;

export class DocumentStore {
  private readonly docs = new Map<string, TextDocument>();
  private readonly refusedUris = new Map<string, DocumentLimitData>();
  private chars = 0;

  constructor(
    private readonly limits: DocumentLimits = {
      maxDocuments: Number.POSITIVE_INFINITY,
      maxChars: Number.POSITIVE_INFINITY,
    },
    /** Chunks of opened and edited documents, the extra context of completions in other files. */
    readonly contextRing = new ContextRing(),
  ) {}

  /** Opens (or reopens) a document; over the cap it is not kept and the refusal is returned. */
  open(uri: string, languageId: string, version: number, text: string): DocumentLimitData | undefined {
    const prior = this.docs.get(uri);
    const count = this.docs.size + (prior ? 0 : 1);
    const chars = this.chars - (prior?.getText().length ?? 0) + text.length;
    const refusal = this.over(count, chars);
    if (refusal) {
      this.drop(uri, true);
      return this.refuse(uri, refusal);
    }
    this.refusedUris.delete(uri);
    const doc = TextDocument.create(uri, languageId, version, text);
    this.docs.set(uri, doc);
    this.chars = chars;
    // An opened file's head (imports, declarations) is what other files' code most often refers to.
    if (!prior) this.pickChunk(doc, 0, ChunkSource.Opened);
    return undefined;
  }

  /** Applies a change; one that takes the store over its cap drops the document (the refusal is returned). */
  change(uri: string, version: number, changes: TextDocumentContentChangeEvent[]): DocumentLimitData | undefined {
    const doc = this.docs.get(uri);
    if (!doc) return undefined;
    const before = doc.getText().length;
    // update() changes the document in place (and returns it).
    const updated = TextDocument.update(doc, changes, version);
    const chars = this.chars - before + updated.getText().length;
    const refusal = this.over(this.docs.size, chars);
    if (refusal) {
      this.drop(uri, true, before);
      return this.refuse(uri, refusal);
    }
    this.docs.set(uri, updated);
    this.chars = chars;
    for (const c of changes) {
      const line = 'range' in c ? c.range.start.line + c.text.split('\n').length - 1 : 0;
      this.recordEdit(updated, line);
    }
    return undefined;
  }

  close(uri: string): void {
    this.drop(uri, false);
    this.refusedUris.delete(uri);
  }

  get(uri: string): TextDocument | undefined {
    return this.docs.get(uri);
  }

  /** Why `uri` is not open, if the store refused it (and still remembers that). */
  refused(uri: string): DocumentLimitData | undefined {
    return this.refusedUris.get(uri);
  }

  uris(): string[] {
    return [...this.docs.keys()];
  }

  get size(): number {
    return this.docs.size;
  }

  /** Characters held, all open documents together. */
  get totalChars(): number {
    return this.chars;
  }

  /**
   * The extra context of a completion in `uri`: the ring's chunks of other files, oldest first.
   * Queued chunks enter the ring when the user is idle (CompletionPrefill warms the prompt then) or
   * completes in another file than the one typed in; while the user types in `uri` the ring holds
   * still, so the start of its prompt stays cached.
   */
  completionContext(uri: string, now = Date.now()): RingChunk[] {
    this.contextRing.update(now, uri);
    return this.contextRing.chunks(uri);
  }

  private over(count: number, chars: number): DocumentLimitData | undefined {
    const state = {
      openDocuments: this.docs.size,
      openChars: this.chars,
      maxDocuments: this.limits.maxDocuments,
      maxChars: this.limits.maxChars,
    };
    if (count > this.limits.maxDocuments) return { reason: 'too-many-documents', ...state };
    if (chars > this.limits.maxChars) return { reason: 'too-much-text', ...state };
    return undefined;
  }

  /** Forgets the document; a refused one its recent edits too (a closed one's stay as context). */
  private drop(uri: string, refused: boolean, heldChars?: number): void {
    const doc = this.docs.get(uri);
    if (doc) {
      this.chars -= heldChars ?? doc.getText().length;
      this.docs.delete(uri);
    }
    if (refused) {
      this.contextRing.forget(uri);
    }
  }

  private refuse(uri: string, refusal: DocumentLimitData): DocumentLimitData {
    if (uri.length <= MAX_REFUSED_URI) {
      this.refusedUris.delete(uri);
      this.refusedUris.set(uri, refusal);
      if (this.refusedUris.size > MAX_REFUSED) this.refusedUris.delete(this.refusedUris.keys().next().value!);
    }
    return refusal;
  }

  /**
   * A region of `uri` the user selected or had the cursor in (the editor reports it on leaving the file):
   * its chunk, centred on a short region and from the start of a long one, waits to join the ring.
   * False when the document is not held here.
   */
  pickRegion(uri: string, range: Range, source: ChunkSource): boolean {
    const doc = this.docs.get(uri);
    if (!doc) return false;
    const lines = Math.max(1, range.end.line - range.start.line + 1);
    const n = this.contextRing.chunkLines;
    this.pickChunk(doc, lines >= n ? range.start.line : range.start.line - Math.floor((n - lines) / 2), source);
    return true;
  }

  private recordEdit(doc: TextDocument, line: number): void {
    this.contextRing.touch(Date.now(), doc.uri);
    this.pickChunk(doc, line - Math.floor(this.contextRing.chunkLines / 2), ChunkSource.Edited);
  }

  /** Queues the ring chunk of `doc` that starts at `line` (kept inside the document). */
  private pickChunk(doc: TextDocument, line: number, source: ChunkSource): void {
    const n = this.contextRing.chunkLines;
    const from = Math.max(0, Math.min(line, doc.lineCount - n));
    const text = doc.getText({ start: { line: from, character: 0 }, end: { line: from + n, character: 0 } });
    this.contextRing.pick(doc.uri, text, source);
  }
}

/** The user-facing sentence for a refused document. */
export function documentLimitMessage(name: string, d: DocumentLimitData): string {
  const mib = (chars: number) => `${(chars / (1024 * 1024)).toFixed(1)} Mi characters`;
  const limit =
    d.reason === 'too-many-documents' ? `${d.maxDocuments} open documents` : `${mib(d.maxChars)} of open documents`;
  return (
    `${name} is not kept on the Gearbox daemon: this connection reached its limit of ${limit} ` +
    `(${d.openDocuments} open, ${mib(d.openChars)}). Close some editors and reopen it.`
  );
}
