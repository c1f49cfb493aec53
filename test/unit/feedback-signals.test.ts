// The extension's side of learning from the user: which ghost texts count as passed over
// (extension/core/completion-feedback.ts) and what a decided inline diff says (core/inline-diff.ts).
import assert from 'node:assert/strict';
import { CompletionFeedback } from '../../extension/core/completion-feedback';
import { type Decision, verdictOf } from '../../extension/core/inline-diff';
import type { Hunk } from '../../extension/core/hunks';

describe('completion feedback', () => {
  it('a suggestion replaced by another without being accepted was passed over', () => {
    const ignored: string[] = [];
    const f = new CompletionFeedback((id) => ignored.push(id));
    f.showing('file:///a.py', 'r-one11111');
    f.showing('file:///a.py', 'r-one11111'); // typed through it: the cache shows the same one
    assert.deepEqual(ignored, []);
    f.showing('file:///a.py', 'r-two22222');
    assert.deepEqual(ignored, ['r-one11111']);
  });

  it('an accepted suggestion is never passed over; other files are apart; closing settles', () => {
    const ignored: string[] = [];
    const f = new CompletionFeedback((id) => ignored.push(id));
    f.showing('file:///a.py', 'r-aaaaaaaa');
    f.showing('file:///b.py', 'r-bbbbbbbb');
    f.accepted('r-aaaaaaaa');
    f.showing('file:///a.py', 'r-cccccccc');
    assert.deepEqual(ignored, []);
    f.closed('file:///b.py');
    f.closed('file:///a.py');
    assert.deepEqual(ignored, ['r-bbbbbbbb', 'r-cccccccc']);
    f.accepted('r-unknown0'); // a stale command changes nothing
    assert.deepEqual(ignored, ['r-bbbbbbbb', 'r-cccccccc']);
  });
});

describe('inline diff verdict', () => {
  const hunks = [1, 2].map((id) => ({ id }) as Hunk);
  const decided = (...d: Decision[]) => new Map(d.map((x, i) => [i + 1, x]));
  it('every hunk taken, none, or some', () => {
    assert.equal(verdictOf(hunks, decided('accepted', 'accepted')), 'accepted');
    assert.equal(verdictOf(hunks, decided('rejected', 'rejected')), 'rejected');
    assert.equal(verdictOf(hunks, decided('accepted', 'rejected')), 'partial');
    assert.equal(verdictOf([], new Map()), undefined, 'a proposal without changes says nothing');
  });
});
