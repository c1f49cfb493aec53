// Keeps the last shown inline suggestion per document, so that typing the start of it keeps
// showing the rest without asking the daemon again (as Copilot does).
export interface ShownSuggestion {
  uri: string;
  /** Line of the cursor when it was shown. */
  line: number;
  /** Text of the line before the cursor when the suggestion was shown. */
  linePrefix: string;
  text: string;
  /** The daemon's request that produced it (its accept command names it). */
  requestId?: string;
  shownAt: number;
}

export class CompletionCache {
  private readonly byUri = new Map<string, ShownSuggestion>();

  constructor(
    private readonly maxAgeMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  remember(s: Omit<ShownSuggestion, 'shownAt'>): void {
    if (!s.text) return;
    this.byUri.set(s.uri, { ...s, shownAt: this.now() });
  }

  /**
   * The rest of a shown suggestion if the user has typed a prefix of it since it was shown
   * (same line, the old line prefix still intact), or undefined.
   */
  lookup(uri: string, line: number, linePrefix: string): string | undefined {
    const s = this.byUri.get(uri);
    if (!s) return undefined;
    if (this.now() - s.shownAt > this.maxAgeMs || s.line !== line || !linePrefix.startsWith(s.linePrefix)) {
      return undefined;
    }
    const typed = linePrefix.slice(s.linePrefix.length);
    if (!s.text.startsWith(typed)) return undefined;
    const rest = s.text.slice(typed.length);
    return rest.length > 0 ? rest : undefined;
  }

  /** The request id of the suggestion kept for `uri` (what a cache hit shows again). */
  requestIdOf(uri: string): string | undefined {
    return this.byUri.get(uri)?.requestId;
  }

  forget(uri: string): void {
    this.byUri.delete(uri);
  }
}
