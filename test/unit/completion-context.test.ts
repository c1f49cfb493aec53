import assert from 'node:assert/strict';
import { buildCompletionPrompt, cleanCompletion } from '../../daemon/completion-context';
import { DocumentStore } from '../../daemon/documents';
import { firstCodeBlock, proseAround, attachContext } from '../../daemon/prompts';

describe('completion prompt', () => {
  it('splits at the cursor and marks empty lines multi-line, mid-line single-line', () => {
    const text = 'def f():\n    \n    return 1\n';
    const p = buildCompletionPrompt(text, text.indexOf('    \n') + 4, 'file:///a.py', []);
    assert.equal(p.prefix, 'def f():\n    ');
    assert.equal(p.suffix, '\n    return 1\n');
    assert.equal(p.multiline, true);
    const q = buildCompletionPrompt('x = foo(', 8, 'file:///a.py', []);
    assert.equal(q.multiline, true, 'after an opening bracket at line end');
    const r = buildCompletionPrompt('x = foo(1) + bar', 12, 'file:///a.py', []);
    assert.equal(r.multiline, false);
    assert.equal(r.lineSuffix, ' bar');
  });

  it('bounds prefix and suffix at line boundaries', () => {
    const lines = Array.from({ length: 2000 }, (_, i) => `line ${i}`);
    const text = lines.join('\n');
    const offset = text.indexOf('line 1000');
    const p = buildCompletionPrompt(text, offset, 'file:///a.txt', [], {
      maxPrefixChars: 100,
      maxSuffixChars: 50,
      maxContextChars: 0,
    });
    assert.ok(p.prefix.length <= 100);
    assert.ok(p.prefix.startsWith('line '), 'starts at a whole line');
    assert.ok(p.suffix.length <= 50);
    assert.ok(p.suffix.endsWith('\n'));
  });

  it("puts other files' chunks before the prefix, never the current file", () => {
    const store = new DocumentStore();
    store.open('file:///b.py', 'python', 1, 'import os\n\nCONST = 1\n');
    store.change('file:///b.py', 2, [
      { range: { start: { line: 2, character: 8 }, end: { line: 2, character: 9 } }, text: '42' },
    ]);
    store.open('file:///a.py', 'python', 1, 'x = 1\n');
    store.change('file:///a.py', 2, [
      { range: { start: { line: 0, character: 4 }, end: { line: 0, character: 5 } }, text: '2' },
    ]);
    // Picked chunks enter the ring once the user is idle.
    assert.equal(store.contextRing.update(Date.now() + 60_000), true);
    const p = buildCompletionPrompt('x = 2\n', 6, 'file:///a.py', store.completionContext('file:///a.py'));
    assert.ok(p.prefix.includes('CONST = 42'));
    assert.ok(p.prefix.endsWith('x = 2\n'));
    assert.equal(p.prefix.split('x = 2').length, 2, 'current file appears once');
  });
});

describe('completion cleanup', () => {
  const prompt = (text: string, offset: number) => buildCompletionPrompt(text, offset, 'file:///a.py', []);

  it('keeps one line mid-line and drops the text already after the cursor', () => {
    const p = prompt('print()', 6);
    assert.equal(cleanCompletion('x)\nmore', p), 'x');
  });

  it('stops a block where it starts repeating the following lines', () => {
    const text = 'def f():\n    \n    return 1\n';
    const p = prompt(text, text.indexOf('    \n') + 4);
    assert.equal(cleanCompletion('a = 1\n    b = 2\n    return 1\n', p), 'a = 1\n    b = 2');
  });
});

describe('prompts', () => {
  it('finds the first code block and the prose around it', () => {
    const md = 'Here:\n```python\nprint(1)\n```\nDone.';
    assert.equal(firstCodeBlock(md), 'print(1)');
    assert.equal(proseAround(md), 'Here:\nDone.');
    assert.equal(firstCodeBlock('no code'), undefined);
  });

  it('attaches context to the last user turn with a fence longer than any in the code', () => {
    const msgs = attachContext([{ role: 'user', content: 'why?' }], {
      fileName: 'a.md',
      code: 'x ``` y',
      languageId: 'markdown',
    });
    assert.equal(msgs[0]!.role, 'system');
    assert.ok(msgs[1]!.content.includes('````markdown\nx ``` y\n````'));
    assert.ok(msgs[1]!.content.endsWith('why?'));
  });
});
