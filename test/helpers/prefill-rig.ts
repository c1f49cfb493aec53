// A CompletionPrefill over a document store and a recording engine whose warm-ups run until
// stopped (like one on a long prompt), for the unit tests of the warm-up and the context ring.
import { CompletionPrefill } from '../../daemon/completion-prefill';
import type { DocumentStore } from '../../daemon/documents';
import { silentLogger } from '../../daemon/log';

export interface PrefillCall {
  req: { modelId: string; sessionKey: string; prefix: string; suffix: string };
  signal: AbortSignal;
}

export function prefillRig(docs: DocumentStore, opts: { sessionKey?: (uri: string) => string } = {}) {
  const calls: PrefillCall[] = [];
  const waiters: (() => void)[] = [];
  const completing = new Set<string>();
  const engine = {
    prefillCompletion: (req: PrefillCall['req'], signal: AbortSignal) => {
      calls.push({ req, signal });
      for (const w of waiters.splice(0)) w();
      return new Promise<{ evaluatedTokens: number }>((resolve) =>
        signal.addEventListener('abort', () => resolve({ evaluatedTokens: 1 })),
      );
    },
  };
  const prefill = new CompletionPrefill({
    docs,
    engine,
    logger: silentLogger,
    sessionKey: opts.sessionKey ?? ((uri) => uri),
    completing: (uri) => completing.has(uri),
    settleMs: 0,
  });
  /** Resolves at the next warm-up the engine is asked for. */
  const nextCall = () => new Promise<void>((resolve) => waiters.push(resolve));
  return { calls, completing, prefill, nextCall };
}
