// One error type for every closed-API failure, so the router and retry policy can decide on
// `kind` / `retryable` without knowing which SDK threw. Messages are scrubbed of the API key:
// servers (and some SDK messages) echo it back, and these messages reach logs and clients.
import * as OpenAI from 'openai';
import * as Anthropic from '@anthropic-ai/sdk';
import { ErrorCodes } from '../../shared/protocol';
import { GearboxError } from '../gearbox-error';
import { redact } from '../log';

export type ProviderErrorKind =
  | 'auth'
  | 'rate-limit'
  | 'server'
  | 'bad-request'
  | 'network'
  | 'timeout'
  | 'stream-cut'
  | 'aborted'
  | 'unknown';

export interface ProviderErrorInit {
  providerId: string;
  kind: ProviderErrorKind;
  message: string;
  status?: number;
  /** Defaults from the kind (rate-limit, server, network, timeout are retryable) unless text was streamed. */
  retryable?: boolean;
  retryAfterMs?: number;
  partialText?: string;
  /** Overrides the code derived from the kind (e.g. MissingApiKey). */
  code?: number;
}

const MAX_MESSAGE = 600;

export class ProviderError extends GearboxError {
  readonly providerId: string;
  readonly kind: ProviderErrorKind;
  // `declare`: absent values stay absent instead of becoming own `undefined` properties.
  declare readonly status?: number;
  readonly retryable: boolean;
  declare readonly retryAfterMs?: number;
  /** Text the caller already received through onDelta before the failure. */
  declare readonly partialText?: string;

  constructor(init: ProviderErrorInit) {
    const code = init.code ?? codeForKind(init.kind);
    const message = truncate(redact(init.message), MAX_MESSAGE);
    // `data` travels to clients in the JSON-RPC error, so it carries only small, key-free fields.
    super(code, message, {
      providerId: init.providerId,
      kind: init.kind,
      ...(init.status !== undefined ? { status: init.status } : {}),
      ...(init.retryAfterMs !== undefined ? { retryAfterMs: init.retryAfterMs } : {}),
    });
    // Callers test `err.name === 'AbortError'` to tell a cancellation from a failure.
    this.name = init.kind === 'aborted' ? 'AbortError' : 'ProviderError';
    this.providerId = init.providerId;
    this.kind = init.kind;
    if (init.status !== undefined) this.status = init.status;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    if (init.partialText) this.partialText = init.partialText;
    this.retryable = init.retryable ?? (RETRYABLE_KINDS.has(init.kind) && !init.partialText);
  }
}

const RETRYABLE_KINDS = new Set<ProviderErrorKind>(['rate-limit', 'server', 'network', 'timeout']);

function codeForKind(kind: ProviderErrorKind): number {
  switch (kind) {
    case 'rate-limit':
      return ErrorCodes.RateLimited;
    case 'stream-cut':
      return ErrorCodes.StreamInterrupted;
    case 'timeout':
      return ErrorCodes.Timeout;
    case 'aborted':
      return ErrorCodes.RequestCancelled;
    default:
      return ErrorCodes.ProviderError;
  }
}

/** Turns a failure after some text was delivered into a stream-cut: retrying would duplicate output. */
export function asStreamCut(err: ProviderError, partialText: string): ProviderError {
  if (err.kind === 'stream-cut' && err.partialText === partialText) return err;
  return new ProviderError({
    providerId: err.providerId,
    kind: 'stream-cut',
    message: `${err.message} (stream interrupted after ${partialText.length} characters)`,
    ...(err.status !== undefined ? { status: err.status } : {}),
    retryable: false,
    partialText,
  });
}

// ---------- Retry-After ----------

type HeaderSource = { get(name: string): string | null } | Record<string, string | string[] | undefined>;

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  const rec = headers as Record<string, string | string[] | undefined>;
  const v = rec[name] ?? rec[Object.keys(rec).find((k) => k.toLowerCase() === name) ?? ''];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Milliseconds the server asked us to wait: `retry-after-ms` (OpenAI), else `Retry-After`
 * as delta-seconds or an HTTP date. Undefined when absent or unparsable.
 */
