// Streamed answer chunks for one connection: at most one gearbox/chatChunk per stream per frame
// (~16 ms; pieces that come faster are merged), and backpressure: while the client is not reading
// fast enough, chunks are held and merged per stream until its send queue drains, so a slow client
// costs at most the answer's text, not a frame per token. (The writer drops a client that stays
// congested too long.) Per chunk O(1): a string append, a map lookup, a timer armed once a frame.
import type { ChatChunkParams } from '../shared/protocol';
import { FRAME_MS, realClock, type Clock } from './frame-throttle';

/** The connection's send queue, as far as chunking needs it (WebSocketMessageWriter). */
export interface SendQueue {
  /** More than the high watermark is queued for the client. */
  readonly congested: boolean;
  /** Resolves once the queue is below the watermark again. */
  whenWritable(): Promise<void>;
}

export class ChunkSender {
  /** Held chunks, merged per stream, in the order their streams first held one. */
  private readonly held = new Map<string, ChatChunkParams>();
  /** When each live stream last sent a chunk (forgotten at its end). */
  private readonly lastSent = new Map<string, number>();
  private timer: unknown;
  private waitingForDrain = false;
  private closed = false;

  constructor(
    private readonly queue: SendQueue,
    private readonly deliver: (params: ChatChunkParams) => void,
    private readonly frameMs = FRAME_MS,
    private readonly clock: Clock = realClock,
  ) {}

  /** Sends the chunk now, or holds it (merged) until its frame ends or the client catches up. */
  send(params: ChatChunkParams): void {
    if (this.closed) return;
    const held = this.held.get(params.streamId);
    if (held) {
      held.delta += params.delta;
      return;
    }
    const now = this.clock.now();
    const last = this.lastSent.get(params.streamId);
    const frameOver = last === undefined || now - last >= this.frameMs;
    if (frameOver && !this.waitingForDrain && !this.queue.congested) {
      this.lastSent.set(params.streamId, now);
      this.deliver(params);
      return;
    }
    this.held.set(params.streamId, { ...params });
    this.schedule(frameOver ? 0 : last! + this.frameMs - now);
  }

  /** Sends every held chunk now (before a stream's final answer, whose order must follow them). */
  flush(): void {
    if (this.timer !== undefined) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.held.size === 0) return;
    const held = [...this.held.values()];
    this.held.clear();
    const now = this.clock.now();
    for (const p of held) {
      this.lastSent.set(p.streamId, now);
      this.deliver(p);
    }
  }

  /** The stream's answer is complete: send what it holds, and forget it. */
  end(streamId: string): void {
    this.flush();
    this.lastSent.delete(streamId);
  }

  /** The connection is gone: drop what is held and send nothing more. */
  close(): void {
    this.closed = true;
    this.held.clear();
    this.lastSent.clear();
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Held chunks go out when their frame ends, or once the client has caught up. */
  private schedule(waitMs: number): void {
    if (this.waitingForDrain) return;
    if (this.queue.congested) {
      this.waitingForDrain = true;
      if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
      this.timer = undefined;
      void this.queue.whenWritable().then(() => {
        this.waitingForDrain = false;
        if (!this.closed) this.flush();
      });
      return;
    }
    if (this.timer !== undefined) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      // Still congested when the frame ends: wait for the client instead.
      if (this.queue.congested) this.schedule(0);
      else this.flush();
    }, waitMs);
  }
}
