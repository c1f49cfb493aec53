// Streamed text at most once per frame: what the model host sends the daemon for each request.
import assert from 'node:assert/strict';
import { FrameThrottle } from '../../daemon/frame-throttle';
import { ManualClock } from '../helpers/manual-clock';

describe('frame throttle', () => {
  it('sends the first piece at once, joins faster ones until the frame ends, loses nothing', () => {
    const clock = new ManualClock();
    const sent: string[] = [];
    const t = new FrameThrottle((text) => sent.push(text), 16, clock);
    t.push('Once');
    for (const w of [' upon', ' a', ' time']) {
      clock.advance(4); // a token every 4 ms
      t.push(w);
    }
    assert.deepEqual(sent, ['Once'], 'one message for the first frame');
    clock.advance(4);
    assert.deepEqual(sent, ['Once', ' upon a time']);
    // A slow model (a token every 50 ms): each token goes out as it comes.
    clock.advance(50);
    t.push(',');
    clock.advance(50);
    t.push(' there');
    assert.deepEqual(sent, ['Once', ' upon a time', ',', ' there']);
    t.push(' was');
    t.flush();
    assert.deepEqual(sent.join(''), 'Once upon a time, there was');
    assert.equal(clock.pending, 0, 'flush leaves no timer behind');
    t.push('');
    t.flush();
    assert.equal(sent.length, 5, 'nothing to send, nothing sent');
  });
});
