// The OpenAI- and Anthropic-compatible HTTP API under /v1 on the daemon's own port. Each request
// passes the same Host and Origin checks as the WebSocket, then the API key (Bearer or x-api-key),
// a per-key rate limit, the connection cap and the body cap; then it runs through the engine with
// the daemon's default settings, a deadline, and a signal that the client's hang-up fires. Errors
// come back in the shape of the API that was called; no CORS header is ever sent.
import type http from 'node:http';
import type { z } from 'zod';
import type { WorkspaceSettings } from '../../shared/protocol';
import { jsonDepthExceeds, MAX_JSON_DEPTH, TokenBucket } from '../../shared/ws-transport';
import { checkHostAndOrigin } from '../auth';
import type { ServerLimits } from '../config';
import type { Engine } from '../engine';
import { LogThrottle } from '../log-throttle';
import { clip, type Logger } from '../log';
import { countForClient } from '../tokens/count-request';
import { type ApiCall, modelChoice } from './api-call';
import { type ApiKeyStore, UntrustedKeyFileError } from './api-keys';
import { ApiResponse } from './api-response';
import { messages } from './anthropic-messages';
import { MessagesRequest, messagesOf } from './anthropic-schemas';
import { type ApiDialect, ApiError, errorBody, formatZod, toApiError } from './errors';
import { headerText } from './gearbox-info';
import { listModels } from './models';
import { chatCompletions } from './openai-chat';
import { completions } from './openai-completions';
import { ChatCompletionRequest, CompletionRequest } from './openai-schemas';

export interface HttpApiOptions {
  engine: Engine;
  keys: ApiKeyStore;
  /**
   * Settings API requests run under: the config's `defaults` (budget, allowed models, privacy), read at
   * each request so that a config edit applies to the next one.
   */
  settings: () => WorkspaceSettings;
  timeouts: () => { completionMs: number; chatMs: number };
  limits: ServerLimits;
  logger: Logger;
  port: () => number;
  bindHost?: string;
}

/** Paths the API serves; anything else under /v1 is a 404 in the API's shape. */
export function isApiPath(url: string | undefined): boolean {
  const path = (url ?? '').split('?')[0] ?? '';
  return path === '/v1' || path.startsWith('/v1/');
}

export class HttpApi {
  private readonly buckets = new Map<string, TokenBucket>();
  private inflight = 0;
  private readonly refusals: LogThrottle;
  private readonly log: Logger;

  constructor(private readonly opts: HttpApiOptions) {
    this.log = opts.logger.child({ component: 'http-api' });
    const interval = opts.limits.refusalLogIntervalMs;
    this.refusals = new LogThrottle(interval, (count) =>
      this.log.warn('more API requests refused (not logged one by one)', { count, intervalMs: interval }),
    );
  }

  handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const dialect: ApiDialect = path.startsWith('/v1/messages') ? 'anthropic' : 'openai';
    const out = new ApiResponse(res, {
      highWaterBytes: this.opts.limits.sendHighWaterBytes,
      stuckMs: this.opts.limits.slowClientTimeoutMs,
      onStuck: (buffered) =>
        this.log.warn('API client too slow: send buffer stayed full; disconnecting it', { bufferedBytes: buffered }),
    });
    const started = Date.now();
    let label: string | undefined;
    const fail = (err: ApiError) => {
      if (label === undefined)
        this.refusals.hit(() =>
          this.log.warn('API request refused', { status: err.status, reason: err.reason, path: clip(path) }),
        );
      this.sendError(out, dialect, err);
    };
    const where = checkHostAndOrigin(req, { port: this.opts.port(), bindHost: this.opts.bindHost });
    if (!where.ok) {
      const reason = where.reason === 'host-not-allowed' ? 'forbidden-host' : 'forbidden-origin';
      return fail(
        new ApiError(reason, where.reason === 'host-not-allowed' ? 'Host not allowed' : 'Origin not allowed'),
      );
    }
    try {
      label = this.authenticate(req, dialect);
    } catch (err) {
      req.resume();
      return fail(toApiError(err, this.budget()));
    }
    const bucket = this.bucketOf(label);
    if (!bucket.take()) {
      req.resume();
      const wait = Math.max(1, Math.ceil(1 / bucket.perSecond));
      return fail(new ApiError('rate-limited', `Too many requests for API key '${label}': retry in ${wait} s`, wait));
    }
    if (this.inflight >= this.opts.limits.maxConnections) {
      req.resume();
      return fail(new ApiError('busy', `Too many API requests at once: this daemon serves ${this.inflight}`));
    }
    this.inflight++;
    res.once('close', () => this.inflight--);
    const who = label;
    void this.serve(req, res, out, path, who)
      .catch((err: unknown) => {
        const e = toApiError(err, this.budget());
        if (e.reason === 'internal') this.log.error('API request failed', { path, error: e.message });
        this.sendError(out, dialect, e);
      })
      .finally(() =>
        this.log.debug('API request', {
          method: req.method,
          path: clip(path),
          key: who,
          status: res.statusCode,
          hungUp: out.hungUp,
          ms: Date.now() - started,
        }),
      );
  }

  private async serve(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    out: ApiResponse,
    path: string,
    label: string,
  ): Promise<void> {
    const method = req.method ?? 'GET';
    if (method === 'GET' && path === '/v1/models') {
      req.resume();
      const d = req.headers['anthropic-version'] !== undefined ? 'anthropic' : 'openai';
      return out.json(200, await listModels(this.opts.engine, d));
    }
    const routes: Record<string, { schema: z.ZodType; timeoutMs: number; run: Handler }> = {
      '/v1/chat/completions': { schema: ChatCompletionRequest, timeoutMs: this.opts.timeouts().chatMs, run: chat },
      '/v1/completions': { schema: CompletionRequest, timeoutMs: this.opts.timeouts().completionMs, run: complete },
      '/v1/messages': { schema: MessagesRequest, timeoutMs: this.opts.timeouts().chatMs, run: anthropic },
      '/v1/messages/count_tokens': { schema: CountTokensRequest, timeoutMs: 10_000, run: countTokens },
    };
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    if (!route || method !== 'POST') {
      req.resume();
      throw new ApiError('not-found', `Unknown endpoint ${method} ${clip(path, 60)}`);
    }
    const raw = await readJson(req, this.opts.limits.maxRequestBytes);
    const parsed = route.schema.safeParse(raw);
    if (!parsed.success) throw new ApiError('invalid-request', formatZod(parsed.error));

    const ctrl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctrl.abort();
    }, route.timeoutMs);
    timer.unref();
    // The client hanging up cancels the request: the provider stream or local generation stops.
    const onClose = () => {
      if (!res.writableFinished) ctrl.abort();
    };
    res.once('close', onClose);
    const call: ApiCall = { engine: this.opts.engine, label, settings: this.opts.settings(), signal: ctrl.signal };
    try {
      await route.run(call, parsed.data as never, out);
    } catch (err) {
      if (timedOut)
        throw new ApiError('timeout', `The request timed out after ${Math.round(route.timeoutMs / 1000)} s`);
      if (out.hungUp) return;
      throw err;
    } finally {
      clearTimeout(timer);
      res.off('close', onClose);
    }
  }

  /** The key's label; a missing or wrong key (or an unusable key file) is a 401. */
  private authenticate(req: http.IncomingMessage, dialect: ApiDialect): string {
    const bearer = /^bearer +(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const header = req.headers['x-api-key'];
    const presented = [typeof header === 'string' ? header : undefined, bearer].filter((k): k is string => !!k);
    const how = dialect === 'anthropic' ? 'x-api-key: <key>' : 'Authorization: Bearer <key>';
    if (!presented.length)
      throw new ApiError('unauthorized', `Missing API key: send ${how} (\`gearbox api-key\` prints it)`);
    let label: string | undefined;
    try {
      for (const key of presented) label ??= this.opts.keys.match(key);
    } catch (err) {
      if (!(err instanceof UntrustedKeyFileError)) throw err;
      this.log.warn('API key file unusable', { error: err.message });
      throw new ApiError('unauthorized', `Gearbox API keys cannot be used: ${err.message}`);
    }
    if (label === undefined)
      throw new ApiError('unauthorized', 'Incorrect API key: `gearbox api-key` prints the current one');
    return label;
  }

  private bucketOf(label: string): TokenBucket {
    let b = this.buckets.get(label);
    if (!b) {
      b = new TokenBucket(this.opts.limits.requestsPerSecond, this.opts.limits.requestBurst);
      this.buckets.set(label, b);
    }
    return b;
  }

  /** When the budget cap that stopped a request resets: local midnight for the daily cap, else the next month. */
  private budget() {
    return {
      retryAfterSec: () => {
        const now = new Date();
        const caps = this.opts.settings().budget;
        const spent = this.opts.engine.ledger.budgetState();
        const daily = caps.dailyUsd > 0 && spent.spentTodayUsd >= caps.dailyUsd;
        const next = daily
          ? new Date(now.getFullYear(), now.getMonth(), now.getDate() + 1)
          : new Date(now.getFullYear(), now.getMonth() + 1, 1);
        return Math.max(1, Math.ceil((next.getTime() - now.getTime()) / 1000));
      },
    };
  }

  private sendError(out: ApiResponse, dialect: ApiDialect, err: ApiError): void {
    const body = errorBody(dialect, err);
    if (out.isStreaming) {
      // Mid-stream, the error is the stream's last event (both SDKs raise it).
      if (dialect === 'anthropic') out.event(body, 'error');
      else out.event(body);
      return out.end();
    }
    if (out.headersSent) return out.end();
    const headers: Record<string, string> = {};
    if (err.retryAfterSec !== undefined) headers['retry-after'] = String(err.retryAfterSec);
    if (err.status === 401) headers['www-authenticate'] = 'Bearer realm="gearbox"';
    out.json(err.status, body, headers);
  }
}

