// A download that failed, with its reason as an enum the clients act on (retry, free disk, go online).
import { ErrorCodes, type DownloadFailure } from '../../shared/protocol';
import { GearboxError } from '../gearbox-error';

export class DownloadError extends GearboxError {
  constructor(
    readonly reason: DownloadFailure,
    message: string,
    data: Record<string, unknown> = {},
  ) {
    // The data is a ModelErrorData (shared/protocol.ts): clients parse every download error alike.
    super(reason === 'offline' ? ErrorCodes.Offline : ErrorCodes.DownloadFailed, message, {
      fixes: [],
      ...data,
      reason,
    });
    this.name = 'DownloadError';
  }
}

const NETWORK_CODES = new Set([
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/** The error (or one of its causes) is a connection failure, not an answer from the server. */
export function isNetworkError(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    if (e instanceof Error && (e.message === 'fetch failed' || e.message === 'terminated')) return true;
  }
  return false;
}

/** The message with its causes, e.g. "fetch failed: connect ECONNREFUSED 127.0.0.1:9". */
export function errorText(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const msg = e instanceof Error ? e.message : String(e);
    if (msg && !parts.includes(msg)) parts.push(msg);
  }
  return parts.join(': ') || 'unknown error';
}
