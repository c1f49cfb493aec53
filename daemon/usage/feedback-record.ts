// A feedback line of the usage ledger: what the user did with one answer (a signal), about which
// request, model and kind of request, and where the calibration stood after it. Ids, numbers, the
// language id and enum names only: never prompt text, code or answers. `kind: 'feedback'` tells it
// from a request's line (usage/record.ts), which has no `kind`.
import { z } from 'zod';
import { FeedbackSignal, RequestId, TaskKind, Tier } from '../../shared/protocol';
import { LEDGER_RECORD_VERSION } from './record';

export const FeedbackRecord = z.object({
  v: z.literal(LEDGER_RECORD_VERSION),
  kind: z.literal('feedback'),
  time: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'time: not an ISO date'),
  workspace: z.string().max(4000),
  requestId: RequestId,
  signal: FeedbackSignal,
  task: TaskKind,
  /** The request's language id (e.g. "python"), when it had one. */
  language: z.string().max(100).optional(),
  model: z.string().max(500),
  tier: Tier,
  local: z.boolean(),
  difficulty: z.number().min(0).max(1),
  /** The answer cost less than the frontier counterfactual. */
  saved: z.boolean(),
  /** The calibration learned from it (false: routing.learning was off). */
  learned: z.boolean(),
  /** After it: the model's θ shift and the task × language difficulty offset. */
  thetaShift: z.number().optional(),
  offsetShift: z.number().optional(),
});
export type FeedbackRecord = z.infer<typeof FeedbackRecord>;
