// JSON-RPC over WebSocket: one JSON-RPC message per text frame (no Content-Length headers),
// the convention of monaco's vscode-ws-jsonrpc. Used by the daemon, the CLI and the extension.
import type WebSocket from 'ws';
import {
  AbstractMessageReader,
  AbstractMessageWriter,
  type DataCallback,
  type Disposable,
  type Message,
  type MessageReader,
  type MessageWriter,
} from 'vscode-jsonrpc';
import { ErrorCodes } from './protocol';

const utf8 = new TextDecoder('utf-8', { fatal: true });

function frameToText(data: WebSocket.RawData): string {
  if (typeof data === 'string') return data;
  const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
  return utf8.decode(buf);
}

/** Sends a JSON-RPC error that has no request id to answer (parse errors, invalid envelopes). */
function sendEnvelopeError(socket: WebSocket, code: number, message: string, id: string | number | null = null): void {
  if (socket.readyState !== socket.OPEN) return;
  socket.send(JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } }));
}

function isEnvelope(value: unknown): value is Message {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  if (v.jsonrpc !== '2.0') return false;
  if ('method' in v) {
    if (typeof v.method !== 'string') return false;
    if ('id' in v && v.id !== null && typeof v.id !== 'string' && typeof v.id !== 'number') return false;
    if ('params' in v && v.params !== undefined && (typeof v.params !== 'object' || v.params === null)) return false;
    return true;
  }
  return 'id' in v && ('result' in v || 'error' in v);
}

/** JSON nested deeper than this is refused before JSON.parse (LSP messages stay far below it). */
export const MAX_JSON_DEPTH = 128;

/**
 * The deepest nesting of arrays/objects in a JSON text, stopping as soon as it passes `limit`.
 * Linear, iterative and allocation-free, so a hostile frame cannot blow the stack of any
 * recursive consumer (JSON.parse, JSON.stringify, zod, loggers) after it.
 */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped char
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return false;
}

/** Index of the quote that closes the JSON string opening at `start`, or -1. */
function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i;
  }
  return -1;
}

/** Past JSON whitespace (space, tab, CR, LF) from `i`. */
function skipSpace(text: string, i: number): number {
  while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  return i;
}

function parseString(literal: string): string | undefined {
  try {
    return JSON.parse(literal) as string;
  } catch {
    return undefined;
  }
}

const JSON_NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * The `id` member (string or number) of a top-level JSON object, read without parsing the whole
 * text: a frame too deep to parse still gets its error on its own id. Linear, like jsonDepthExceeds;
 * the last "id" wins, as with JSON.parse. Null where there is none or the text is not an object.
 */
export function peekTopLevelId(text: string): string | number | null {
  let id: string | number | null = null;
  let depth = 0;
  if (text[skipSpace(text, 0)] !== '{') return null;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) depth--;
    else if (c === 0x22) {
      const end = stringEnd(text, i);
      if (end < 0) return id;
      const colon = skipSpace(text, end + 1);
      // "\u0069\u0064" is the longest spelling of "id".
      if (depth === 1 && text[colon] === ':' && end - i <= 13 && parseString(text.slice(i, end + 1)) === 'id') {
        const v = skipSpace(text, colon + 1);
        const vEnd = text[v] === '"' ? stringEnd(text, v) : -1;
        JSON_NUMBER.lastIndex = v;
        const num = vEnd < 0 ? JSON_NUMBER.exec(text) : null;
        if (vEnd >= 0) id = parseString(text.slice(v, vEnd + 1)) ?? null;
        else id = num ? Number(num[0]) : null;
      }
      i = end;
    }
  }
  return id;
}

