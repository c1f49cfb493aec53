// The completion context's chunks the editor knows of and the daemon cannot see: when the user leaves a
// file, the code they had selected there (to copy it, most often: VS Code reports no copy), else the
// region around their cursor. The daemon cuts the chunk from its own copy of the document.
import type { PickContextParams, Range } from '../../shared/protocol';

/** Where the user was in an editor: its document and its (primary) selection. */
export interface EditorSpot {
  uri: string;
  selection: Range;
}

/** What to tell the daemon when the user goes from `left` to a file `next` (or to no editor). */
export function pickOnLeave(left: EditorSpot | undefined, next: string | undefined): PickContextParams | undefined {
  if (!left || left.uri === next) return undefined;
  const { start, end } = left.selection;
  const empty = start.line === end.line && start.character === end.character;
  return { textDocument: { uri: left.uri }, range: left.selection, source: empty ? 'viewed' : 'selected' };
}
