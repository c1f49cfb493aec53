// Chunks for code search are cut on syntax boundaries (tree-sitter grammars from
// @vscode/tree-sitter-wasm), merged up to a size, and carry the names they define.
import assert from 'node:assert/strict';
import { chunkFile, MAX_CHUNK_CHARS, type Chunk } from '../../daemon/codebase/chunker';
import { Parsers } from '../../daemon/codebase/tree-sitter';

/** Body lines of about 30 characters; 15 make a function of ~500 characters. */
const body = (k: number, n: number, indent: string, stmt: (k: number, j: number) => string) =>
  Array.from({ length: n }, (_, j) => `${indent}${stmt(k, j)}`).join('\n');

interface LanguageCase {
  file: string;
  /** The source of function k, as lines; the name `fn<k>` must be what it defines. */
  fn: (k: number) => string;
  wrap?: (fns: string) => string;
  /** Python documents a function inside it (a docstring), not above it. */
  docInside?: true;
}

const CASES: LanguageCase[] = [
  {
    file: 'a.ts',
    fn: (k) =>
      `/** Adds things, number ${k}. */\nexport function fn${k}(a: number): number {\n  let total = a;\n` +
      `${body(k, 15, '  ', (k, j) => `total = total * 31 + ${k}${j};`)}\n  return total;\n}`,
  },
  {
    file: 'a.py',
    fn: (k) =>
      `def fn${k}(a):\n    """Adds things, number ${k}."""\n    total = a\n` +
      `${body(k, 15, '    ', (k, j) => `total = total * 31 + ${k}${j}`)}\n    return total`,
    docInside: true,
  },
  {
    file: 'a.go',
    fn: (k) =>
      `// fn${k} adds things.\nfunc fn${k}(a int) int {\n\ttotal := a\n` +
      `${body(k, 15, '\t', (k, j) => `total = total*31 + ${k}${j}`)}\n\treturn total\n}`,
    wrap: (fns) => `package p\n\n${fns}`,
  },
  {
    file: 'a.rs',
    fn: (k) =>
      `/// Adds things.\nfn fn${k}(a: i64) -> i64 {\n    let mut total = a;\n` +
      `${body(k, 15, '    ', (k, j) => `total = total * 31 + ${k}${j};`)}\n    total\n}`,
  },
  {
    file: 'A.java',
    fn: (k) =>
      `    /** Adds things. */\n    int fn${k}(int a) {\n        int total = a;\n` +
      `${body(k, 15, '        ', (k, j) => `total = total * 31 + ${k}${j};`)}\n        return total;\n    }`,
    wrap: (fns) => `class A {\n${fns}\n}`,
  },
  {
    file: 'a.c',
    fn: (k) =>
      `/* Adds things. */\nint fn${k}(int a) {\n    int total = a;\n` +
      `${body(k, 15, '    ', (k, j) => `total = total * 31 + ${k}${j};`)}\n    return total;\n}`,
    wrap: (fns) => `#include <stdio.h>\n\n${fns}`,
  },
  {
    file: 'a.cpp',
    fn: (k) =>
      `// Adds things.\nint fn${k}(int a) {\n    int total = a;\n` +
      `${body(k, 15, '    ', (k, j) => `total = total * 31 + ${k}${j};`)}\n    return total;\n}`,
    wrap: (fns) => `namespace ns {\n\n${fns}\n\n}  // namespace ns`,
  },
];

/** Where each fn<k> starts and ends (0-based lines), found by its name and the end of its body. */
function functionRanges(text: string, count: number): [number, number][] {
  const lines = text.split('\n');
  return Array.from({ length: count }, (_, k) => {
    const start = lines.findIndex((l) => new RegExp(`\\bfn${k}\\(`).test(l));
    let end = start;
    while (end + 1 < lines.length && !/^\s*(return total;?|total)$/.test(lines[end]!)) end++;
    // Brace languages close the function on the next line.
    if (/^\s*}$/.test(lines[end + 1] ?? '')) end++;
    return [start, end] as [number, number];
  });
}

