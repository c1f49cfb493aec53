// An inline completion as a completion-menu item (daemon/lsp-bridge/completion-items.ts).
import assert from 'node:assert/strict';
import { InsertTextFormat } from 'vscode-languageserver';
import { completionItems, escapeSnippet } from '../../daemon/lsp-bridge/completion-items';

describe('completion items from an inline completion', () => {
  it('replaces the word being typed with the word plus the completion, so filter and insert agree', () => {
    const [item] = completionItems('    total = calc', { line: 3, character: 16 }, 'ulate(items)', { snippets: true });
    assert.equal(item?.label, 'calculate(items)');
    assert.equal(item?.filterText, 'calculate(items)');
    assert.deepEqual(item?.textEdit, {
      range: { start: { line: 3, character: 12 }, end: { line: 3, character: 16 } },
      newText: 'calculate(items)',
    });
    assert.equal(item?.insertTextFormat, InsertTextFormat.PlainText);
  });

  it('makes a multi-line completion a snippet, escaped, with its tab stop at the end', () => {
    const [item] = completionItems('def f(', { line: 0, character: 6 }, 'x):\n    return $x or {}', { snippets: true });
    assert.equal(item?.insertTextFormat, InsertTextFormat.Snippet);
    assert.equal(item?.textEdit?.newText, 'x):\n    return \\$x or {\\}$0');
    assert.equal(item?.label, 'x):…');
  });

  it('keeps multi-line text plain for clients without snippets, and offers nothing for an empty completion', () => {
    const [item] = completionItems('', { line: 0, character: 0 }, 'a\nb', { snippets: false });
    assert.equal(item?.insertTextFormat, InsertTextFormat.PlainText);
    assert.equal(item?.textEdit?.newText, 'a\nb');
    assert.deepEqual(completionItems('x', { line: 0, character: 1 }, '', { snippets: true }), []);
  });

  it('escapes exactly the snippet syntax', () => {
    assert.equal(escapeSnippet('a $1 {b} \\ }'), 'a \\$1 {b\\} \\\\ \\}');
  });
});
