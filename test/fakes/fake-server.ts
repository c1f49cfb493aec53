// Shared machinery of the fake provider servers: a node:http server on 127.0.0.1 that records
// requests, plays a script per request (stream, HTTP error, cut, stall, hang) in the wire format
// a WireFormat supplies, and reports clients that hang up before the end.
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { resolve as resolvePath } from 'node:path';

/** A tool call a fake answer makes; `arguments` is JSON text. */
export interface FakeToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface FakeUsage {
  inputTokens: number;
  outputTokens: number;
}

export type Script =
  | {
      kind: 'reply';
      /** Whole answer; split into word chunks unless `chunks` is given. */
      text?: string;
      chunks?: string[];
      /** Pause before each text chunk. Default 0 (chunks still go out as separate writes). */
      delayMs?: number;
      /** Reported usage; `null` sends none. Default: input chars/4 and one token per chunk. */
      usage?: FakeUsage | null;
      /** Destroy the socket after this many text chunks (a connection drop mid-answer). */
      cutAfter?: number;
      /** Stop sending, socket open, after this many text chunks (a stalled stream). */
      stallAfter?: number;
      /** Tool calls the answer makes after its text (each in the provider's own wire form). */
      toolCalls?: FakeToolCall[];
      /** Hold the stream after `after` text chunks until `until` resolves (to look at a half-streamed answer). */
      hold?: { after: number; until: Promise<unknown> };
    }
  | {
      kind: 'error';
      status: number;
      message?: string;
      /** `Retry-After` header value (seconds or HTTP date). */
      retryAfter?: string;
      /** `retry-after-ms` header value (OpenAI). */
      retryAfterMs?: string;
      headers?: Record<string, string>;
    }
  /** Accept the request and never answer, not even headers. */
  | { kind: 'hang' };

export type ErrorScript = Extract<Script, { kind: 'error' }>;

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: any;
  rawBody: string;
  /** performance.now() when the body was fully received. */
  receivedAt: number;
}

export interface AbortRecord {
  request: RecordedRequest;
  /** performance.now() when the server saw the connection close. */
  at: number;
  /** Text chunks written before the close. */
  chunksSent: number;
}

export interface ParsedRoute {
  model: string;
}

/** What differs between providers: routes, auth, error bodies and SSE frames. */
export interface WireFormat {
  name: string;
  /** Path prefix a client's baseUrl must include (e.g. "/v1" for OpenAI). */
  basePath: string;
  route(method: string, path: string, query: Record<string, string>): ParsedRoute | undefined;
  /** The key the client presented, or undefined. */
  presentedKey(req: RecordedRequest): string | undefined;
  /** Response for a missing or wrong key. */
  authError(presented: string | undefined): { status: number; body: unknown };
  /** The provider's error JSON; `script` lets a format put retry hints in the body (Gemini's RetryInfo). */
  errorBody(status: number, message: string | undefined, script?: ErrorScript): unknown;
  /** Request problems the real API rejects with 400 (e.g. missing max_tokens). */
  validate?(req: RecordedRequest): string | undefined;
  lastUserText(body: any): string;
  inputChars(body: any): number;
  frames(ctx: FrameContext): StreamFrames;
  /** SSE event terminator the real server uses. */
  eol?: string;
}

export interface FrameContext {
  model: string;
  body: any;
  usage: FakeUsage | null;
  chunkCount: number;
  id: string;
  /** Tool calls to send after the text (empty: none). */
  toolCalls: FakeToolCall[];
}

export interface StreamFrames {
  head: string[];
  chunk(text: string, index: number, last: boolean): string;
  tail: string[];
}

export interface FakeServerOptions {
  /** The key clients must present; undefined accepts any key (or none). */
  apiKey?: string;
  /** Script for requests with nothing queued. Default: a short answer naming the last user message. */
  reply?: (body: any, req: RecordedRequest) => Script;
  port?: number;
  /** Default pause before each text chunk when a script gives none. */
  delayMs?: number;
}

