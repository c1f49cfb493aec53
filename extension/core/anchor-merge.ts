// Apply to File without a selection: a chat code block merged into the whole file by its anchors.
// The block's first and last lines must match lines of the file exactly (ignoring indentation): the
// lines between them are replaced. A block may elide unchanged code with marker comments
// ("// ... existing code ...", "# ..."): each part between markers is anchored on its own, and the
// file's lines between two parts stay. When an anchor is missing or ambiguous there is no merge here
// (the editor then asks a local model for the merged file). No `vscode` import; tested in Node.
import { fromLines, toLines } from './hunks';

/** A line that stands for unchanged code: a comment holding only "..." (and words like "existing code"). */
const MARKER = /^\s*(\/\/|#|--|;|\/\*|<!--|\*)\s*(\.\.\.|…)[\w\s.…-]*(\*\/|-->)?\s*$/;

export function isElisionMarker(line: string): boolean {
  return MARKER.test(line);
}

const indentOf = (line: string) => /^[ \t]*/.exec(line)![0].length;
const same = (a: string, b: string) => a.trim() === b.trim();
const blank = (line: string) => line.trim() === '';

/** Lines that close a block at its opener's indentation ("}", "end", ")", "</div>"...). */
const CLOSER = /^\s*(\}|\)|\]|end\b|<\/)/;

/**
 * Where the block opened at `start` ends: the last line before the first non-blank line indented no
 * deeper than `start` (that line too when it closes the block).
 */
function blockEnd(lines: readonly string[], start: number): number {
  const indent = indentOf(lines[start]!);
  let end = start;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (blank(line)) continue;
    if (indentOf(line) > indent) {
      end = i;
      continue;
    }
    if (CLOSER.test(line)) end = i;
    break;
  }
  return end;
}

/** The lines of `block` with the file's lines merged in, or undefined when its anchors do not match. */
export function mergeByAnchors(fileText: string, blockText: string): string | undefined {
  const file = toLines(fileText);
  const block = toLines(blockText.replace(/\n+$/, ''));
  // Parts between elision markers; markers at either end only say "the rest of the file stays".
  const parts: string[][] = [[]];
  for (const line of block) {
    if (isElisionMarker(line)) parts.push([]);
    else parts[parts.length - 1]!.push(line);
  }
  const anchored = parts.map(trimBlank).filter((p) => p.length > 0);
  if (anchored.length === 0) return undefined;

  const out: string[] = [];
  let at = 0;
  for (let p = 0; p < anchored.length; p++) {
    const part = anchored[p]!;
    const final = p === anchored.length - 1;
    const head = headOf(file, part, at, p === 0);
    if (!head) return undefined;
    const { k, start } = head;
    const end = final ? endOf(file, start, part[k]!, part[part.length - 1]!, true) : tailOf(file, part, k, start);
    if (end === undefined) return undefined;
    out.push(...file.slice(at, start), ...reindent(part, k, file[start]!));
    at = end + 1;
  }
  out.push(...file.slice(at));
  return fromLines(out);
}

/**
 * Where a part starts in the file: its first line, which must be unambiguous for the block's first
 * part; a later part (after a marker) starts at its first line found after `at` (new lines may come
 * before it).
 */
function headOf(
  file: readonly string[],
  part: readonly string[],
  at: number,
  first: boolean,
): { k: number; start: number } | undefined {
  if (first) {
    const starts = indexesOf(file, part[0]!, at);
    return starts.length === 1 ? { k: 0, start: starts[0]! } : undefined;
  }
  for (let k = 0; k < part.length; k++) {
    const start = indexesOf(file, part[k]!, at)[0];
    if (start !== undefined) return { k, start };
  }
  return undefined;
}

/** Where a part before a marker ends in the file: its last line found there (new lines may follow it). */
function tailOf(file: readonly string[], part: readonly string[], k: number, start: number): number | undefined {
  for (let j = part.length - 1; j > k; j--) {
    const delta = indentOf(part[j]!) - indentOf(part[k]!);
    for (let i = start + 1; i < file.length; i++) {
      if (same(file[i]!, part[j]!) && indentOf(file[i]!) - indentOf(file[start]!) === delta) return i;
    }
  }
  return start;
}

/**
 * The file line matching the part's last line, after `start`, at the same indentation relative to
 * the first: within the block `start` opens (the last such line for the block's own end), else the
 * first one after it; for the block's final part, else the end of the block `start` opens.
 */
function endOf(
  file: readonly string[],
  start: number,
  first: string,
  last: string,
  final: boolean,
): number | undefined {
  const delta = indentOf(last) - indentOf(first);
  const fits = (i: number) => same(file[i]!, last) && indentOf(file[i]!) - indentOf(file[start]!) === delta;
  const region = blockEnd(file, start);
  const inRegion: number[] = [];
  for (let i = start + 1; i <= region; i++) if (fits(i)) inRegion.push(i);
  if (inRegion.length) return final ? inRegion[inRegion.length - 1] : inRegion[0];
  for (let i = region + 1; i < file.length; i++) if (fits(i)) return i;
  // A rewritten block whose last line changed (a function's new return): the block the first line
  // opens is what it replaces, when nothing of the file comes after it in the block.
  return final && region > start ? region : undefined;
}

function indexesOf(file: readonly string[], line: string, from: number): number[] {
  const out: number[] = [];
  for (let i = from; i < file.length; i++) if (same(file[i]!, line)) out.push(i);
  return out;
}

function trimBlank(part: string[]): string[] {
  let a = 0;
  let b = part.length;
  while (a < b && blank(part[a]!)) a++;
  while (b > a && blank(part[b - 1]!)) b--;
  return part.slice(a, b);
}

/** The part shifted so that its anchor line (k) has the file's indentation (blocks often come dedented). */
function reindent(part: readonly string[], k: number, anchor: string): string[] {
  const shift = indentOf(anchor) - indentOf(part[k]!);
  if (shift === 0) return [...part];
  const pad = /^[ \t]*/.exec(anchor)![0].slice(0, Math.max(0, shift));
  return part.map((line) => {
    if (blank(line)) return line;
    if (shift > 0) return pad + line;
    return line.slice(Math.min(-shift, indentOf(line)));
  });
}
