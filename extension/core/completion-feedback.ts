// Which ghost texts were taken and which were passed over, for the router's learning. A suggestion
// is shown (the provider returned it, with the daemon's request id); accepting it runs its command
// (→ 'completion-accepted', sent by the daemon itself). It counts as passed over
// ('completion-ignored') once a suggestion of another request replaces it in its file, or the file
// closes, without it having been accepted. Typing through a shown suggestion keeps it (the cache
// serves the same request id), so that is not a pass. Pure: the caller sends the signals.
export class CompletionFeedback {
  /** The suggestion last shown per document, and whether it was accepted. */
  private readonly shown = new Map<string, { requestId: string; accepted: boolean }>();
  private readonly uriOf = new Map<string, string>();

  constructor(private readonly ignored: (requestId: string) => void) {}

  /** A suggestion of `requestId` is on screen in `uri`. */
  showing(uri: string, requestId: string): void {
    const prev = this.shown.get(uri);
    if (prev?.requestId === requestId) return;
    if (prev) this.settle(prev);
    this.shown.set(uri, { requestId, accepted: false });
    this.uriOf.set(requestId, uri);
  }

  /** Its command ran: the suggestion was accepted (the daemon has heard it from the command). */
  accepted(requestId: string): void {
    const uri = this.uriOf.get(requestId);
    const s = uri === undefined ? undefined : this.shown.get(uri);
    if (s?.requestId === requestId) s.accepted = true;
  }

  /** The document closed: its last suggestion is settled. */
  closed(uri: string): void {
    const s = this.shown.get(uri);
    if (s) this.settle(s);
    this.shown.delete(uri);
  }

  private settle(s: { requestId: string; accepted: boolean }): void {
    this.uriOf.delete(s.requestId);
    if (!s.accepted) this.ignored(s.requestId);
  }
}