function covering(chunks: Chunk[], line: number): Chunk | undefined {
  return chunks.find((c) => c.startLine <= line && line <= c.endLine);
}

describe('code search: chunking on syntax boundaries', () => {
  const parsers = new Parsers((g, err) => assert.fail(`grammar ${g} failed to load: ${String(err)}`));
  after(() => parsers.dispose());

  for (const c of CASES) {
    it(`${c.file}: never splits a function that fits, and names what each chunk defines`, async () => {
      const fns = Array.from({ length: 6 }, (_, k) => c.fn(k)).join('\n\n');
      const text = c.wrap ? c.wrap(fns) : fns;
      const { chunks, syntax } = await chunkFile(c.file, text, parsers);
      assert.equal(syntax, true, 'parsed with a grammar');
      assert.ok(chunks.length >= 2, `the file is over ${MAX_CHUNK_CHARS} characters: ${chunks.length} chunk(s)`);
      for (const [k, [start, end]] of functionRanges(text, 6).entries()) {
        const chunk = covering(chunks, start);
        assert.ok(chunk, `fn${k} (line ${start}) is in a chunk`);
        assert.ok(
          chunk.endLine >= end,
          `fn${k} (lines ${start}-${end}) is cut: chunk ${chunk.startLine}-${chunk.endLine}`,
        );
        assert.ok(chunk.symbols.includes(`fn${k}`), `chunk of fn${k} names it: ${chunk.symbols.join(', ')}`);
        // Its doc comment comes with it.
        if (!c.docInside) assert.ok(chunk.startLine <= start - 1, `the comment above fn${k} is in its chunk`);
      }
      const lines = text.split('\n');
      lines.forEach((l, i) => {
        if (l.trim()) assert.ok(covering(chunks, i), `line ${i} (${l}) is in a chunk`);
      });
    });
  }

  it('cuts a function bigger than a chunk at its statements', async () => {
    const statements = body(0, 150, '  ', (_k, j) => `total = total * 31 + ${j};`);
    const text = `function big(a: number): number {\n  let total = a;\n${statements}\n  return total;\n}\n`;
    const { chunks } = await chunkFile('big.ts', text, parsers);
    assert.ok(chunks.length >= 3, `${chunks.length} chunks`);
    const lines = text.split('\n');
    for (const chunk of chunks.slice(1)) assert.match(lines[chunk.startLine]!, /^ {2}(total =|let|return)/);
    for (const chunk of chunks) {
      const chars = lines.slice(chunk.startLine, chunk.endLine + 1).join('\n').length;
      assert.ok(chars <= MAX_CHUNK_CHARS, `chunk ${chunk.startLine}-${chunk.endLine} has ${chars} characters`);
    }
    assert.ok(chunks[0]!.symbols.includes('big'));
  });

  it('keeps a class whole when it fits, with its methods named', async () => {
    const text = 'export class Greeter {\n  greet(name: string) {\n    return "hi " + name;\n  }\n  wave() {}\n}\n';
    const { chunks } = await chunkFile('g.ts', text, parsers);
    assert.deepEqual(
      chunks.map((c) => [c.startLine, c.endLine]),
      [[0, 5]],
    );
    assert.deepEqual(chunks[0]!.symbols, ['Greeter', 'greet', 'wave']);
  });

  it('cuts files without a grammar at blank lines', async () => {
    const para = (n: number) =>
      Array.from({ length: 12 }, (_, i) => `Paragraph ${n}, line ${i}: some words.`).join('\n');
    const text = Array.from({ length: 6 }, (_, n) => para(n)).join('\n\n');
    const { chunks, syntax } = await chunkFile('notes.md', text, parsers);
    assert.equal(syntax, false);
    assert.ok(chunks.length >= 2);
    const lines = text.split('\n');
    for (const chunk of chunks) assert.match(lines[chunk.startLine]!, /^Paragraph \d+, line 0:/);
  });
});