export interface FakeServer {
  /** Base URL to put in ProviderConfig.baseUrl. */
  url: string;
  port: number;
  requests: RecordedRequest[];
  aborts: AbortRecord[];
  /** 'request' (RecordedRequest), 'chunk' (RecordedRequest, chunks sent so far), 'abort' (AbortRecord). */
  events: EventEmitter;
  /** Scripts for the next requests, in order; after them `reply` (or the default) applies. */
  enqueue(...scripts: Script[]): void;
  setScript(reply: ((body: any, req: RecordedRequest) => Script) | undefined): void;
  /** Resolves when the server has received at least `count` requests. */
  waitForRequests(count: number): Promise<RecordedRequest>;
  /** Resolves when at least `count` clients have hung up mid-response. */
  waitForAborts(count: number): Promise<AbortRecord>;
  /** Resolves on the next client hang-up after this call. */
  nextAbort(): Promise<AbortRecord>;
  close(): Promise<void>;
}

/** Splits text into word-sized chunks, keeping the spaces, so joining them gives the text back. */
export function wordChunks(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? (text ? [text] : []);
}

export function defaultAnswer(provider: string, lastUser: string): string {
  const gist = lastUser.replace(/\s+/g, ' ').trim().slice(0, 80);
  return `Fake ${provider} answer to "${gist}".`;
}

