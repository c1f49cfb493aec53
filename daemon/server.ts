// The daemon's network face: an HTTP server on loopback whose only job is authenticated
// WebSocket upgrades, each becoming one LSP session.
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { checkRequest } from './auth';
import { DEFAULT_SERVER_LIMITS, type ServerLimits } from './config';
import type { NotificationMethod, ParamsOf } from '../shared/protocol';
import { HttpApi, type HttpApiOptions, isApiPath } from './http-api/http-api';
import { LogThrottle } from './log-throttle';
import { clip, type Logger } from './log';
import { Session, type SessionHost } from './session';

export const MAX_PAYLOAD_BYTES = 1024 * 1024;

/** 127.0.0.0/8, ::1 (also as ::ffff:127.x) and localhost: the only binds allowed without TLS. */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost') return true;
  if (net.isIPv4(h)) return h.startsWith('127.');
  if (net.isIPv6(h)) {
    if (h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    return !!mapped && mapped[1]!.startsWith('127.');
  }
  return false;
}

export interface ServerOptions {
  host?: string;
  port?: number;
  /** Serve HTTPS/wss (required for a non-loopback host). */
  tls?: { cert: Buffer | string; key: Buffer | string };
  token: string;
  logger: Logger;
  limits?: Partial<ServerLimits>;
  sessionHost: Omit<SessionHost, 'port' | 'clientCount'>;
  /** Called with the client count whenever a client connects or leaves. */
  onClientsChanged?: (count: number) => void;
  /** Serve the OpenAI/Anthropic-compatible HTTP API under /v1 (with its own API keys). */
  api?: Omit<HttpApiOptions, 'limits' | 'logger' | 'port' | 'bindHost'>;
}

export class DaemonServer {
  private readonly http: http.Server;
  private readonly wss: WebSocketServer;
  readonly sessions = new Set<Session>();
  private boundPort = 0;
  private readonly limits: ServerLimits;
  private heartbeat?: NodeJS.Timeout;
  /** Sockets that have not answered the last ping. */
  private readonly awaitingPong = new WeakSet<WebSocket>();
  /** Anyone can knock without a token: refusals are logged once per interval, with a count. */
  private readonly refusals: LogThrottle;
  private readonly overCap: LogThrottle;
  private readonly api: HttpApi | undefined;

