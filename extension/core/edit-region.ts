// Which whole lines an inline edit works on, from the editor's selection: a selection is widened to
// its lines (rewrite); an empty one is an insertion point (a blank line is replaced, else the code
// goes between lines next to the cursor). Also the range the daemon is asked about. Pure; tested in Node.
import type { Range } from '../../shared/protocol';

export interface DocumentLines {
  lineCount: number;
  lineText(line: number): string;
}

export interface EditRegion {
  /** First line of the region and the line after it (equal for an insertion between lines). */
  startLine: number;
  endLine: number;
  /** The range of gearbox/refactor: the region's text, or an empty range where code is inserted. */
  requestRange: Range;
  /** Lines of the region the answer does not replace (the last line, when code goes after it). */
  keep: string[];
}

const pos = (line: number, character: number) => ({ line, character });

export function editRegion(doc: DocumentLines, selection: Range): EditRegion {
  const last = doc.lineCount - 1;
  const { start, end } = selection;
  if (start.line !== end.line || start.character !== end.character) {
    const endLine = end.character === 0 && end.line > start.line ? end.line : end.line + 1;
    const requestEnd = endLine <= last ? pos(endLine, 0) : pos(last, doc.lineText(last).length);
    return { startLine: start.line, endLine, requestRange: { start: pos(start.line, 0), end: requestEnd }, keep: [] };
  }
  const line = start.line;
  const text = doc.lineText(line);
  const at = (l: number, c = 0): Range => ({ start: pos(l, c), end: pos(l, c) });
  if (text.trim() === '') return { startLine: line, endLine: line + 1, requestRange: at(line), keep: [] };
  if (start.character === 0) return { startLine: line, endLine: line, requestRange: at(line), keep: [] };
  if (line < last) return { startLine: line + 1, endLine: line + 1, requestRange: at(line + 1), keep: [] };
  // The last line, with no line after it to insert before: the region is that line, kept above the code.
  return { startLine: line, endLine: line + 1, requestRange: at(line, text.length), keep: [text] };
}
