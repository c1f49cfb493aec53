import assert from 'node:assert/strict';
import { applyErase, planKvReuse } from '../../daemon/model-host/kv-reuse';

/** Token ids `from`, `from + 1`, … (n of them): distinct text. */
const run = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

describe('KV cache reuse plan (llama-server --cache-reuse)', () => {
  const head = run(1000, 100); // the file's text above the edit
  const edited = run(2000, 10); // the lines an edit deletes
  const below = run(3000, 800); // the unchanged text below the edit, down to the cursor
  const tail = run(4000, 30); // suffix and FIM tokens: after the cursor, re-evaluated anyway

  it('after lines deleted far above, evaluates only the tail; the text below is shifted, not decoded', () => {
    const cached = [...head, ...edited, ...below, ...tail];
    const prompt = [...head, ...below, ...run(5000, 25)];
    const plan = planKvReuse(cached, prompt, 64);
    assert.equal(plan.commonPrefix, head.length);
    assert.deepEqual(plan.erase, [
      { start: 100, end: 110 },
      { start: 910, end: cached.length },
    ]);
    assert.equal(plan.reused, below.length);
    assert.equal(plan.evaluate, 25, 'the changed tail only');
    assert.deepEqual(applyErase(cached, plan.erase), prompt.slice(0, plan.cachedAfter));
    // Without reuse everything after the edit is decoded again.
    assert.equal(planKvReuse(cached, prompt, 0).evaluate, below.length + 25);
  });

  it('after the prefix window slid down by a line, evaluates only what is new at the cursor', () => {
    const firstLine = run(1000, 12);
    const rest = run(2000, 900);
    const cached = [7, ...firstLine, ...rest, ...tail];
    const typed = run(6000, 3);
    const prompt = [7, ...rest, ...typed, ...tail];
    const plan = planKvReuse(cached, prompt, 64);
    assert.equal(plan.commonPrefix, 1, 'the FIM prefix token');
    assert.equal(plan.reused, rest.length);
    assert.equal(plan.evaluate, typed.length + tail.length);
    assert.deepEqual(applyErase(cached, plan.erase), prompt.slice(0, plan.cachedAfter));
  });

  it('keeps several moved chunks in order, erasing what lies between them', () => {
    const a = run(100, 70);
    const b = run(300, 80);
    const c = run(500, 90);
    const cached = [...head, ...run(9000, 5), ...a, ...run(9100, 7), ...b, ...run(9200, 3), ...c];
    const prompt = [...head, ...a, ...b, ...c, ...tail];
    const plan = planKvReuse(cached, prompt, 64);
    assert.equal(plan.erase.length, 3);
    assert.equal(plan.reused, a.length + b.length + c.length);
    assert.equal(plan.evaluate, tail.length);
    assert.deepEqual(applyErase(cached, plan.erase), prompt.slice(0, plan.cachedAfter));
  });

  it('cannot keep text that follows an insertion: a decode goes after the last kept token only', () => {
    // A renamed identifier far above: the new prompt inserts tokens before the unchanged text.
    const cached = [...head, ...below, ...tail];
    const prompt = [...head, ...run(7000, 2), ...below, ...tail];
    const plan = planKvReuse(cached, prompt, 64);
    assert.equal(plan.reused, 0);
    assert.equal(plan.evaluate, 2 + below.length + tail.length);
    assert.deepEqual(plan.erase, [{ start: head.length, end: cached.length }]);
  });

  it('ignores matching runs shorter than the minimum chunk', () => {
    const cached = [...head, ...run(9000, 40), ...run(500, 20), ...run(9100, 40)];
    const prompt = [...head, ...run(500, 20), ...tail];
    const plan = planKvReuse(cached, prompt, 32);
    assert.equal(plan.reused, 0);
    assert.equal(plan.evaluate, 20 + tail.length);
    assert.equal(planKvReuse(cached, prompt, 16).reused, 20, 'kept once the minimum allows it');
  });

  it('keeps a whole prompt that the cache holds, and erases generated tokens after it', () => {
    const prompt = [...head, ...below];
    const cached = [...prompt, ...run(8000, 6)];
    const plan = planKvReuse(cached, prompt, 64);
    assert.equal(plan.commonPrefix, prompt.length);
    assert.equal(plan.evaluate, 0);
    assert.deepEqual(plan.erase, [{ start: prompt.length, end: cached.length }]);
    assert.deepEqual(planKvReuse([], prompt, 64), {
      commonPrefix: 0,
      erase: [],
      reused: 0,
      cachedAfter: 0,
      evaluate: prompt.length,
    });
  });
});
