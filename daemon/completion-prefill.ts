// Cache warm-up for inline completion, per connection. After an edit in a document this client
// completes in with a local model, the prompt at the edit (where the cursor is) is evaluated into
// the file's session cache, as llama.vim does with `n_predict: 0`: by the time the debounced
// completion request arrives only the last few tokens are left to evaluate. A newer edit or a real
// request stops it (what it evaluated stays cached). When the user has been idle for a while, the
// chunks of other files picked meanwhile enter the completion context ring (completion-ring.ts)
// and the prompt at the last edit is warmed with them, so no keystroke pays for the new context.
import type { TextDocumentContentChangeEvent } from 'vscode-languageserver-textdocument';
import { buildCompletionPrompt } from './completion-context';
import type { DocumentStore } from './documents';
import type { Engine } from './engine';
import type { Logger } from './log';

export interface CompletionPrefillOptions {
  docs: DocumentStore;
  engine: Pick<Engine, 'prefillCompletion'>;
  logger: Logger;
  /** The model host session of a document (client + file), shared with its completions. */
  sessionKey: (uri: string) => string;
  /** A completion request for the document is in flight: it evaluates the prompt itself. */
  completing: (uri: string) => boolean;
  /** Lets a burst of change events (a paste, an auto-closed bracket) settle first. Default 15 ms. */
  settleMs?: number;
}

interface Pending {
  timer?: NodeJS.Timeout;
  abort: AbortController;
}

export class CompletionPrefill {
  /** Local model of each document's last completion: an edit warms that model's cache for it. */
  private readonly models = new Map<string, string>();
  /** Pending or running warm-up per document. */
  private readonly pending = new Map<string, Pending>();
  private disposed = false;
  /** Where the user last typed, for the warm-up after the context ring changed. */
  private lastEdit?: { uri: string; change: TextDocumentContentChangeEvent };
  private idleTimer?: NodeJS.Timeout;

  constructor(private readonly opts: CompletionPrefillOptions) {}

  /** A completion in the document ran on this local model (one that caches prompts). */
  completedWith(uri: string, modelId: string): void {
    this.models.set(uri, modelId);
  }

  /** Schedules a warm-up after an edit; it replaces the document's previous one. */
  afterEdit(uri: string, changes: readonly TextDocumentContentChangeEvent[]): void {
    const last = changes.at(-1);
    if (this.disposed || !last || !('range' in last)) return;
    this.lastEdit = { uri, change: last };
    this.armIdle();
    this.warm(uri, last, this.opts.settleMs ?? 15);
  }

  /** Once the user is idle: picked chunks enter the context ring, and the last edit's prompt is warmed with them. */
  private armIdle(): void {
    clearTimeout(this.idleTimer);
    const ring = this.opts.docs.contextRing;
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.disposed || !ring.update(Date.now()) || !this.lastEdit) return;
      this.warm(this.lastEdit.uri, this.lastEdit.change, 0);
    }, ring.idleMs + 5);
    this.idleTimer.unref?.();
  }

  private warm(uri: string, last: TextDocumentContentChangeEvent, delayMs: number): void {
    const modelId = this.models.get(uri);
    if (!modelId || !('range' in last)) return;
    this.stop(uri);
    const entry: Pending = { abort: new AbortController() };
    this.pending.set(uri, entry);
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      const doc = this.opts.docs.get(uri);
      if (!doc || this.opts.completing(uri) || entry.abort.signal.aborted) return;
      const cursor = doc.offsetAt(last.range.start) + last.text.length;
      const prompt = buildCompletionPrompt(doc.getText(), cursor, uri, this.opts.docs.completionContext(uri));
      const started = Date.now();
      const log = this.opts.logger;
      void this.opts.engine
        .prefillCompletion(
          { modelId, sessionKey: this.opts.sessionKey(uri), prefix: prompt.prefix, suffix: prompt.suffix },
          entry.abort.signal,
        )
        .then(
          (r) =>
            log.debug('prefill', {
              model: modelId,
              ms: Date.now() - started,
              evaluated: r.evaluatedTokens,
              skipped: r.skipped,
            }),
          (err: Error) => log.debug('prefill failed', { model: modelId, error: err.message }),
        )
        .finally(() => {
          if (this.pending.get(uri) === entry) this.pending.delete(uri);
        });
    }, delayMs);
  }

  /** The document was closed. */
  forget(uri: string): void {
    this.stop(uri);
    this.models.delete(uri);
    if (this.lastEdit?.uri === uri) this.lastEdit = undefined;
  }

  /** The connection closed: stop every warm-up. */
  dispose(): void {
    this.disposed = true;
    clearTimeout(this.idleTimer);
    for (const uri of [...this.pending.keys()]) this.stop(uri);
  }

  private stop(uri: string): void {
    const p = this.pending.get(uri);
    if (!p) return;
    this.pending.delete(uri);
    clearTimeout(p.timer);
    p.abort.abort();
  }
}