export function parseRetryAfter(
  headers: HeaderSource | undefined | null,
  now: number = Date.now(),
): number | undefined {
  if (!headers) return undefined;
  const ms = header(headers, 'retry-after-ms')?.trim();
  if (ms && /^\d+(\.\d+)?$/.test(ms)) return Math.round(Number(ms));
  const ra = header(headers, 'retry-after')?.trim();
  if (!ra) return undefined;
  if (/^\d+(\.\d+)?$/.test(ra)) return Math.round(Number(ra) * 1000);
  const date = Date.parse(ra);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** google.rpc.RetryInfo `retryDelay` is a protobuf Duration in JSON form, e.g. "37s" or "0.050s". */
function parseGoogleRetryDelay(body: unknown): number | undefined {
  const details = (body as { error?: { details?: unknown } } | undefined)?.error?.details;
  if (!Array.isArray(details)) return undefined;
  for (const d of details) {
    const delay = (d as { retryDelay?: unknown } | null)?.retryDelay;
    if (typeof delay === 'string') {
      const m = /^(\d+(?:\.\d+)?)s$/.exec(delay.trim());
      if (m) return Math.round(Number(m[1]) * 1000);
    }
  }
  return undefined;
}

// ---------- SDK error mapping ----------

export interface MapContext {
  providerId: string;
  /** Scrubbed from the message wherever it appears. */
  apiKey?: string;
  /** Text already delivered: a non-abort failure then becomes a stream-cut. */
  partialText?: string;
}

function kindForStatus(status: number): ProviderErrorKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 429) return 'rate-limit';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'server';
  if (status >= 400) return 'bad-request';
  return 'unknown';
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Undici reports a dropped connection as TypeError('terminated' | 'fetch failed') with a coded cause. */
function isNetworkError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    const msg = (e as { message?: unknown }).message;
    if (e instanceof TypeError && (msg === 'terminated' || msg === 'fetch failed')) return true;
  }
  return false;
}

function isAbortLike(err: unknown): boolean {
  return (
    err instanceof OpenAI.APIUserAbortError ||
    err instanceof Anthropic.APIUserAbortError ||
    (typeof err === 'object' && err !== null && (err as { name?: unknown }).name === 'AbortError')
  );
}

/** Anthropic names the failure in the body; mid-stream `event: error` carries no HTTP status. */
const ANTHROPIC_TYPES: Record<string, ProviderErrorKind> = {
  authentication_error: 'auth',
  permission_error: 'auth',
  rate_limit_error: 'rate-limit',
  overloaded_error: 'server',
  api_error: 'server',
  timeout_error: 'timeout',
  invalid_request_error: 'bad-request',
  not_found_error: 'bad-request',
  request_too_large: 'bad-request',
};

/** OpenAI-compatible servers send `{"error":{"type":...}}` mid-stream without a status. */
const OPENAI_TYPES: Record<string, ProviderErrorKind> = {
  server_error: 'server',
  rate_limit_exceeded: 'rate-limit',
  insufficient_quota: 'rate-limit',
  invalid_request_error: 'bad-request',
};

/** Maps anything an SDK (or our own code) threw to a ProviderError. */
export function toProviderError(err: unknown, ctx: MapContext): ProviderError {
  let out: ProviderError;
  if (err instanceof ProviderError) out = err;
  else out = classify(err, ctx);
  const scrubbed = scrubKey(out, ctx.apiKey);
  if (ctx.partialText && scrubbed.kind !== 'aborted' && scrubbed.kind !== 'stream-cut' && scrubbed.kind !== 'timeout') {
    return asStreamCut(scrubbed, ctx.partialText);
  }
  if (ctx.partialText && !scrubbed.partialText) {
    return withPartial(scrubbed, ctx.partialText);
  }
  return scrubbed;
}

