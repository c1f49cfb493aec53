// Maps anything thrown by a handler onto a JSON-RPC error with a code from ErrorCodes.
import { ResponseError } from 'vscode-languageserver';
import { z } from 'zod';
import { ErrorCodes } from '../shared/protocol';
import { GearboxError } from './gearbox-error';
import { redact } from './log';

export function toResponseError(err: unknown): ResponseError<unknown> {
  if (err instanceof ResponseError) return err;
  if (err instanceof z.ZodError)
    return new ResponseError(ErrorCodes.InvalidParams, `Invalid params: ${formatZod(err)}`);
  if (err instanceof GearboxError) return new ResponseError(err.code, redact(err.message), scrub(err.data));
  if (err instanceof Error && err.name === 'AbortError')
    return new ResponseError(ErrorCodes.RequestCancelled, 'Request cancelled');
  const message = err instanceof Error ? err.message : String(err);
  return new ResponseError(ErrorCodes.InternalError, `Internal error: ${redact(message)}`);
}

function formatZod(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.length ? i.path.join('.') : '(params)'}: ${i.message}`).join('; ');
}

function scrub(data: unknown): unknown {
  if (data === undefined) return undefined;
  try {
    return JSON.parse(redact(JSON.stringify(data)));
  } catch {
    return undefined;
  }
}

/** A signal that fires on client cancellation or after `timeoutMs`, whichever comes first. */
export function requestSignal(
  token: { isCancellationRequested: boolean; onCancellationRequested(cb: () => void): { dispose(): void } },
  timeoutMs: number,
) {
  const ctrl = new AbortController();
  let timedOut = false;
  // Subscribed first: if that throws, no timer is left behind.
  const sub = token.onCancellationRequested(() => ctrl.abort());
  if (token.isCancellationRequested) ctrl.abort();
  const timer = setTimeout(() => {
    timedOut = true;
    ctrl.abort();
  }, timeoutMs);
  timer.unref?.();
  return {
    signal: ctrl.signal,
    abort: () => ctrl.abort(),
    timedOut: () => timedOut,
    dispose: () => {
      clearTimeout(timer);
      sub.dispose();
    },
  };
}

export function timeoutError(what: string, ms: number): GearboxError {
  return new GearboxError(ErrorCodes.Timeout, `${what} timed out after ${Math.round(ms / 1000)} s`);
}
