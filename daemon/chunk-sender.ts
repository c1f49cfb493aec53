// Streamed answer chunks for one connection, with backpressure: while the client is not reading
// fast enough, chunks are held and merged per stream until its send queue drains, so a slow client
// costs at most the answer's text, not a frame per token. (The writer drops a client that stays
// congested too long.)
import type { ChatChunkParams } from '../shared/protocol';

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
  private flushScheduled = false;
  private closed = false;

  constructor(
    private readonly queue: SendQueue,
    private readonly deliver: (params: ChatChunkParams) => void,
  ) {}

  /** Sends the chunk now, or holds it while the client is congested or earlier chunks are held. */
  send(params: ChatChunkParams): void {
    if (this.closed) return;
    if (this.held.size === 0 && !this.queue.congested) return this.deliver(params);
    const held = this.held.get(params.streamId);
    if (held) held.delta += params.delta;
    else this.held.set(params.streamId, { ...params });
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    void this.queue.whenWritable().then(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  /** Sends the held chunks now (before a stream's final answer, whose order must follow them). */
  flush(): void {
    if (this.held.size === 0) return;
    const held = [...this.held.values()];
    this.held.clear();
    for (const p of held) this.deliver(p);
  }

  /** The connection is gone: drop what is held and send nothing more. */
  close(): void {
    this.closed = true;
    this.held.clear();
  }
}
