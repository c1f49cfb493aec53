// Line hunks between a text and a proposed version, and applying only some of them: the per-hunk
// Accept / Reject of the inline diff. The diff itself is the `diff` library's (diffArrays over lines),
// not ours. No `vscode` import; tested in Node.
import { diffArrays } from 'diff';

/** One change: `removed` lines of the old text starting at `oldStart` (0-based) become `added`. */
export interface Hunk {
  /** Index among the hunks of one diff, in document order. */
  id: number;
  oldStart: number;
  removed: string[];
  added: string[];
}

/** The text's lines without their '\n' (a '\r' of CRLF stays on its line, on both sides alike). */
export function toLines(text: string): string[] {
  return text === '' ? [] : text.split('\n');
}

export function fromLines(lines: readonly string[]): string {
  return lines.join('\n');
}

/** The hunks turning `oldLines` into `newLines`: each maximal run of removed and added lines. */
export function computeHunks(oldLines: readonly string[], newLines: readonly string[]): Hunk[] {
  const hunks: Hunk[] = [];
  let oldAt = 0;
  let open: Hunk | undefined;
  for (const change of diffArrays([...oldLines], [...newLines])) {
    if (!change.added && !change.removed) {
      open = undefined;
      oldAt += change.count;
      continue;
    }
    if (!open) {
      open = { id: hunks.length, oldStart: oldAt, removed: [], added: [] };
      hunks.push(open);
    }
    if (change.removed) {
      open.removed.push(...change.value);
      oldAt += change.count;
    } else open.added.push(...change.value);
  }
  return hunks;
}

/** `oldLines` with the hunks `accept` says yes to applied, the others left as they were. */
export function applyHunks(
  oldLines: readonly string[],
  hunks: readonly Hunk[],
  accept: (h: Hunk) => boolean,
): string[] {
  const out: string[] = [];
  let at = 0;
  for (const h of [...hunks].sort((a, b) => a.oldStart - b.oldStart)) {
    out.push(...oldLines.slice(at, h.oldStart));
    out.push(...(accept(h) ? h.added : h.removed));
    at = h.oldStart + h.removed.length;
  }
  out.push(...oldLines.slice(at));
  return out;
}