export async function startFakeServer(format: WireFormat, opts: FakeServerOptions = {}): Promise<FakeServer> {
  const requests: RecordedRequest[] = [];
  const aborts: AbortRecord[] = [];
  const events = new EventEmitter();
  const queue: Script[] = [];
  let reply = opts.reply;
  let closing = false;
  let seq = 0;
  const eol = format.eol ?? '\n\n';

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      let body: any;
      try {
        body = rawBody ? JSON.parse(rawBody) : undefined;
      } catch {
        body = undefined;
      }
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body,
        rawBody,
        receivedAt: performance.now(),
      };
      requests.push(rec);
      events.emit('request', rec);
      void handle(rec, res).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, format.errorBody(500, `fake server bug: ${String(err)}`));
        else res.destroy();
      });
    });
  });

  const sendJson = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  };

  const handle = async (rec: RecordedRequest, res: http.ServerResponse): Promise<void> => {
    const route = format.route(rec.method, rec.path, rec.query);
    if (!route) return sendJson(res, 404, format.errorBody(404, `No route for ${rec.method} ${rec.path}`));
    if (opts.apiKey !== undefined) {
      const presented = format.presentedKey(rec);
      if (presented !== opts.apiKey) {
        const { status, body } = format.authError(presented);
        return sendJson(res, status, body);
      }
    }
    if (rec.body === undefined) return sendJson(res, 400, format.errorBody(400, 'Request body is not valid JSON'));
    const invalid = format.validate?.(rec);
    if (invalid) return sendJson(res, 400, format.errorBody(400, invalid));

    const script = queue.shift() ?? reply?.(rec.body, rec) ?? { kind: 'reply' };
    if (script.kind === 'hang') {
      watchAbort(rec, res, () => 0);
      return;
    }
    if (script.kind === 'error') {
      const headers: Record<string, string> = { ...script.headers };
      if (script.retryAfter !== undefined) headers['retry-after'] = script.retryAfter;
      if (script.retryAfterMs !== undefined) headers['retry-after-ms'] = script.retryAfterMs;
      const body = format.errorBody(script.status, script.message, script);
      return sendJson(res, script.status, body, headers);
    }

    const text =
      script.text ?? (script.toolCalls?.length ? '' : defaultAnswer(format.name, format.lastUserText(rec.body)));
    const pieces = script.chunks ?? wordChunks(text);
    const usage =
      script.usage === null
        ? null
        : (script.usage ?? { inputTokens: Math.ceil(format.inputChars(rec.body) / 4), outputTokens: pieces.length });
    const frames = format.frames({
      model: route.model,
      body: rec.body,
      usage,
      chunkCount: pieces.length,
      id: `fake-${++seq}`,
      toolCalls: script.toolCalls ?? [],
    });

    let sent = 0;
    let cutByUs = false;
    watchAbort(
      rec,
      res,
      () => sent,
      () => cutByUs,
    );
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    // Resolves once the frame is handed to the kernel, so a cut that follows cannot drop it.
    const write = (frame: string) =>
      new Promise<void>((resolve) => {
        if (res.destroyed) return resolve();
        res.write(frame + eol, () => resolve());
      });
    const cut = () => {
      cutByUs = true;
      res.socket?.destroy();
    };
    for (const frame of frames.head) await write(frame);
    for (let i = 0; i < pieces.length; i++) {
      if (script.cutAfter !== undefined && sent >= script.cutAfter) return cut();
      if (script.stallAfter !== undefined && sent >= script.stallAfter) return;
      if (script.hold && sent === script.hold.after) await script.hold.until;
      await pause(script.delayMs ?? opts.delayMs ?? 0);
      if (res.destroyed) return;
      await write(frames.chunk(pieces[i] ?? '', i, i === pieces.length - 1));
      sent++;
      events.emit('chunk', rec, sent);
    }
    if (script.cutAfter !== undefined && sent >= script.cutAfter) return cut();
    if (script.stallAfter !== undefined && sent >= script.stallAfter) return;
    for (const frame of frames.tail) await write(frame);
    res.end();
  };

  const watchAbort = (
    rec: RecordedRequest,
    res: http.ServerResponse,
    chunksSent: () => number,
    ours: () => boolean = () => false,
  ) => {
    res.on('close', () => {
      if (res.writableFinished || closing || ours()) return;
      const record: AbortRecord = { request: rec, at: performance.now(), chunksSent: chunksSent() };
      aborts.push(record);
      events.emit('abort', record);
    });
  };

  const waitForCount = <T>(list: T[], event: string, count: number): Promise<T> =>
    new Promise((resolve) => {
      if (list.length >= count) return resolve(list[count - 1] as T);
      const on = () => {
        if (list.length >= count) {
          events.off(event, on);
          resolve(list[count - 1] as T);
        }
      };
      events.on(event, on);
    });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}${format.basePath}`,
    port,
    requests,
    aborts,
    events,
    enqueue: (...scripts) => void queue.push(...scripts),
    setScript: (fn) => void (reply = fn),
    waitForRequests: (count) => waitForCount(requests, 'request', count),
    waitForAborts: (count) => waitForCount(aborts, 'abort', count),
    nextAbort: () => waitForCount(aborts, 'abort', aborts.length + 1),
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function pause(ms: number): Promise<void> {
  return new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));
}

/** True when the module at `metaUrl` is the script node was started with. */
export function isMain(metaUrl: string): boolean {
  const entry = process.argv[1];
  return Boolean(entry) && pathToFileURL(resolvePath(entry as string)).href === metaUrl;
}

/**
 * `node --import tsx test/fakes/fake-<name>.ts [--port N] [--key K] [--delay MS]`: prints the
 * base URL on stdout and serves until interrupted.
 */
export async function runFakeCli(name: string, start: (opts: FakeServerOptions) => Promise<FakeServer>): Promise<void> {
  const args = process.argv.slice(2);
  const arg = (flag: string): string | undefined => {
    const i = args.indexOf(flag);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const port = Number(arg('--port') ?? 0);
  const key = arg('--key');
  const delayMs = Number(arg('--delay') ?? 30);
  const fake = await start({ port, ...(key !== undefined ? { apiKey: key } : {}), delayMs });
  process.stdout.write(`${fake.url}\n`);
  process.stderr.write(`fake ${name} server ready; key ${key ? 'required' : 'not checked'}; Ctrl+C to stop\n`);
  fake.events.on('request', (r: RecordedRequest) => process.stderr.write(`${r.method} ${r.path}\n`));
  const stop = () => void fake.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
