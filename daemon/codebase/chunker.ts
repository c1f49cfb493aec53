// Cuts a file into chunks for search. With a grammar, cuts fall on syntax boundaries: a node that
// fits stays whole, a bigger one is cut at its children's starts (a class at its methods, a huge
// function at its statements), and neighbours are merged back up to MAX_CHUNK_CHARS, a comment
// going with what it documents. Without one (or when parsing fails), cuts fall on blank lines.
// Chunks are whole lines; each carries the names it defines, which rank higher than plain text.
import { languageOf, type LanguageSpec } from './languages';
import type { Node, Parsers, Tree } from './tree-sitter';

/** About 375 tokens: small enough to rank precisely, big enough to hold a whole function. */
export const MAX_CHUNK_CHARS = 1500;
/** Bigger files are cut by lines: they are data or generated more often than hand-written code. */
export const MAX_PARSE_CHARS = 512 * 1024;
const PARSE_BUDGET_MS = 1000;

export interface Chunk {
  /** 0-based, inclusive. */
  startLine: number;
  endLine: number;
  /** Names of the functions, classes, types... defined in the chunk. */
  symbols: string[];
}

export interface ChunkedFile {
  chunks: Chunk[];
  /** Cut on syntax (false: by lines). */
  syntax: boolean;
}

interface Segment {
  start: number;
  end: number;
  chars: number;
  comment: boolean;
}

export async function chunkFile(file: string, text: string, parsers: Parsers): Promise<ChunkedFile> {
  const lines = text.split('\n');
  const spec = languageOf(file);
  if (spec && text.length <= MAX_PARSE_CHARS) {
    const tree = await parsers.parse(spec.grammar, text, PARSE_BUDGET_MS).catch(() => undefined);
    if (tree) {
      try {
        return { chunks: syntaxChunks(tree, spec, lines), syntax: true };
      } finally {
        tree.delete();
      }
    }
  }
  return { chunks: merge(paragraphSegments(lines), lines, []), syntax: false };
}

/** Chunks of a parsed file (exported for tests that parse themselves). */
export function syntaxChunks(tree: Tree, spec: LanguageSpec, lines: string[]): Chunk[] {
  const lineChars = lines.map((l) => l.length + 1);
  const rowsChars = (a: number, b: number) => {
    let n = 0;
    for (let r = a; r <= b && r < lineChars.length; r++) n += lineChars[r]!;
    return n;
  };
  // Row → what starts there: code wins over a comment on the same row.
  const cuts = new Map<number, 'code' | 'comment'>([[0, 'code']]);
  const addCuts = (node: Node) => {
    for (const child of node.namedChildren) {
      if (!child) continue;
      const row = child.startPosition.row;
      const kind = child.type.includes('comment') ? 'comment' : 'code';
      if (cuts.get(row) !== 'code') cuts.set(row, kind);
      if (child.namedChildCount > 0 && rowsChars(row, child.endPosition.row) > MAX_CHUNK_CHARS) addCuts(child);
    }
  };
  if (rowsChars(0, lines.length - 1) > MAX_CHUNK_CHARS) addCuts(tree.rootNode);
  const rows = [...cuts.keys()].filter((r) => r < lines.length).sort((a, b) => a - b);
  const segments: Segment[] = rows.map((start, i) => {
    const end = (rows[i + 1] ?? lines.length) - 1;
    return { start, end, chars: rowsChars(start, end), comment: cuts.get(start) === 'comment' };
  });
  return merge(segments, lines, definitions(tree, spec));
}

/** Without syntax: paragraphs (runs of lines after a blank line). */
function paragraphSegments(lines: string[]): Segment[] {
  const starts = [0];
  for (let r = 1; r < lines.length; r++) if (isBlank(lines[r - 1]!) && !isBlank(lines[r]!)) starts.push(r);
  return starts.map((start, i) => {
    const end = (starts[i + 1] ?? lines.length) - 1;
    let chars = 0;
    for (let r = start; r <= end; r++) chars += lines[r]!.length + 1;
    return { start, end, chars, comment: false };
  });
}

