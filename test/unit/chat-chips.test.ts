// Chip resolution from plain inputs (what each @ mention sends, one item per file so privacy applies
// per file), trimming to the model's window, and the lines an inline edit works on.
import { strict as assert } from 'node:assert';
import {
  chipBudget,
  codebaseChip,
  fileChip,
  fitToBudget,
  MAX_OPEN_FILES,
  openChip,
  problemsChip,
  rangeChip,
  terminalChip,
} from '../../extension/chat/chips';
import { MAX_CONTEXT_CHARS } from '../../extension/chat/context';
import { editRegion } from '../../extension/core/edit-region';
import { fuzzyFilter, fuzzyScore } from '../../extension/core/fuzzy';

const f = (path: string, text: string) => ({ uri: `file:///ws/${path}`, path, text, languageId: 'typescript' });
const r = (sl: number, sc: number, el: number, ec: number) => ({
  start: { line: sl, character: sc },
  end: { line: el, character: ec },
});

describe('chat chips: resolution', () => {
  it('@file: one item with the file, capped, sized in tokens; the reference has no content', () => {
    const c = fileChip('c1', f('src/a.ts', 'export const a = 1;\n'));
    assert.deepEqual(c.items, [
      {
        kind: 'file',
        label: '@file src/a.ts',
        uri: 'file:///ws/src/a.ts',
        text: 'export const a = 1;\n',
        languageId: 'typescript',
      },
    ]);
    assert.equal(c.ref.tokens, 5);
    assert.deepEqual(c.ref.uris, ['file:///ws/src/a.ts']);
    assert.ok(!('text' in c.ref));
    const huge = fileChip('c2', f('big.ts', 'x\n'.repeat(MAX_CONTEXT_CHARS)));
    assert.ok(huge.items[0]!.text.length <= MAX_CONTEXT_CHARS);
    assert.match(huge.ref.detail!, /first .* characters/);
  });

  it('@selection and @symbol: the part with its lines in the label and the range kept', () => {
    const sel = rangeChip('c', 'selection', f('a.ts', 'b\nc'), r(1, 0, 3, 0));
    assert.equal(sel.ref.label, '@selection a.ts:2-3');
    assert.deepEqual(sel.items[0]!.range, r(1, 0, 3, 0));
    const sym = rangeChip('s', 'symbol', f('a.ts', 'function parse() {}'), r(4, 0, 4, 19), 'parse');
    assert.equal(sym.ref.label, '@symbol parse');
    assert.equal(sym.ref.query, 'parse');
  });

  it('@open: one item per file (each under its own privacy rules), blank files skipped, at most 20', () => {
    const files = Array.from({ length: 25 }, (_, i) => f(`f${i}.ts`, `const x${i} = ${i};`));
    const c = openChip('o', [f('empty.ts', '  \n'), ...files])!;
    assert.equal(c.items.length, MAX_OPEN_FILES);
    assert.deepEqual(
      c.items.slice(0, 2).map((i) => [i.uri, i.label]),
      [
        ['file:///ws/f0.ts', '@open f0.ts'],
        ['file:///ws/f1.ts', '@open f1.ts'],
      ],
    );
    assert.match(c.ref.detail!, /6 more left out/);
    assert.equal(openChip('o', [f('empty.ts', '')]), undefined);
  });

  it('@problems: errors first, grouped per file with the line they are on', () => {
    const c = problemsChip('p', 'workspace', [
      { uri: 'file:///ws/b.py', path: 'b.py', line: 0, character: 0, severity: 'warning', message: 'unused import' },
      {
        uri: 'file:///ws/a.ts',
        path: 'a.ts',
        line: 2,
        character: 4,
        severity: 'error',
        message: "Cannot find name 'y'.",
        source: 'ts',
        lineText: '    return y;',
      },
    ])!;
    assert.equal(c.ref.label, '@problems (workspace) (2)');
    assert.deepEqual(
      c.items.map((i) => [i.uri, i.text]),
      [
        ['file:///ws/a.ts', "a.ts:3:5 error: Cannot find name 'y'. (ts)\n    return y;"],
        ['file:///ws/b.py', 'b.py:1:1 warning: unused import'],
      ],
    );
    assert.equal(c.ref.detail, '2 problems, 1 error');
    assert.equal(problemsChip('p', 'file', []), undefined);
  });

  it('@terminal: the command, its exit code and output without escape sequences, the end kept', () => {
    const c = terminalChip('t', {
      commandLine: 'npm test',
      output: '\u001b[31mFAIL\u001b[0m src/a.test.ts\n\u001b]633;D;1\u0007',
      exitCode: 1,
    });
    assert.equal(c.items[0]!.text, '$ npm test (exit code 1)\nFAIL src/a.test.ts\n');
    assert.equal(c.items[0]!.uri, undefined, 'terminal output is not from a file');
    const long = terminalChip('t', { commandLine: 'x', output: `${'a'.repeat(30_000)}END` });
    assert.ok(long.items[0]!.text.endsWith('END'));
    assert.ok(long.items[0]!.text.length < 21_000);
  });

  it('@codebase: one item per hit, labelled with its place; nothing found, no chip', () => {
    const c = codebaseChip('k', 'parse ISO dates', [
      { uri: 'file:///ws/src/dates.ts', path: 'src/dates.ts', range: r(2, 0, 9, 1), snippet: 'function parseIso() {}' },
    ])!;
    assert.equal(c.ref.label, '@codebase parse ISO dates (1)');
    assert.equal(c.items[0]!.label, '@codebase src/dates.ts:3-10');
    assert.equal(c.ref.query, 'parse ISO dates');
    assert.equal(codebaseChip('k', 'x', []), undefined);
  });
});

