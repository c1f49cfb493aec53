// What each feedback signal says about the answer it names, as an observation for the learner
// (learner.ts): an outcome y in [0, 1] (1: the answer was good enough) and how much it weighs.
//
// Weights are how much a signal tells about the answer, relative to an explicit verdict (1):
// - an inline diff accepted or rejected, "Retry with a stronger model", Apply and Insert are the
//   user acting on the answer itself: 1;
// - Copy is weaker: people copy to read the code elsewhere, or to change it first: 0.5;
// - ghost text is shown at nearly every pause in typing, and passing one over says more about the
//   moment than about the model; taking one is a clearer but small yes. Completions also stay local
//   whenever a local model can serve them, so their signals move only the completion difficulty
//   offset of that language (which picks a larger local model when a small one is passed over too
//   often), never a model's θ, which chat and refactors share.
import type { FeedbackSignal } from '../../shared/protocol';

export interface SignalMeaning {
  /** 1: the answer was good enough; 0: it was not; 0.5: partly. */
  y: number;
  weight: number;
  /** Whether the model's θ learns from it (else only the task × language difficulty offset). */
  movesTheta: boolean;
  /** Counted as an escalation (the answer failed, a stronger model was asked for). */
  escalation: boolean;
  /** A signal about a completion (ghost text), not about an answer. */
  completion: boolean;
}

export const SIGNALS: Readonly<Record<FeedbackSignal, SignalMeaning>> = {
  'retried-stronger': { y: 0, weight: 1, movesTheta: true, escalation: true, completion: false },
  'edit-rejected': { y: 0, weight: 1, movesTheta: true, escalation: false, completion: false },
  'edit-partial': { y: 0.5, weight: 1, movesTheta: true, escalation: false, completion: false },
  'edit-accepted': { y: 1, weight: 1, movesTheta: true, escalation: false, completion: false },
  'code-applied': { y: 1, weight: 1, movesTheta: true, escalation: false, completion: false },
  'code-inserted': { y: 1, weight: 1, movesTheta: true, escalation: false, completion: false },
  'code-copied': { y: 1, weight: 0.5, movesTheta: true, escalation: false, completion: false },
  'completion-accepted': { y: 1, weight: 0.2, movesTheta: false, escalation: false, completion: true },
  'completion-ignored': { y: 0, weight: 0.05, movesTheta: false, escalation: false, completion: true },
};
