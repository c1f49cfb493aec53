import assert from 'node:assert/strict';
import { ChunkSender, type SendQueue } from '../../daemon/chunk-sender';
import { ManualClock } from '../helpers/manual-clock';
import type { ChatChunkParams } from '../../shared/protocol';

/** A send queue the test congests and drains by hand. */
class ManualQueue implements SendQueue {
  congested = false;
  private waiters: (() => void)[] = [];
  whenWritable(): Promise<void> {
    if (!this.congested) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  drain(): void {
    this.congested = false;
    for (const w of this.waiters.splice(0)) w();
  }
}

function setup() {
  const queue = new ManualQueue();
  const clock = new ManualClock();
  const sent: ChatChunkParams[] = [];
  let onSent: (() => void) | undefined;
  const sender = new ChunkSender(
    queue,
    (p) => {
      sent.push(p);
      onSent?.();
    },
    16,
    clock,
  );
  const nextSend = () => new Promise<void>((resolve) => (onSent = resolve));
  return { queue, clock, sent, sender, nextSend };
}

describe('chunk sender', () => {
  it('sends the first chunk at once, and at most one per stream per frame: faster ones merged', () => {
    const { clock, sent, sender } = setup();
    sender.send({ streamId: 'a', delta: 'Hel', model: 'm' });
    sender.send({ streamId: 'a', delta: 'lo' });
    sender.send({ streamId: 'a', delta: ', w' });
    sender.send({ streamId: 'b', delta: 'other stream' });
    assert.deepEqual(sent, [
      { streamId: 'a', delta: 'Hel', model: 'm' },
      { streamId: 'b', delta: 'other stream' },
    ]);
    clock.advance(15);
    assert.equal(sent.length, 2, 'not before the frame ends');
    clock.advance(1);
    assert.deepEqual(sent.at(-1), { streamId: 'a', delta: 'lo, w' });
    // A chunk a frame or more after the last one goes out at once (a slow model loses nothing).
    clock.advance(40);
    sender.send({ streamId: 'a', delta: 'orld' });
    assert.deepEqual(sent.at(-1), { streamId: 'a', delta: 'orld' });
    assert.equal(clock.pending, 0);
  });

  it('end() sends what the stream holds before its answer, and forgets the stream', () => {
    const { clock, sent, sender } = setup();
    sender.send({ streamId: 'a', delta: 'one ' });
    sender.send({ streamId: 'a', delta: 'two' });
    sender.end('a');
    assert.deepEqual(
      sent.map((p) => p.delta),
      ['one ', 'two'],
    );
    assert.equal(clock.pending, 0, 'no timer left behind');
    // A new stream with the same id (a retry) starts fresh: its first chunk goes at once.
    sender.send({ streamId: 'a', delta: 'again' });
    assert.equal(sent.at(-1)?.delta, 'again');
  });

  it('holds chunks while congested, merged per stream in order, and sends them when the queue drains', async () => {
    const { queue, sent, sender, nextSend } = setup();
    queue.congested = true;
    sender.send({ streamId: 'a', delta: 'one ', model: 'm1' });
    sender.send({ streamId: 'b', delta: 'uno ', model: 'm2' });
    sender.send({ streamId: 'a', delta: 'two' });
    sender.send({ streamId: 'b', delta: 'dos' });
    assert.deepEqual(sent, []);
    const flushed = nextSend();
    queue.drain();
    await flushed;
    assert.deepEqual(sent, [
      { streamId: 'a', delta: 'one two', model: 'm1' },
      { streamId: 'b', delta: 'uno dos', model: 'm2' },
    ]);
  });

  it('keeps holding while earlier chunks are held, even once the queue is no longer congested', () => {
    const { queue, sent, sender } = setup();
    queue.congested = true;
    sender.send({ streamId: 'a', delta: 'x' });
    queue.congested = false;
    // The flush has not run yet: sending now would overtake the held chunk.
    sender.send({ streamId: 'a', delta: 'y' });
    assert.deepEqual(sent, []);
    sender.flush();
    assert.deepEqual(sent, [{ streamId: 'a', delta: 'xy' }]);
  });

  it('flush() sends what is held at once, so a final answer follows its chunks', () => {
    const { queue, sent, sender } = setup();
    queue.congested = true;
    sender.send({ streamId: 'a', delta: 'partial' });
    sender.flush();
    assert.deepEqual(sent, [{ streamId: 'a', delta: 'partial' }]);
    sender.flush();
    assert.equal(sent.length, 1, 'nothing held twice');
  });

  it('after close, drops what is held and sends nothing more', async () => {
    const { queue, sent, sender } = setup();
    queue.congested = true;
    sender.send({ streamId: 'a', delta: 'held' });
    sender.close();
    queue.drain();
    await queue.whenWritable();
    sender.flush();
    sender.send({ streamId: 'a', delta: 'late' });
    assert.deepEqual(sent, []);
  });
});