describe('chat chips: the context window', () => {
  const a = fileChip('a', f('a.ts', 'a'.repeat(4000))); // 1,000 tokens
  const b = fileChip('b', f('b.ts', 'b'.repeat(2000))); // 500 tokens

  it('everything that fits goes whole, with no notice', () => {
    const fit = fitToBudget([a, b], 1500, 'm');
    assert.equal(fit.items.length, 2);
    assert.equal(fit.tokens, 1500);
    assert.equal(fit.notice, undefined);
  });

  it('the chip crossing the limit is cut, later ones left out, and the notice names them', () => {
    const fit = fitToBudget([a, b, fileChip('c', f('c.ts', 'c'))], 1200, 'local/small');
    assert.equal(fit.items.length, 2);
    assert.ok(fit.tokens <= 1200, `${fit.tokens}`);
    assert.match(
      fit.notice!,
      /local\/small's window \(1\.2k tokens for context\): @file b\.ts cut to .* of 500 tokens/,
    );
    assert.match(fit.notice!, /left out: @file c\.ts/);
    // Too little room to be worth a part: left out whole.
    const none = fitToBudget([a], 30, 'm');
    assert.deepEqual(none.items, []);
    assert.match(none.notice!, /left out: @file a\.ts/);
  });

  it('the budget is the window less the conversation, the answer and the overhead', () => {
    assert.equal(chipBudget(8192, 1000), 8192 - 1000 - 2048 - 200);
    assert.equal(chipBudget(1000, 5000), 0);
  });
});

describe('inline edit region', () => {
  const doc = (lines: string[]) => ({ lineCount: lines.length, lineText: (l: number) => lines[l]! });
  const lines = ['def a():', '    return 1', '', 'x = a()'];

  it('a selection is widened to whole lines; one ending at column 0 leaves that line out', () => {
    assert.deepEqual(editRegion(doc(lines), r(0, 4, 1, 6)), {
      startLine: 0,
      endLine: 2,
      requestRange: r(0, 0, 2, 0),
      keep: [],
    });
    assert.equal(editRegion(doc(lines), r(0, 0, 2, 0)).endLine, 2);
    // Up to the last line: the request ends at its end.
    assert.deepEqual(editRegion(doc(lines), r(3, 0, 3, 3)).requestRange, r(3, 0, 3, 7));
  });

  it('no selection: a blank line is replaced, else the code goes beside the cursor line', () => {
    assert.deepEqual(editRegion(doc(lines), r(2, 0, 2, 0)), {
      startLine: 2,
      endLine: 3,
      requestRange: r(2, 0, 2, 0),
      keep: [],
    });
    assert.deepEqual(editRegion(doc(lines), r(1, 0, 1, 0)), {
      startLine: 1,
      endLine: 1,
      requestRange: r(1, 0, 1, 0),
      keep: [],
    });
    assert.deepEqual(editRegion(doc(lines), r(1, 5, 1, 5)), {
      startLine: 2,
      endLine: 2,
      requestRange: r(2, 0, 2, 0),
      keep: [],
    });
    // The last line has no line after it: it is the region, kept above the new code.
    assert.deepEqual(editRegion(doc(lines), r(3, 7, 3, 7)), {
      startLine: 3,
      endLine: 4,
      requestRange: r(3, 7, 3, 7),
      keep: ['x = a()'],
    });
  });
});

describe('@file fuzzy matching', () => {
  const paths = [
    'src/billing.py',
    'src/bill_utils/__init__.py',
    'docs/building.md',
    'tests/test_billing.py',
    'README.md',
  ];

  it('matches the query as a subsequence, typos of omission included, file names first', () => {
    assert.deepEqual(fuzzyFilter(paths, 'billng', (p) => p).slice(0, 2), ['src/billing.py', 'tests/test_billing.py']);
    assert.equal(fuzzyScore('xyz', 'src/billing.py'), undefined);
    assert.deepEqual(
      fuzzyFilter(paths, 'rdme', (p) => p),
      ['README.md'],
    );
    assert.equal(fuzzyFilter(paths, '', (p) => p).length, paths.length);
  });

  it('word starts and runs score higher than scattered letters', () => {
    assert.ok(fuzzyScore('tb', 'tests/test_billing.py')! > fuzzyScore('tb', 'src/attributes.py')!);
    assert.ok(fuzzyScore('bil', 'src/billing.py')! > fuzzyScore('bil', 'docs/bigfile.md')!);
  });
});
