// One HTTP API response: a JSON body, or a server-sent-event stream whose headers wait for the
// first event (they name the model that answers, known only once it starts). A client that reads
// slower than the model writes is given `stuckMs` above the high watermark, then cut off, as on the
// WebSocket. No CORS header is ever set: browsers must not read anything from the daemon.
import type http from 'node:http';

export interface ApiResponseLimits {
  highWaterBytes: number;
  stuckMs: number;
  onStuck: (bufferedBytes: number) => void;
}

const BASE_HEADERS = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' };

export class ApiResponse {
  private stuckTimer: NodeJS.Timeout | undefined;
  private streaming = false;
  private corked = false;

  constructor(
    private readonly res: http.ServerResponse,
    private readonly limits: ApiResponseLimits,
  ) {
    res.on('drain', () => this.clearStuck());
    res.on('close', () => this.clearStuck());
  }

  get headersSent(): boolean {
    return this.res.headersSent;
  }

  get isStreaming(): boolean {
    return this.streaming;
  }

  /** The client went away before the response ended. */
  get hungUp(): boolean {
    return this.res.destroyed && !this.res.writableFinished;
  }

  json(status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (this.res.destroyed) return;
    const text = JSON.stringify(body);
    this.res
      .writeHead(status, {
        ...BASE_HEADERS,
        ...headers,
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(Buffer.byteLength(text)),
      })
      .end(text);
  }

  /** Sends the stream's headers; events may follow. */
  startStream(headers: Record<string, string> = {}): void {
    if (this.streaming || this.res.destroyed) return;
    this.streaming = true;
    this.res.writeHead(200, {
      ...BASE_HEADERS,
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      connection: 'keep-alive',
    });
    // Headers go out now, not with the first event: a client waits on them to start reading.
    this.res.flushHeaders();
  }

  /** One SSE event: `data:` JSON (or raw text such as OpenAI's [DONE]), with an `event:` name when given. */
  event(data: unknown, name?: string): void {
    if (!this.streaming || this.res.destroyed) return;
    const payload = typeof data === 'string' ? data : JSON.stringify(data);
    // Events written in the same tick (an answer's last chunks, its usage, [DONE]) leave in one packet.
    if (!this.corked) {
      this.corked = true;
      this.res.cork();
      process.nextTick(() => {
        this.corked = false;
        this.res.uncork();
      });
    }
    const ok = this.res.write(`${name ? `event: ${name}\n` : ''}data: ${payload}\n\n`);
    if (!ok && this.res.writableLength > this.limits.highWaterBytes) this.armStuck();
  }

  end(): void {
    this.clearStuck();
    if (!this.res.destroyed) this.res.end();
  }

  private armStuck(): void {
    if (this.stuckTimer) return;
    this.stuckTimer = setTimeout(() => {
      this.limits.onStuck(this.res.writableLength);
      this.res.destroy();
    }, this.limits.stuckMs);
    this.stuckTimer.unref();
  }

  private clearStuck(): void {
    if (this.stuckTimer) clearTimeout(this.stuckTimer);
    this.stuckTimer = undefined;
  }
}
