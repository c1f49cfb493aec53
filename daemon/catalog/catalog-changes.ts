// The one daemon-side event for "the model catalog changed" (keys, endpoints, config, downloads,
// models loaded or unloaded). Anything that changes what gearbox/models would answer fires it; the
// server turns it into one gearbox/catalogChanged notification to every client. Fires within one
// turn of the event loop are merged, so a key and an endpoint set together make one notification.
import type { CatalogChangeReason } from '../../shared/protocol';

export type CatalogListener = (reasons: CatalogChangeReason[]) => void;

export class CatalogChanges {
  private readonly pending = new Set<CatalogChangeReason>();
  private readonly listeners = new Set<CatalogListener>();
  private scheduled = false;

  /** Says that the catalog changed, and why; listeners hear of it once, after the current turn. */
  fire(reason: CatalogChangeReason): void {
    this.pending.add(reason);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.deliver());
  }

  /** Calls `fn` with the merged reasons of each change; returns the unsubscribe. */
  onChange(fn: CatalogListener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private deliver(): void {
    this.scheduled = false;
    const reasons = [...this.pending];
    this.pending.clear();
    if (reasons.length === 0) return;
    for (const fn of this.listeners) fn(reasons);
  }
}
