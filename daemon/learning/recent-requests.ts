// The answered requests feedback may name: per client connection, the most recent MAX_PER_CLIENT,
// for at most MAX_AGE_MS. A signal naming any other id (another connection's, an old one, a made-up
// one) is refused, so one client cannot steer what another's feedback taught. What is kept is what
// the learner and the ledger need, never text: ids, numbers, the language id.
import { randomBytes } from 'node:crypto';
import type { FeedbackSignal, RequestId, TaskKind } from '../../shared/protocol';

export const MAX_PER_CLIENT = 500;
export const MAX_AGE_MS = 24 * 3_600_000;

/** What is known about an answered request when a signal about it arrives. */
export interface RequestFacts {
  requestId: RequestId;
  /** The connection that made it. */
  client: string;
  workspace: string;
  task: TaskKind;
  language?: string;
  /** The model that answered (after any fallback). */
  model: string;
  tier: number;
  local: boolean;
  /** Its shipped θ and sd: the learner's prior. */
  publishedTheta: number;
  publishedSd: number;
  /** Difficulty score 0..1, and on the θ scale as routed (with escalation, without a learned offset). */
  difficulty: number;
  b: number;
  /** It cost less than the frontier counterfactual (a routed-down answer). */
  saved: boolean;
  time: number;
}

/** A fresh request id: random, so it says nothing about the request. */
export function newRequestId(): RequestId {
  return `r-${randomBytes(12).toString('base64url')}`;
}

export class RecentRequests {
  private readonly byClient = new Map<string, Map<string, RequestFacts & { given: Set<FeedbackSignal> }>>();

  constructor(private readonly now: () => number = Date.now) {}

  add(facts: RequestFacts): void {
    let m = this.byClient.get(facts.client);
    if (!m) this.byClient.set(facts.client, (m = new Map()));
    m.set(facts.requestId, { ...facts, given: new Set() });
    // Oldest first (insertion order): drop beyond the cap.
    while (m.size > MAX_PER_CLIENT) m.delete(m.keys().next().value!);
  }

  /** The request, if it is one of this client's recent ones. */
  get(client: string, requestId: string): (RequestFacts & { given: Set<FeedbackSignal> }) | undefined {
    const f = this.byClient.get(client)?.get(requestId);
    if (!f) return undefined;
    if (this.now() - f.time > MAX_AGE_MS) {
      this.byClient.get(client)!.delete(requestId);
      return undefined;
    }
    return f;
  }

  /** The connection closed: its requests can no longer be named. */
  forgetClient(client: string): void {
    this.byClient.delete(client);
  }
}
