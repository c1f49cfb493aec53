// The daemon's network face: an HTTP server on loopback whose only job is authenticated
// WebSocket upgrades, each becoming one LSP session.
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { checkRequest } from './auth';
import type { Logger } from './log';
import { Session, type SessionHost } from './session';

export const MAX_PAYLOAD_BYTES = 1024 * 1024;

export interface ServerOptions {
  host?: string;
  port?: number;
  token: string;
  logger: Logger;
  sessionHost: Omit<SessionHost, 'port' | 'clientCount'>;
  /** Called with the client count whenever a client connects or leaves. */
  onClientsChanged?: (count: number) => void;
}

export class DaemonServer {
  private readonly http: http.Server;
  private readonly wss: WebSocketServer;
  readonly sessions = new Set<Session>();
  private boundPort = 0;

  constructor(private readonly opts: ServerOptions) {
    this.http = http.createServer((req, res) => {
      const verdict = checkRequest(req, this.boundPort, opts.token);
      // No CORS headers at all: browsers must not be able to read anything from here.
      if (!verdict.ok) {
        res.writeHead(verdict.status, { 'content-type': 'text/plain' }).end(verdict.status === 401 ? 'Unauthorized\n' : 'Forbidden\n');
        return;
      }
      res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' }).end('Gearbox speaks LSP over WebSocket only\n');
    });
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_PAYLOAD_BYTES });
    this.http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.http.on('clientError', (_err, socket) => socket.destroy());
  }

  async listen(): Promise<number> {
    const host = this.opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.opts.port ?? 0, host, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    const addr = this.http.address();
    if (!addr || typeof addr === 'string') throw new Error('server has no address');
    this.boundPort = addr.port;
    return addr.port;
  }

  get port(): number {
    return this.boundPort;
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const verdict = checkRequest(req, this.boundPort, this.opts.token);
    if (!verdict.ok) {
      this.opts.logger.warn('connection refused', { status: verdict.status, reason: verdict.reason, remote: req.socket.remoteAddress });
      const text = verdict.status === 401 ? 'Unauthorized' : 'Forbidden';
      socket.end(`HTTP/1.1 ${verdict.status} ${text}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${text.length + 1}\r\n\r\n${text}\n`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws));
  }

  private onConnection(ws: WebSocket): void {
    const session = new Session(
      ws,
      { ...this.opts.sessionHost, port: () => this.boundPort, clientCount: () => this.sessions.size },
      () => {
        this.sessions.delete(session);
        this.opts.onClientsChanged?.(this.sessions.size);
      },
    );
    this.sessions.add(session);
    this.opts.logger.info('client connected', { conn: session.id, clients: this.sessions.size });
    this.opts.onClientsChanged?.(this.sessions.size);
  }

  /** Closes every socket with 1001 (going away) and stops listening. */
  async close(): Promise<void> {
    for (const ws of this.wss.clients) ws.close(1001, 'daemon shutting down');
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        for (const ws of this.wss.clients) ws.terminate();
      }, 1000);
      force.unref();
      this.wss.close(() => {
        clearTimeout(force);
        resolve();
      });
    });
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.http.closeAllConnections();
    await closed;
  }
}
