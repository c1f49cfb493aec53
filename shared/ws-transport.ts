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

export class WebSocketMessageReader extends AbstractMessageReader implements MessageReader {
  private callback: DataCallback | undefined;
  private readonly queue: Message[] = [];

  constructor(
    private readonly socket: WebSocket,
    private readonly onBadFrame?: (reason: string) => void,
  ) {
    super();
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
    if (this.callback) this.callback(value);
    else this.queue.push(value);
  }
}

export class WebSocketMessageWriter extends AbstractMessageWriter implements MessageWriter {
  private errorCount = 0;

  constructor(private readonly socket: WebSocket) {
    super();
    socket.on('close', () => this.fireClose());
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
    });
  }

  end(): void {}
}
