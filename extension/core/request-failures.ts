// Which failed requests are expected (the daemon said why: no model, no key, offline, a timeout...)
// and which are bugs. Expected ones are the features' to explain, once and with the fix; they must
// never reach vscode-languageclient's default error popup ("Request … failed. … [object Object]").
import { ErrorCodes } from '../../shared/protocol';

/** Gearbox's own error codes (shared/protocol ErrorCodes after the standard JSON-RPC ones). */
const EXPECTED = new Set<number>([
  ErrorCodes.NoModelAvailable,
  ErrorCodes.ProviderError,
  ErrorCodes.ModelHostCrashed,
  ErrorCodes.ModelLoadFailed,
  ErrorCodes.Timeout,
  ErrorCodes.MissingApiKey,
  ErrorCodes.Offline,
  ErrorCodes.RateLimited,
  ErrorCodes.StreamInterrupted,
  ErrorCodes.DocumentNotOpen,
  ErrorCodes.TooManyRequests,
  ErrorCodes.IndexNotBuilt,
  ErrorCodes.NoWorkspaceFolder,
  ErrorCodes.RequestCancelled,
  ErrorCodes.ContentModified,
]);

/** The JSON-RPC error code of a failed request, if it has one. */
export function errorCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

/** True for a failure the daemon reported on purpose (the feature explains it), false for a bug. */
export function isExpectedFailure(err: unknown): boolean {
  const code = errorCode(err);
  return code !== undefined && EXPECTED.has(code);
}