  constructor(private readonly opts: ServerOptions) {
    this.limits = { ...DEFAULT_SERVER_LIMITS, ...opts.limits };
    const interval = this.limits.refusalLogIntervalMs;
    this.refusals = new LogThrottle(interval, (count) =>
      opts.logger.warn('more connections refused (not logged one by one)', { count, intervalMs: interval }),
    );
    this.overCap = new LogThrottle(interval, (count) =>
      opts.logger.warn('more connections refused over the cap', { count, maxConnections: this.limits.maxConnections }),
    );
    this.api = opts.api
      ? new HttpApi({
          ...opts.api,
          limits: this.limits,
          logger: opts.logger,
          port: () => this.boundPort,
          bindHost: opts.host,
        })
      : undefined;
    const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
      // The API's own checks: the same Host and Origin rules, then its API key instead of the token.
      if (this.api && isApiPath(req.url)) return this.api.handle(req, res);
      const verdict = this.check(req);
      // No CORS headers at all (no Access-Control-Allow-Origin, never Allow-Private-Network):
      // browsers must not be able to read anything from here, preflights included.
      if (!verdict.ok) {
        res
          .writeHead(verdict.status, { 'content-type': 'text/plain', connection: 'close' })
          .end(verdict.status === 401 ? 'Unauthorized\n' : 'Forbidden\n');
        return;
      }
      res
        .writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' })
        .end('Gearbox speaks LSP over WebSocket only\n');
    };
    // requireHostHeader off: a request without Host must reach checkRequest and get its 403.
    const serverOpts = { requireHostHeader: false } as http.ServerOptions;
    this.http = opts.tls
      ? https.createServer({ ...serverOpts, cert: opts.tls.cert, key: opts.tls.key }, onRequest)
      : http.createServer(serverOpts, onRequest);
    this.wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: MAX_PAYLOAD_BYTES });
    this.http.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.http.on('clientError', (_err, socket) => socket.destroy());
  }

  async listen(): Promise<number> {
    const host = this.opts.host ?? '127.0.0.1';
    if (!isLoopbackHost(host) && !this.opts.tls)
      throw new Error(`Refusing to listen on non-loopback address "${host}" without TLS`);
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
    this.heartbeat = setInterval(() => this.beat(), this.limits.heartbeatMs);
    this.heartbeat.unref();
    return addr.port;
  }

  get port(): number {
    return this.boundPort;
  }

  /** Pings every client; one that did not answer the previous ping is dead (or wedged): drop it. */
  private beat(): void {
    for (const ws of this.wss.clients) {
      if (this.awaitingPong.has(ws)) {
        this.opts.logger.warn('client missed a heartbeat; dropping it', {
          conn: sessionIdOf(ws),
          heartbeatMs: this.limits.heartbeatMs,
        });
        ws.terminate();
        continue;
      }
      this.awaitingPong.add(ws);
      try {
        ws.ping();
      } catch {
        ws.terminate();
      }
    }
  }

  private check(req: http.IncomingMessage) {
    return checkRequest(req, { port: this.boundPort, token: this.opts.token, bindHost: this.opts.host });
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    const verdict = this.check(req);
    if (!verdict.ok) {
      this.refusals.hit(() =>
        this.opts.logger.warn('connection refused', {
          status: verdict.status,
          reason: verdict.reason,
          ...(verdict.value === undefined ? {} : { value: clip(verdict.value) }),
          remote: req.socket.remoteAddress,
        }),
      );
      return refuseUpgrade(socket, verdict.status, verdict.status === 401 ? 'Unauthorized' : 'Forbidden');
    }
    const max = this.limits.maxConnections;
    if (this.sessions.size >= max) {
      this.overCap.hit(() =>
        this.opts.logger.warn('connection refused: too many connections', { maxConnections: max }),
      );
      return refuseUpgrade(
        socket,
        503,
        'Service Unavailable',
        `too many connections: this daemon serves ${max} at once`,
      );
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws));
  }

  private onConnection(ws: WebSocket): void {
    ws.on('pong', () => this.awaitingPong.delete(ws));
    const session = new Session(
      ws,
      {
        ...this.opts.sessionHost,
        port: () => this.boundPort,
        clientCount: () => this.sessions.size,
        limits: this.limits,
      },
      () => {
        this.sessions.delete(session);
        this.opts.onClientsChanged?.(this.sessions.size);
      },
    );
    sessionIds.set(ws, session.id);
    this.sessions.add(session);
    this.opts.logger.info('client connected', { conn: session.id, clients: this.sessions.size });
    this.opts.onClientsChanged?.(this.sessions.size);
  }

  /** A notification to every connected client (model downloads, config problems, catalog changes). */
  broadcast<M extends NotificationMethod>(method: M, params: ParamsOf<M>): void {
    for (const session of this.sessions) session.notify(method, params);
  }

  /** Closes every socket with 1001 (going away) and stops listening. */
  async close(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.refusals.flush();
    this.overCap.flush();
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

/** Answers an upgrade with an HTTP error and closes; `why` is the body (the status text by default). */
function refuseUpgrade(socket: Duplex, status: number, statusText: string, why = statusText): void {
  const body = `${why}\n`;
  const head = [
    `HTTP/1.1 ${status} ${statusText}`,
    'Connection: close',
    'Content-Type: text/plain',
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
}

const sessionIds = new WeakMap<WebSocket, string>();
function sessionIdOf(ws: WebSocket): string | undefined {
  return sessionIds.get(ws);
}
