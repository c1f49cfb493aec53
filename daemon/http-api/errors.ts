// Errors of the HTTP API, each in the shape of the API that was called: OpenAI's
// `{error: {message, type, param, code}}` and Anthropic's `{type: 'error', error: {type, message}}`.
// Everything a request can fail with (bad input, auth, limits, what the engine throws) is mapped here
// onto an HTTP status, a reason, and a message for the user.
import { z } from 'zod';
import { ErrorCodes, RouteDecision } from '../../shared/protocol';
import { GearboxError } from '../gearbox-error';
import { redact } from '../log';

/** Which API's error shape a response uses. */
export type ApiDialect = 'openai' | 'anthropic';

/** Why a request failed, as the API client sees it. */
export const ApiErrorReason = z.enum([
  'invalid-request',
  'unsupported',
  'unauthorized',
  'forbidden-host',
  'forbidden-origin',
  'not-found',
  'model-not-found',
  'too-large',
  'rate-limited',
  'over-budget',
  'not-allowed',
  'private-content',
  'no-model',
  'upstream-error',
  'timeout',
  'busy',
  'internal',
]);
export type ApiErrorReason = z.infer<typeof ApiErrorReason>;

const STATUS: Record<ApiErrorReason, number> = {
  'invalid-request': 400,
  unsupported: 400,
  unauthorized: 401,
  'forbidden-host': 403,
  'forbidden-origin': 403,
  'not-found': 404,
  'model-not-found': 404,
  'too-large': 413,
  'rate-limited': 429,
  'over-budget': 429,
  'not-allowed': 403,
  'private-content': 403,
  'no-model': 503,
  'upstream-error': 502,
  timeout: 504,
  busy: 503,
  internal: 500,
};

/** OpenAI's `type` and `code` for each reason (its own names where it has them). */
const OPENAI: Record<ApiErrorReason, { type: string; code: string | null }> = {
  'invalid-request': { type: 'invalid_request_error', code: null },
  unsupported: { type: 'invalid_request_error', code: 'unsupported_parameter' },
  unauthorized: { type: 'invalid_request_error', code: 'invalid_api_key' },
  'forbidden-host': { type: 'invalid_request_error', code: 'host_not_allowed' },
  'forbidden-origin': { type: 'invalid_request_error', code: 'origin_not_allowed' },
  'not-found': { type: 'invalid_request_error', code: 'unknown_url' },
  'model-not-found': { type: 'invalid_request_error', code: 'model_not_found' },
  'too-large': { type: 'invalid_request_error', code: 'request_too_large' },
  'rate-limited': { type: 'requests', code: 'rate_limit_exceeded' },
  'over-budget': { type: 'insufficient_quota', code: 'budget_exceeded' },
  'not-allowed': { type: 'invalid_request_error', code: 'model_not_allowed' },
  'private-content': { type: 'invalid_request_error', code: 'private_content' },
  'no-model': { type: 'server_error', code: 'no_model_available' },
  'upstream-error': { type: 'server_error', code: 'upstream_error' },
  timeout: { type: 'server_error', code: 'timeout' },
  busy: { type: 'server_error', code: 'too_many_connections' },
  internal: { type: 'server_error', code: null },
};

/** Anthropic's error types (https://docs.anthropic.com/en/api/errors). */
const ANTHROPIC: Record<ApiErrorReason, string> = {
  'invalid-request': 'invalid_request_error',
  unsupported: 'invalid_request_error',
  unauthorized: 'authentication_error',
  'forbidden-host': 'permission_error',
  'forbidden-origin': 'permission_error',
  'not-found': 'not_found_error',
  'model-not-found': 'not_found_error',
  'too-large': 'request_too_large',
  'rate-limited': 'rate_limit_error',
  'over-budget': 'rate_limit_error',
  'not-allowed': 'permission_error',
  'private-content': 'permission_error',
  'no-model': 'overloaded_error',
  'upstream-error': 'api_error',
  timeout: 'api_error',
  busy: 'overloaded_error',
  internal: 'api_error',
};

export class ApiError extends Error {
  constructor(
    readonly reason: ApiErrorReason,
    message: string,
    /** Seconds until a retry can succeed (429): the Retry-After header. */
    readonly retryAfterSec?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get status(): number {
    return STATUS[this.reason];
  }
}

/** The JSON body of an error in the dialect's shape. */
export function errorBody(dialect: ApiDialect, err: ApiError): unknown {
  if (dialect === 'anthropic') return { type: 'error', error: { type: ANTHROPIC[err.reason], message: err.message } };
  const { type, code } = OPENAI[err.reason];
  return { error: { message: err.message, type, param: null, code } };
}

/** Budget caps: when the one that stopped the request resets. */
export interface BudgetReset {
  /** Seconds until the cap that was reached resets (next local midnight, or next month). */
  retryAfterSec(): number;
}

/** Anything a handler throws, as an ApiError (the engine's GearboxErrors by their code and route). */
export function toApiError(err: unknown, budget: BudgetReset): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof z.ZodError) return new ApiError('invalid-request', formatZod(err));
  if (err instanceof GearboxError) {
    const message = redact(err.message);
    switch (err.code) {
      case ErrorCodes.NoModelAvailable:
        return noModel(message, err.data, budget);
      case ErrorCodes.InvalidParams:
        return new ApiError('invalid-request', message);
      case ErrorCodes.Timeout:
        return new ApiError('timeout', message);
      case ErrorCodes.RateLimited: {
        const ms = (err.data as { retryAfterMs?: unknown } | undefined)?.retryAfterMs;
        return new ApiError('rate-limited', message, typeof ms === 'number' ? Math.ceil(ms / 1000) : 1);
      }
      case ErrorCodes.MissingApiKey:
        return new ApiError('no-model', message);
      default:
        return new ApiError('upstream-error', message);
    }
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError('internal', `Internal error: ${redact(message)}`);
}

/** No model could serve: why decides the status (budget 429, policy or privacy 403, else 503). */
function noModel(message: string, data: unknown, budget: BudgetReset): ApiError {
  const route = RouteDecision.safeParse((data as { route?: unknown } | undefined)?.route);
  const reasons = new Set(route.success ? route.data.rejected.map((r) => r.reason) : []);
  if (route.success && /is not in the catalog/.test(route.data.summary))
    return new ApiError('model-not-found', message);
  if (reasons.has('over-budget')) return new ApiError('over-budget', message, budget.retryAfterSec());
  if (reasons.has('privacy')) return new ApiError('private-content', message);
  if (reasons.has('not-allowed')) return new ApiError('not-allowed', message);
  return new ApiError('no-model', message);
}

export function formatZod(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => {
      const issue = deepest(i as Issue);
      return `${issue.path.length ? issue.path.join('.') : '(body)'}: ${issue.message}`;
    })
    .join('; ');
}

type Issue = { path: PropertyKey[]; message: string; code?: string; errors?: Issue[][] };

/**
 * For a value that matched no branch of a union ("a string, or a list of parts"), the issue of the
 * branch that got furthest: "messages.0.content.0: only text content parts are supported", not
 * "messages.0.content: Invalid input".
 */
function deepest(issue: Issue): { path: PropertyKey[]; message: string } {
  if (issue.code !== 'invalid_union' || !issue.errors?.length) return issue;
  let best: { path: PropertyKey[]; message: string } | undefined;
  for (const branch of issue.errors) {
    for (const inner of branch) {
      const d = deepest(inner);
      if (!best || d.path.length > best.path.length) best = d;
    }
  }
  return best && best.path.length > 0 ? { path: [...issue.path, ...best.path], message: best.message } : issue;
}
