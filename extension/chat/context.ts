// Code context attached to a chat request, built from plain inputs (no vscode import) so it can be
// tested in Node: the chip label ("app.py:10-24") and the CodeContext sent to the daemon.
import type { CodeContext, Range } from '../../shared/protocol';
import { sliceRange } from '../../shared/text-range';
import type { ContextChip } from '../../shared/webview-protocol';

/** The whole file is attached when nothing is selected, up to this many characters. */
export const MAX_CONTEXT_CHARS = 200_000;
/** Above this the full document is not sent along with a selection; the selected text alone is. */
const MAX_DOCUMENT_CHARS = 1_000_000;

export interface EditorSnapshot {
  uri: string;
  /** Path or name used for the label (the file's base name is shown). */
  fileName: string;
  languageId: string;
  /** The whole document text. */
  text: string;
  /** Zero-based selection; empty when start equals end. */
  selection: Range;
  /** The selected text (callers that have it avoid slicing twice). */
  selectedText?: string;
}

export interface AttachedContext {
  chip: ContextChip;
  context: CodeContext;
}

function baseName(path: string): string {
  const clean = path.replace(/[\\/]+$/, '');
  const i = Math.max(clean.lastIndexOf('/'), clean.lastIndexOf('\\'));
  return i >= 0 ? clean.slice(i + 1) : clean;
}

export function isEmptyRange(r: Range): boolean {
  return r.start.line === r.end.line && r.start.character === r.end.character;
}

/** One-based inclusive line span of a selection; a selection ending at column 0 excludes that line. */
export function lineSpan(r: Range): { first: number; last: number } {
  const [s, e] = comparePos(r.start, r.end) <= 0 ? [r.start, r.end] : [r.end, r.start];
  let lastLine = e.line;
  if (e.character === 0 && e.line > s.line) lastLine -= 1;
  return { first: s.line + 1, last: lastLine + 1 };
}

export function chipLabel(fileName: string, selection?: Range): string {
  const name = baseName(fileName) || 'untitled';
  if (!selection || isEmptyRange(selection)) return name;
  const { first, last } = lineSpan(selection);
  return first === last ? `${name}:${first}` : `${name}:${first}-${last}`;
}

export { offsetAt, sliceRange } from '../../shared/text-range';

function comparePos(a: { line: number; character: number }, b: { line: number; character: number }): number {
  return a.line !== b.line ? a.line - b.line : a.character - b.character;
}

/** Cuts `text` to at most `max` characters at a line break where possible. */
export function capText(text: string, max = MAX_CONTEXT_CHARS): { text: string; truncated: boolean } {
  if (text.length <= max) return { text, truncated: false };
  let cut = text.lastIndexOf('\n', max);
  if (cut < max * 0.8) cut = max;
  // Do not split a surrogate pair.
  const code = text.charCodeAt(cut - 1);
  if (code >= 0xd800 && code <= 0xdbff) cut--;
  return { text: text.slice(0, cut), truncated: true };
}

/**
 * The context for a request from the editor's state: its selection, or the whole file (capped at
 * MAX_CONTEXT_CHARS) when nothing is selected. With a selection the daemon receives the document
 * text plus the selection range and slices it itself; for a huge document only the selected text
 * (capped) is sent. Returns undefined for an empty document / empty selection text.
 */
export function buildAttachedContext(ed: EditorSnapshot): AttachedContext | undefined {
  const hasSelection = !isEmptyRange(ed.selection);
  const name = baseName(ed.fileName) || 'untitled';
  if (hasSelection) {
    const selected = ed.selectedText ?? sliceRange(ed.text, ed.selection);
    if (!selected.trim()) return undefined;
    const label = chipLabel(ed.fileName, ed.selection);
    const { first, last } = lineSpan(ed.selection);
    const chip: ContextChip = { label, detail: `${ed.fileName} — lines ${first}–${last} (${ed.languageId})` };
    if (ed.text.length <= MAX_DOCUMENT_CHARS && selected.length <= MAX_CONTEXT_CHARS) {
      return { chip, context: { uri: ed.uri, languageId: ed.languageId, text: ed.text, selection: ed.selection } };
    }
    const capped = capText(selected);
    if (capped.truncated) chip.detail += `, first ${capped.text.length.toLocaleString('en-US')} characters`;
    return { chip, context: { uri: ed.uri, languageId: ed.languageId, text: capped.text } };
  }
  if (!ed.text.trim()) return undefined;
  const capped = capText(ed.text);
  const chip: ContextChip = {
    label: name,
    detail:
      `${ed.fileName} — whole file (${ed.languageId})` +
      (capped.truncated ? `, first ${capped.text.length.toLocaleString('en-US')} characters` : ''),
  };
  return { chip, context: { uri: ed.uri, languageId: ed.languageId, text: capped.text } };
}
