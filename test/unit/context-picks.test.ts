import assert from 'node:assert/strict';
import { pickOnLeave } from '../../extension/core/context-picks';

describe('completion context picks (leaving a file)', () => {
  const spot = (line: number, fromChar: number, toLine = line, toChar = fromChar) => ({
    uri: 'file:///w/lib.py',
    selection: { start: { line, character: fromChar }, end: { line: toLine, character: toChar } },
  });

  it('a selection is picked as selected, a bare cursor as the region viewed', () => {
    assert.deepEqual(pickOnLeave(spot(3, 0, 9, 2), 'file:///w/app.py'), {
      textDocument: { uri: 'file:///w/lib.py' },
      range: spot(3, 0, 9, 2).selection,
      source: 'selected',
    });
    assert.equal(pickOnLeave(spot(7, 4), undefined)?.source, 'viewed');
  });

  it('nothing when there was no editor, or the same file stays active', () => {
    assert.equal(pickOnLeave(undefined, 'file:///w/app.py'), undefined);
    assert.equal(pickOnLeave(spot(1, 1), 'file:///w/lib.py'), undefined);
  });
});