function classify(err: unknown, ctx: MapContext): ProviderError {
  const providerId = ctx.providerId;
  const prefix = `${providerId}: `;

  if (isAbortLike(err))
    return new ProviderError({ providerId, kind: 'aborted', message: `${prefix}request cancelled` });

  if (err instanceof OpenAI.APIConnectionTimeoutError || err instanceof Anthropic.APIConnectionTimeoutError) {
    return new ProviderError({ providerId, kind: 'timeout', message: `${prefix}request timed out` });
  }
  if (err instanceof OpenAI.APIConnectionError || err instanceof Anthropic.APIConnectionError) {
    const cause = describeCause((err as { cause?: unknown }).cause);
    return new ProviderError({ providerId, kind: 'network', message: `${prefix}connection error${cause}` });
  }
  if (err instanceof OpenAI.APIError) {
    const body = err.error as { message?: unknown; type?: unknown; code?: unknown } | undefined;
    const detail = typeof body?.message === 'string' ? body.message : err.message;
    if (err.status === undefined) {
      const type = String(body?.code ?? body?.type ?? '');
      const kind = OPENAI_TYPES[type] ?? 'server';
      return new ProviderError({ providerId, kind, message: `${prefix}error in stream: ${detail}` });
    }
    return fromStatus(providerId, err.status, detail, err.headers);
  }
  if (err instanceof Anthropic.APIError) {
    const detail = err.apiMessage ?? err.message;
    if (err.status === undefined) {
      const kind = (err.type && ANTHROPIC_TYPES[err.type]) || 'server';
      return new ProviderError({
        providerId,
        kind,
        message: `${prefix}error in stream (${err.type ?? 'unknown'}): ${detail}`,
      });
    }
    // 529 overloaded is Anthropic's own status; it is a server-side, retryable condition.
    return fromStatus(providerId, err.status, detail, err.headers);
  }
  if (isGenAiApiError(err)) return fromGenAi(providerId, err);

  if (isNetworkError(err)) {
    return new ProviderError({ providerId, kind: 'network', message: `${prefix}connection lost${describeCause(err)}` });
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new ProviderError({ providerId, kind: 'unknown', message: `${prefix}${msg}` });
}

function fromStatus(
  providerId: string,
  status: number,
  detail: string,
  headers: HeaderSource | undefined,
): ProviderError {
  const kind = kindForStatus(status);
  const retryAfterMs = kind === 'rate-limit' || status === 503 ? parseRetryAfter(headers) : undefined;
  return new ProviderError({
    providerId,
    kind,
    status,
    message: `${providerId}: HTTP ${status}${detail ? ` ${stripStatusPrefix(detail, status)}` : ''}`,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

/** @google/genai's ApiError: only a status and the response body as a JSON string. */
function isGenAiApiError(err: unknown): err is Error & { status: number } {
  return err instanceof Error && err.name === 'ApiError' && typeof (err as { status?: unknown }).status === 'number';
}

function fromGenAi(providerId: string, err: Error & { status: number }): ProviderError {
  let body: unknown;
  let detail = err.message;
  try {
    // Stream errors are prefixed ("got status: X. {json}"); HTTP errors are the bare body.
    const json = err.message.slice(err.message.indexOf('{'));
    body = JSON.parse(json);
    const m = (body as { error?: { message?: unknown } }).error?.message;
    if (typeof m === 'string') detail = m;
  } catch {
    // Not JSON: keep the raw message.
  }
  // Gemini answers a bad key with 400 INVALID_ARGUMENT + reason API_KEY_INVALID, not 401.
  const keyInvalid = /API_KEY_INVALID|API key not valid/i.test(err.message);
  const kind = keyInvalid ? 'auth' : kindForStatus(err.status);
  const retryAfterMs = kind === 'rate-limit' ? parseGoogleRetryDelay(body) : undefined;
  return new ProviderError({
    providerId,
    kind,
    status: err.status,
    message: `${providerId}: HTTP ${err.status} ${detail}`,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}

function stripStatusPrefix(detail: string, status: number): string {
  return detail.startsWith(`${status} `) ? detail.slice(String(status).length + 1) : detail;
}

function describeCause(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    const msg = (e as { message?: unknown }).message;
    if (typeof code === 'string') parts.push(code);
    else if (typeof msg === 'string' && msg && !parts.includes(msg)) parts.push(msg);
  }
  return parts.length ? ` (${parts.join(': ')})` : '';
}

function scrubKey(err: ProviderError, key: string | undefined): ProviderError {
  if (!key || key.length < 4 || !err.message.includes(key)) return err;
  return rebuild(err, { message: err.message.split(key).join('***') });
}

function withPartial(err: ProviderError, partialText: string): ProviderError {
  return rebuild(err, { partialText, retryable: false });
}

function rebuild(err: ProviderError, patch: Partial<ProviderErrorInit>): ProviderError {
  return new ProviderError({
    providerId: err.providerId,
    kind: err.kind,
    message: err.message,
    code: err.code,
    retryable: err.retryable,
    ...(err.status !== undefined ? { status: err.status } : {}),
    ...(err.retryAfterMs !== undefined ? { retryAfterMs: err.retryAfterMs } : {}),
    ...(err.partialText !== undefined ? { partialText: err.partialText } : {}),
    ...patch,
  });
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}