/** A token bucket: `burst` requests at once, refilled at `perSecond`. */
export class TokenBucket {
  private tokens: number;
  private last = performance.now();
  constructor(
    readonly perSecond: number,
    readonly burst: number,
  ) {
    this.tokens = burst;
  }
  take(): boolean {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export interface ReaderOptions {
  /** Per-connection limit on requests (messages with an id and a method); excess ones get an error. */
  rateLimit?: { perSecond: number; burst: number; errorCode: number };
}

export class WebSocketMessageReader extends AbstractMessageReader implements MessageReader {
  private callback: DataCallback | undefined;
  private readonly queue: Message[] = [];
  private readonly bucket: TokenBucket | undefined;

  constructor(
    private readonly socket: WebSocket,
    private readonly onBadFrame?: (reason: string) => void,
    private readonly opts: ReaderOptions = {},
  ) {
    super();
    if (opts.rateLimit) this.bucket = new TokenBucket(opts.rateLimit.perSecond, opts.rateLimit.burst);
    socket.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    socket.on('error', (err) => this.fireError(err));
    socket.on('close', () => this.fireClose());
  }

  listen(callback: DataCallback): Disposable {
    this.callback = callback;
    while (this.queue.length > 0) callback(this.queue.shift()!);
    return { dispose: () => (this.callback = undefined) };
  }

  private onFrame(data: WebSocket.RawData, _isBinary: boolean): void {
    let text: string;
    try {
      text = frameToText(data);
    } catch {
      this.onBadFrame?.('invalid UTF-8');
      return sendEnvelopeError(this.socket, ErrorCodes.ParseError, 'Parse error: frame is not valid UTF-8');
    }
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
      this.onBadFrame?.('nesting too deep');
      return sendEnvelopeError(
        this.socket,
        ErrorCodes.InvalidRequest,
        `Invalid Request: JSON nested deeper than ${MAX_JSON_DEPTH} levels`,
        peekTopLevelId(text),
      );
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      this.onBadFrame?.('malformed JSON');
      return sendEnvelopeError(this.socket, ErrorCodes.ParseError, `Parse error: ${(err as Error).message}`);
    }
    if (Array.isArray(value)) {
      // JSON-RPC batches are not part of LSP.
      this.onBadFrame?.('batch');
      return sendEnvelopeError(this.socket, ErrorCodes.InvalidRequest, 'Invalid Request: batches are not supported');
    }
    if (!isEnvelope(value)) {
      this.onBadFrame?.('invalid envelope');
      const id = (value as { id?: unknown } | null)?.id;
      return sendEnvelopeError(
        this.socket,
        ErrorCodes.InvalidRequest,
        'Invalid Request: expected a JSON-RPC 2.0 request, notification or response object',
        typeof id === 'string' || typeof id === 'number' ? id : null,
      );
    }
    const v = value as { id?: unknown; method?: unknown };
    if (this.bucket && typeof v.method === 'string' && v.id !== undefined && v.id !== null && !this.bucket.take()) {
      this.onBadFrame?.('rate limited');
      return sendEnvelopeError(
        this.socket,
        this.opts.rateLimit!.errorCode,
        `Too many requests: this connection is limited to ${this.bucket.perSecond} requests/s ` +
          `(bursts of ${this.bucket.burst}); ${v.method} was not run, retry later`,
        v.id as string | number,
      );
    }
    if (this.callback) this.callback(value);
    else this.queue.push(value);
  }
}

export interface BackpressureOptions {
  /** Bytes queued for the peer (ws.bufferedAmount) above which the connection counts as congested. */
  highWaterBytes: number;
  /** Congested for this long: the peer is not reading, drop it (close 1013). */
  stuckMs: number;
  /** Told before the peer is dropped. */
  onStuck?: (bufferedBytes: number) => void;
}

export class WebSocketMessageWriter extends AbstractMessageWriter implements MessageWriter {
  private errorCount = 0;
  private congestedSince: number | undefined;
  private poll: NodeJS.Timeout | undefined;
  private drainWaiters: (() => void)[] = [];

  constructor(
    private readonly socket: WebSocket,
    private readonly backpressure?: BackpressureOptions,
  ) {
    super();
    socket.on('close', () => {
      this.stopPolling();
      for (const wake of this.drainWaiters.splice(0)) wake();
      this.fireClose();
    });
  }

  /** True while more than the high watermark is queued for the peer (it reads slower than we write). */
  get congested(): boolean {
    return this.watchIfCongested();
  }

  /** Whether more than the high watermark is queued; if so, the watch (drain or drop) is running. */
  private watchIfCongested(): boolean {
    if (!this.backpressure || this.socket.readyState !== this.socket.OPEN) return false;
    const over = this.socket.bufferedAmount > this.backpressure.highWaterBytes;
    if (over) this.watch();
    return over;
  }

  /** Resolves once the queue is back under half the high watermark (or the socket closed). */
  whenWritable(): Promise<void> {
    if (!this.congested) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** While congested: poll the queue, wake writers when it drains, drop the peer when stuck. */
  private watch(): void {
    if (this.poll || !this.backpressure) return;
    const bp = this.backpressure;
    this.congestedSince = Date.now();
    this.poll = setInterval(
      () => {
        if (this.socket.readyState !== this.socket.OPEN) return this.stopPolling();
        const buffered = this.socket.bufferedAmount;
        if (buffered <= bp.highWaterBytes / 2) {
          this.stopPolling();
          for (const wake of this.drainWaiters.splice(0)) wake();
          return;
        }
        if (buffered > bp.highWaterBytes && Date.now() - this.congestedSince! > bp.stuckMs) {
          this.stopPolling();
          bp.onStuck?.(buffered);
          // The close frame sits behind the unread data; don't wait for a handshake that cannot happen.
          this.socket.close(1013, 'client too slow: send buffer full');
          setTimeout(() => this.socket.terminate(), 200).unref();
        } else if (buffered <= bp.highWaterBytes) {
          // between the watermarks: still draining, keep the stuck clock from the last time it was over
          this.congestedSince = Date.now();
        }
      },
      Math.max(5, Math.min(50, bp.stuckMs / 4)),
    );
    this.poll.unref?.();
  }

  private stopPolling(): void {
    if (this.poll) clearInterval(this.poll);
    this.poll = undefined;
    this.congestedSince = undefined;
  }

  write(msg: Message): Promise<void> {
    if (this.socket.readyState !== this.socket.OPEN) {
      // Late responses after a disconnect are expected (cancelled work finishing): drop them quietly.
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      this.socket.send(JSON.stringify(msg), (err) => {
        if (err) {
          this.errorCount++;
          this.fireError(err, msg, this.errorCount);
          reject(err);
        } else {
          this.errorCount = 0;
          resolve();
        }
      });
      // A write that leaves the queue over the watermark starts the watch itself: the last write
      // of an answer (merged chunks, then the result) may be the one a peer that stopped reading
      // never takes, with nothing left to send that would ask whether the queue is congested.
      this.watchIfCongested();
    });
  }

  end(): void {}
}
