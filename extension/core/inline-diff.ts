// The inline diff's content: the region of the editor shows the old lines a hunk removes (marked red)
// above the lines it adds (green) until that hunk is accepted or rejected; a decided hunk shows its
// outcome as plain lines. While the answer still streams, old lines it has not reached yet are not
// shown as removed. Pure: the editor adapter (extension/edit/inline-edit.ts) renders what this says.
import { applyHunks, computeHunks, type Hunk } from './hunks';

export type LineKind = 'same' | 'removed' | 'added';

export interface ViewLine {
  text: string;
  kind: LineKind;
  /** The undecided hunk the line belongs to (removed and added lines only). */
  hunk?: number;
}

export type Decision = 'accepted' | 'rejected';

/** Hunks of a proposal that may still be streaming: its last, partial line is left out. */
export function streamingHunks(oldLines: readonly string[], proposed: string, complete: boolean): Hunk[] {
  const lines = proposed === '' ? [] : proposed.split('\n');
  if (!complete) lines.pop();
  const hunks = computeHunks(oldLines, lines);
  if (complete) return hunks;
  // Old lines past what has streamed are not removed, only not reached yet.
  const last = hunks[hunks.length - 1];
  if (last && last.oldStart + last.removed.length === oldLines.length) {
    last.removed = [];
    if (last.added.length === 0) hunks.pop();
  }
  return hunks;
}

/** What the region shows: old lines, with each undecided hunk's removed and added lines marked. */
export function viewLines(
  oldLines: readonly string[],
  hunks: readonly Hunk[],
  decided: ReadonlyMap<number, Decision>,
): ViewLine[] {
  const out: ViewLine[] = [];
  let at = 0;
  for (const h of hunks) {
    for (const text of oldLines.slice(at, h.oldStart)) out.push({ text, kind: 'same' });
    const d = decided.get(h.id);
    if (d === 'accepted') for (const text of h.added) out.push({ text, kind: 'same' });
    else if (d === 'rejected') for (const text of h.removed) out.push({ text, kind: 'same' });
    else {
      for (const text of h.removed) out.push({ text, kind: 'removed', hunk: h.id });
      for (const text of h.added) out.push({ text, kind: 'added', hunk: h.id });
    }
    at = h.oldStart + h.removed.length;
  }
  for (const text of oldLines.slice(at)) out.push({ text, kind: 'same' });
  return out;
}

/** Each undecided hunk's first line in the view (where its Accept / Reject goes), by hunk id. */
export function hunkAnchors(view: readonly ViewLine[]): Map<number, number> {
  const anchors = new Map<number, number>();
  view.forEach((l, i) => {
    if (l.hunk !== undefined && !anchors.has(l.hunk)) anchors.set(l.hunk, i);
  });
  return anchors;
}

/** The region's text once every hunk is decided (an undecided one counts as rejected). */
export function decidedLines(
  oldLines: readonly string[],
  hunks: readonly Hunk[],
  decided: ReadonlyMap<number, Decision>,
): string[] {
  return applyHunks(oldLines, hunks, (h) => decided.get(h.id) === 'accepted');
}

export type Verdict = 'accepted' | 'rejected' | 'partial';

/** What the user made of a decided proposal: every hunk taken, none, or some; undefined without hunks. */
export function verdictOf(hunks: readonly Hunk[], decided: ReadonlyMap<number, Decision>): Verdict | undefined {
  if (hunks.length === 0) return undefined;
  const taken = hunks.filter((h) => decided.get(h.id) === 'accepted').length;
  return taken === hunks.length ? 'accepted' : taken === 0 ? 'rejected' : 'partial';
}