type Handler = (call: ApiCall, body: never, out: ApiResponse) => Promise<void>;
const chat: Handler = (call, body: ChatCompletionRequest, out) => chatCompletions(call, body, out);
const complete: Handler = (call, body: CompletionRequest, out) => completions(call, body, out);
const anthropic: Handler = (call, body: MessagesRequest, out) => messages(call, body, out);

/** count_tokens takes a Messages request without max_tokens. */
const CountTokensRequest = MessagesRequest.omit({ max_tokens: true, stream: true });
/**
 * The request's text (messages, tool calls, tool definitions) in the named model's tokens, or, for
 * gearbox/auto and gearbox/local, the largest count over the models the router may pick. The
 * x-gearbox-token-count header says how it was counted (exact, approximate, chars4).
 */
const countTokens: Handler = async (call, body: z.infer<typeof CountTokensRequest>, out) => {
  const choice = await modelChoice(call.engine, body.model);
  const texts = messagesOf({ ...body, max_tokens: 1 }).flatMap((m) => [
    m.content,
    ...(m.toolCalls ?? []).map((c) => c.name + c.arguments),
  ]);
  if (body.tools?.length) texts.push(JSON.stringify(body.tools));
  const counted = await countForClient(
    call.engine.tokens,
    await call.engine.catalog(),
    {
      texts: texts.length ? texts : [''],
      ...(choice.kind === 'pinned' ? { model: choice.id } : choice.kind === 'local' ? { hint: 'local' } : {}),
    },
    call.signal,
  );
  out.json(
    200,
    { input_tokens: counted.tokens },
    { 'x-gearbox-token-count': counted.method, 'x-gearbox-tokenizer': headerText(counted.tokenizer) },
  );
};

/** The body as JSON, at most `maxBytes`; too large is a 413 and malformed JSON a 400, both in the API's shape. */
function readJson(req: http.IncomingMessage, maxBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    const tooLarge = () =>
      new ApiError('too-large', `The request body is over the ${Math.round(maxBytes / 1024)} KiB limit`);
    if (Number.isFinite(declared) && declared > maxBytes) {
      req.resume();
      return reject(tooLarge());
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(c);
    });
    req.once('error', reject);
    req.once('end', () => {
      if (size > maxBytes) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (!text.trim()) return reject(new ApiError('invalid-request', 'The request body is empty: send JSON'));
      if (jsonDepthExceeds(text, MAX_JSON_DEPTH))
        return reject(new ApiError('invalid-request', `The JSON is nested deeper than ${MAX_JSON_DEPTH} levels`));
      try {
        resolve(JSON.parse(text));
      } catch (err) {
        reject(new ApiError('invalid-request', `The request body is not valid JSON: ${(err as Error).message}`));
      }
    });
  });
}