/** Greedy merge of neighbouring segments up to MAX_CHUNK_CHARS; oversized ones are cut by lines. */
function merge(segments: Segment[], lines: string[], defs: { row: number; name: string }[]): Chunk[] {
  const ranges: [number, number][] = [];
  let cur: Segment[] = [];
  let curChars = 0;
  const flush = () => {
    if (cur.length) ranges.push([cur[0]!.start, cur.at(-1)!.end]);
    cur = [];
    curChars = 0;
  };
  for (const seg of segments) {
    if (seg.chars > MAX_CHUNK_CHARS) {
      // A leading comment stays with the big node it documents.
      const carried = takeTrailingComments(cur);
      flush();
      splitByLines(carried.length ? carried[0]!.start : seg.start, seg.end, lines, ranges);
      continue;
    }
    if (cur.length && curChars + seg.chars > MAX_CHUNK_CHARS) {
      const carried = takeTrailingComments(cur);
      flush();
      cur = carried;
      curChars = carried.reduce((n, s) => n + s.chars, 0);
    }
    cur.push(seg);
    curChars += seg.chars;
  }
  flush();
  const chunks: Chunk[] = [];
  let d = 0;
  const sortedDefs = [...defs].sort((a, b) => a.row - b.row);
  for (const [a, b] of ranges) {
    let start = a;
    let end = b;
    while (start <= end && isBlank(lines[start]!)) start++;
    while (end >= start && isBlank(lines[end]!)) end--;
    const symbols: string[] = [];
    while (d < sortedDefs.length && sortedDefs[d]!.row <= b) {
      if (sortedDefs[d]!.row >= a) symbols.push(sortedDefs[d]!.name);
      d++;
    }
    if (start > end) continue; // only blank lines
    chunks.push({ startLine: start, endLine: end, symbols: [...new Set(symbols)] });
  }
  return chunks;
}

/** Removes and returns the comment segments at the end of `cur`, unless that would empty it. */
function takeTrailingComments(cur: Segment[]): Segment[] {
  let i = cur.length;
  while (i > 1 && cur[i - 1]!.comment) i--;
  return i < cur.length ? cur.splice(i) : [];
}

function splitByLines(start: number, end: number, lines: string[], out: [number, number][]): void {
  let from = start;
  let chars = 0;
  for (let r = start; r <= end; r++) {
    const c = lines[r]!.length + 1;
    if (r > from && chars + c > MAX_CHUNK_CHARS) {
      out.push([from, r - 1]);
      from = r;
      chars = 0;
    }
    chars += c;
  }
  out.push([from, end]);
}

function isBlank(line: string): boolean {
  return line.trim() === '';
}

const FUNCTION_VALUES = new Set([
  'arrow_function',
  'function_expression',
  'function',
  'generator_function',
  'class',
  'class_expression',
]);
const TOP_LEVEL = new Set(['program', 'export_statement', 'module']);

/** Named definitions of the tree, with their start rows (one cursor walk). */
function definitions(tree: Tree, spec: LanguageSpec): { row: number; name: string }[] {
  const out: { row: number; name: string }[] = [];
  const cursor = tree.walk();
  try {
    for (;;) {
      if (spec.definitions.has(cursor.nodeType)) {
        const node = cursor.currentNode;
        const name = definitionName(node);
        if (name) out.push({ row: node.startPosition.row, name });
      }
      if (cursor.gotoFirstChild()) continue;
      while (!cursor.gotoNextSibling()) if (!cursor.gotoParent()) return out;
    }
  } finally {
    cursor.delete();
  }
}

function definitionName(node: Node): string | undefined {
  if (node.type === 'variable_declarator') {
    // A local `const x = 1` is noise; a function, a class or a module-level constant is not.
    const value = node.childForFieldName('value');
    const declaration = node.parent;
    const topLevel = !!declaration?.parent && TOP_LEVEL.has(declaration.parent.type);
    if (!topLevel && !(value && FUNCTION_VALUES.has(value.type))) return undefined;
  }
  const named = node.childForFieldName('name');
  if (named) return short(named.text);
  // C/C++: the name sits inside nested declarators (pointer, function, qualified...).
  let d = node.childForFieldName('declarator');
  for (let depth = 0; d && depth < 6; depth++) {
    if (/identifier|_name$/.test(d.type)) return short(d.text);
    d = d.childForFieldName('declarator') ?? d.childForFieldName('name');
  }
  // Rust `impl Trait for Type`: the type is what is being defined.
  const type = node.childForFieldName('type');
  return type ? short(type.text) : undefined;
}

function short(name: string): string | undefined {
  const n = name.trim();
  return n && n.length <= 200 ? n : undefined;
}
