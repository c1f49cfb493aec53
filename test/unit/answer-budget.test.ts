// Token budgets per refactor kind, and the watch that gives up on an answer that cannot become a code block.
import assert from 'node:assert/strict';
import { FenceWatch, refactorBudget, replacesSelection } from '../../daemon/answer-budget';
import { EXPLAIN_MAX_TOKENS } from '../../shared/protocol';

describe('refactor budgets', () => {
  const code = 'x'.repeat(400); // about 100 tokens

  it('twice the selection plus a margin; tests three times; explain a few hundred; unless asked for more', () => {
    assert.equal(refactorBudget('simplify', code), 2 * 100 + 256);
    assert.equal(refactorBudget('document', code), 456);
    assert.equal(refactorBudget('tests', code), 3 * 100 + 512);
    assert.equal(refactorBudget('explain', code), EXPLAIN_MAX_TOKENS);
    assert.equal(refactorBudget('explain', code, 3000), 3000);
    assert.equal(refactorBudget('simplify', 'x'.repeat(1_000_000)), 8192, 'capped');
    assert.equal(refactorBudget('simplify', 'x'), 1 * 2 + 256, 'the margin at least');
  });

  it('an insertion (no selection) gets room for new code; a merge is sized by the block it merges too', () => {
    assert.equal(refactorBudget('refactor', ''), 2048);
    assert.equal(refactorBudget('refactor', '', 500), 500);
    assert.equal(refactorBudget('merge', code, undefined, 'y'.repeat(400)), 2 * 200 + 256);
  });

  it('only refactors that replace the selection need a code block', () => {
    assert.deepEqual(
      (['refactor', 'explain', 'document', 'types', 'simplify', 'tests', 'merge'] as const).filter(replacesSelection),
      ['refactor', 'document', 'types', 'simplify', 'merge'],
    );
  });
});

describe('fence watch', () => {
  it('lets a short preamble through, then the code block, however long', () => {
    const w = new FenceWatch(40);
    assert.equal(w.push('Here is the simplified code:\n'), undefined);
    assert.equal(w.push('``'), undefined);
    assert.equal(w.push('`python\n'), undefined, 'a fence split across pieces still counts');
    for (let i = 0; i < 1000; i++) assert.equal(w.push('return n > 0\n'), undefined);
  });

  it('gives up once the preamble is over the limit without a fence', () => {
    const w = new FenceWatch(40);
    assert.equal(w.push('Once upon a time, '), undefined);
    assert.equal(w.push('there was a function '), undefined);
    assert.match(w.push('that liked numbers.') ?? '', /wrote 58 characters without starting a code block/);
  });

  it('a fence must start a line: backticks inside prose do not count', () => {
    const w = new FenceWatch(40);
    assert.equal(w.push('Use ```python fences for '), undefined);
    assert.notEqual(w.push('code, they said, at length.'), undefined);
    const tilde = new FenceWatch(40);
    assert.equal(tilde.push('~~~\ncode'), undefined, 'a tilde fence at the very start');
    assert.equal(tilde.push('x'.repeat(100)), undefined);
  });
});
