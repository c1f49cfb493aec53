// LSP positions over plain text (UTF-16 units; a character past the line's end clamps to it,
// before a \r of \r\n). Used by the daemon and the extension alike.
export interface Pos {
  line: number;
  character: number;
}

export function offsetAt(text: string, pos: Pos): number {
  let i = 0;
  for (let line = 0; line < pos.line; line++) {
    const nl = text.indexOf('\n', i);
    if (nl < 0) return text.length;
    i = nl + 1;
  }
  let lineEnd = text.indexOf('\n', i);
  if (lineEnd < 0) lineEnd = text.length;
  if (lineEnd > i && text[lineEnd - 1] === '\r') lineEnd--;
  return Math.min(i + pos.character, lineEnd);
}

/** The text between two positions, in document order whichever way round they come. */
export function sliceRange(text: string, r: { start: Pos; end: Pos }): string {
  const a = offsetAt(text, r.start);
  const b = offsetAt(text, r.end);
  return text.slice(Math.min(a, b), Math.max(a, b));
}
