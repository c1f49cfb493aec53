// Tells the daemon what the user did with an answer (gearbox/feedback): the answer's request id and
// the signal, nothing else. Best effort: a refused or failed signal is logged, never shown; routing
// works the same without it.
import type { FeedbackSignal } from '../shared/protocol';
import type { GearboxClient } from './client-api';

export function sendFeedback(
  client: Pick<GearboxClient, 'request' | 'log'>,
  requestId: string | undefined,
  signal: FeedbackSignal,
): Promise<void> {
  if (!requestId) return Promise.resolve();
  return client.request('gearbox/feedback', { requestId, signal }).then(
    (r) => client.log.info(`feedback ${signal}: ${r.refused ?? (r.learned ? 'learned' : 'recorded')}`),
    (err: Error) => client.log.warn(`feedback ${signal} not sent: ${err.message}`),
  );
}
