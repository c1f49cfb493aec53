// Hunks from the diff library, per-hunk apply, the inline diff's view (removed above added, decided
// hunks as plain lines, old lines not reached by a streaming answer left alone) and the code of a
// (streaming) answer.
import { strict as assert } from 'node:assert';
import { answerCode } from '../../extension/core/answer-code';
import { applyHunks, computeHunks, fromLines, toLines } from '../../extension/core/hunks';
import { type Decision, decidedLines, hunkAnchors, streamingHunks, viewLines } from '../../extension/core/inline-diff';

const OLD = ['def area(w, h):', '    return w * h', '', '', 'def perimeter(w, h):', '    return w + h', ''];
const NEW = [
  'def area(w: float, h: float) -> float:',
  '    return w * h',
  '',
  '',
  'def perimeter(w, h):',
  '    return 2 * (w + h)',
  '',
];

describe('inline diff: hunks, per-hunk apply, the view', () => {
  it('splits a change into hunks: each run of removed and added lines, with its place in the old text', () => {
    const hunks = computeHunks(OLD, NEW);
    assert.deepEqual(hunks, [
      { id: 0, oldStart: 0, removed: ['def area(w, h):'], added: ['def area(w: float, h: float) -> float:'] },
      { id: 1, oldStart: 5, removed: ['    return w + h'], added: ['    return 2 * (w + h)'] },
    ]);
    assert.deepEqual(computeHunks(OLD, OLD), []);
    // Pure insertions and deletions are hunks too.
    assert.deepEqual(computeHunks(['a', 'c'], ['a', 'b', 'c']), [{ id: 0, oldStart: 1, removed: [], added: ['b'] }]);
    assert.deepEqual(computeHunks(['a', 'b', 'c'], ['a', 'c']), [{ id: 0, oldStart: 1, removed: ['b'], added: [] }]);
  });

  it('applies only the accepted hunks: all, none, or one of two', () => {
    const hunks = computeHunks(OLD, NEW);
    assert.deepEqual(
      applyHunks(OLD, hunks, () => true),
      NEW,
    );
    assert.deepEqual(
      applyHunks(OLD, hunks, () => false),
      OLD,
    );
    const second = applyHunks(OLD, hunks, (h) => h.id === 1);
    assert.deepEqual(second, [...OLD.slice(0, 5), '    return 2 * (w + h)', '']);
    // Order of the hunk list does not matter.
    assert.deepEqual(
      applyHunks(OLD, [...hunks].reverse(), (h) => h.id === 1),
      second,
    );
  });

  it('lines round-trip, CRLF included', () => {
    for (const t of ['', 'a', 'a\n', 'a\r\nb\r\n', '\n\n']) assert.equal(fromLines(toLines(t)), t);
    assert.deepEqual(computeHunks(toLines('a\r\nb\r\n'), toLines('a\r\nc\r\n'))[0]?.added, ['c\r']);
  });

  it('the view shows removed lines above added ones until decided, and the anchors of open hunks', () => {
    const hunks = computeHunks(OLD, NEW);
    const open = viewLines(OLD, hunks, new Map());
    assert.deepEqual(
      open.slice(0, 3).map((l) => [l.kind, l.hunk]),
      [
        ['removed', 0],
        ['added', 0],
        ['same', undefined],
      ],
    );
    assert.equal(open.length, OLD.length + 2);
    assert.deepEqual(
      [...hunkAnchors(open)],
      [
        [0, 0],
        [1, 6],
      ],
    );
    const decided = new Map<number, Decision>([[0, 'accepted']]);
    const half = viewLines(OLD, hunks, decided);
    assert.equal(half[0]!.text, NEW[0]);
    assert.equal(half[0]!.kind, 'same');
    assert.deepEqual([...hunkAnchors(half).keys()], [1]);
    decided.set(1, 'rejected');
    assert.deepEqual(
      viewLines(OLD, hunks, decided).map((l) => l.text),
      decidedLines(OLD, hunks, decided),
    );
    assert.deepEqual(decidedLines(OLD, hunks, decided), [NEW[0], ...OLD.slice(1)]);
  });

  it('while streaming, old lines the answer has not reached are not removed, and the partial line waits', () => {
    // Two complete lines and a partial third have streamed.
    const partial = 'def area(w: float, h: float) -> float:\n    return w * h\n\n\ndef peri';
    const hunks = streamingHunks(OLD, partial, false);
    assert.deepEqual(hunks, [
      { id: 0, oldStart: 0, removed: ['def area(w, h):'], added: ['def area(w: float, h: float) -> float:'] },
    ]);
    const view = viewLines(OLD, hunks, new Map());
    assert.ok(view.some((l) => l.text === 'def perimeter(w, h):' && l.kind === 'same'));
    // Complete: the same diff as computeHunks.
    assert.deepEqual(streamingHunks(OLD, fromLines(NEW), true), computeHunks(OLD, NEW));
    // Nothing streamed yet: nothing to show.
    assert.deepEqual(streamingHunks(OLD, 'def ar', false), []);
  });

  it('finds the code of an answer: the first fenced block, also while it streams', () => {
    assert.equal(answerCode('Sure.'), undefined);
    assert.deepEqual(answerCode('Here:\n```python\nx = 1\ny = 2\n```\nDone.'), {
      code: 'x = 1\ny = 2',
      complete: true,
    });
    assert.deepEqual(answerCode('```ts\nconst a = 1;\nconst b'), { code: 'const a = 1;\nconst b', complete: false });
    assert.deepEqual(answerCode('````md\n```js\nx\n```\n````'), { code: '```js\nx\n```', complete: true });
    assert.deepEqual(answerCode('~~~\nq\n~~~'), { code: 'q', complete: true });
  });
});
