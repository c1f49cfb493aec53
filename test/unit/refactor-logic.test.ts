import { strict as assert } from 'node:assert';
import {
  combineEdits,
  describeResult,
  errorMessage,
  firstFencedBlock,
  keepTrailingNewline,
  kindReturnsEdits,
  offsetAt,
  parseCodeActionArg,
  REFACTOR_COMMANDS,
  testsDocument,
} from '../../extension/core/refactor-logic';
import { REFACTOR_CODE_ACTIONS } from '../../shared/protocol';
import fs from 'node:fs';

const r = (sl: number, sc: number, el: number, ec: number) => ({
  start: { line: sl, character: sc },
  end: { line: el, character: ec },
});

describe('refactor logic (extension/core/refactor-logic)', () => {
  it('has a command for every refactor kind, all contributed in package.json', () => {
    const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      contributes: { commands: { command: string }[] };
    };
    const contributed = new Set(pkg.contributes.commands.map((c) => c.command));
    for (const c of REFACTOR_COMMANDS) assert.ok(contributed.has(c.command), c.command);
    for (const a of REFACTOR_CODE_ACTIONS) assert.ok(REFACTOR_COMMANDS.some((c) => c.kind === a.kind));
    assert.equal(kindReturnsEdits('simplify'), true);
    assert.equal(kindReturnsEdits('explain'), false);
    assert.equal(kindReturnsEdits('tests'), false);
  });

  it('parses the code action argument { kind, uri, range }', () => {
    assert.deepEqual(parseCodeActionArg({ kind: 'simplify', uri: 'file:///a.ts', range: r(1, 0, 3, 4) }), {
      kind: 'simplify',
      uri: 'file:///a.ts',
      range: r(1, 0, 3, 4),
    });
    assert.equal(parseCodeActionArg(undefined), undefined);
    assert.equal(parseCodeActionArg({ kind: 'nope', uri: 'file:///a.ts', range: r(0, 0, 0, 1) }), undefined);
    assert.equal(
      parseCodeActionArg({
        kind: 'simplify',
        uri: 'file:///a.ts',
        range: { start: { line: -1, character: 0 }, end: { line: 0, character: 0 } },
      }),
      undefined,
    );
    assert.equal(parseCodeActionArg({ kind: 'simplify', range: r(0, 0, 0, 1) }), undefined);
  });

  it('extracts the first fenced code block', () => {
    assert.deepEqual(firstFencedBlock('Here:\n```ts\nconst a = 1;\n```\nmore\n```js\nx\n```'), {
      code: 'const a = 1;',
      lang: 'ts',
    });
    assert.deepEqual(firstFencedBlock('```\nplain\n```'), { code: 'plain', lang: undefined });
    assert.equal(firstFencedBlock('no code here'), undefined);
  });

  it('tests document: the first code block in the file language, else the markdown', () => {
    assert.deepEqual(testsDocument('Tests:\n```python\ndef test_a():\n    assert f() == 1\n```\n', 'python'), {
      content: 'def test_a():\n    assert f() == 1\n',
      language: 'python',
    });
    assert.deepEqual(testsDocument('just prose', 'python'), { content: 'just prose', language: 'markdown' });
    assert.equal(testsDocument('```ts\nx\n```', undefined).language, 'ts');
  });

  it('offsets of LSP positions', () => {
    const t = 'ab\ncde\n\nf';
    assert.equal(offsetAt(t, { line: 0, character: 0 }), 0);
    assert.equal(offsetAt(t, { line: 1, character: 2 }), 5);
    assert.equal(offsetAt(t, { line: 1, character: 99 }), 6);
    assert.equal(offsetAt(t, { line: 3, character: 1 }), 9);
    assert.equal(offsetAt(t, { line: 9, character: 0 }), t.length);
  });

  it('folds several edits into one replacement (one preview, one undo)', () => {
    const text = 'line0\nline1\nline2\nline3\n';
    assert.equal(combineEdits(text, []), undefined);
    const one = { range: r(1, 0, 1, 5), newText: 'X' };
    assert.deepEqual(combineEdits(text, [one]), one);
    const c = combineEdits(text, [
      { range: r(3, 0, 3, 5), newText: 'L3' },
      { range: r(1, 0, 1, 5), newText: 'L1' },
    ])!;
    assert.deepEqual(c.range, r(1, 0, 3, 5));
    assert.equal(c.newText, 'L1\nline2\nL3');
    const s = offsetAt(text, c.range.start);
    const e = offsetAt(text, c.range.end);
    assert.equal(text.slice(0, s) + c.newText + text.slice(e), 'line0\nL1\nline2\nL3\n');
    assert.throws(
      () =>
        combineEdits(text, [
          { range: r(1, 0, 2, 2), newText: '' },
          { range: r(2, 0, 2, 1), newText: '' },
        ]),
      /overlapping/,
    );
  });

  it("keeps the selection's final line break", () => {
    assert.equal(keepTrailingNewline('function f() {\n}\n', 'const f = () => {};'), 'const f = () => {};\n');
    assert.equal(keepTrailingNewline('a\r\n', 'b'), 'b\r\n');
    assert.equal(keepTrailingNewline('a\n', 'b\n'), 'b\n');
    assert.equal(keepTrailingNewline('a', 'b'), 'b');
    assert.equal(keepTrailingNewline('a\n', ''), '');
  });

  it('describes which model did it', () => {
    assert.equal(
      describeResult({ model: 'openai/gpt-5-mini', latencyMs: 1234, costUsd: 0.00312 }),
      'openai/gpt-5-mini · 1.2 s · $0.0031',
    );
    assert.equal(describeResult({ model: 'local/qwen', latencyMs: 15_400, costUsd: 0 }), 'local/qwen · 15 s · free');
  });

  it('error messages: the daemon message, without the client prefix', () => {
    assert.equal(
      errorMessage(Object.assign(new Error('No model can serve this request'), { code: -32001 })),
      'No model can serve this request',
    );
    assert.equal(errorMessage(new Error('Request gearbox/refactor failed with message: boom')), 'boom');
    assert.equal(errorMessage('x'), 'x');
  });
});
