// Learning from the user, as the daemon runs it: answered requests are remembered per connection
// (recent-requests.ts); a signal about one (gearbox/feedback, or an accepted completion's command) is
// checked against them, written to the usage ledger, and — with routing.learning on — moves the
// calibration (learner.ts), which is saved beside the ledger (learning-store.ts) and handed to the
// router with every later request. Nothing here leaves the machine.
import {
  ErrorCodes,
  type FeedbackParams,
  type FeedbackResult,
  type ModelInfo,
  type ResetRoutingResult,
  type RoutingStatsParams,
  type RoutingStatsResult,
  type TaskKind,
  type WorkspaceSettings,
} from '../../shared/protocol';
import { GearboxError } from '../gearbox-error';
import type { UsageLedger } from '../ledger';
import { silentLogger, type Logger } from '../log';
import { type CapabilityAdjustments, capabilityOf } from '../routing';
import { UsageRangeError } from '../usage/aggregate';
import type { FeedbackRecord } from '../usage/feedback-record';
import { LEDGER_RECORD_VERSION } from '../usage/record';
import { adjustmentsOf, calibrationOf, emptyState, learn, type LearningState } from './learner';
import type { LearningStore } from './learning-store';
import { RecentRequests } from './recent-requests';
import { SIGNALS } from './signals';

export interface RoutingFeedbackOptions {
  ledger: UsageLedger;
  store: LearningStore;
  logger?: Logger;
  /** The clock (tests). */
  now?: () => Date;
}

/** One answered request, as the engine reports it. */
export interface Answered {
  requestId: string;
  /** The connection that asked (absent: the HTTP API, whose answers take no feedback). */
  client?: string;
  workspace: string;
  task: TaskKind;
  language?: string;
  model: ModelInfo;
  difficulty: number;
  /** Difficulty on the θ scale as routed, before the learned offset. */
  b: number;
  saved: boolean;
}

export function learningOn(settings: WorkspaceSettings): boolean {
  return settings.routing?.learning !== false;
}

export class RoutingFeedback {
  private state: LearningState;
  private readonly recent: RecentRequests;
  private readonly now: () => Date;
  private readonly log: Logger;

  constructor(private readonly opts: RoutingFeedbackOptions) {
    this.now = opts.now ?? (() => new Date());
    this.log = opts.logger ?? silentLogger;
    this.recent = new RecentRequests(() => this.now().getTime());
    this.state = opts.store.load();
  }

  /** What the router adds for this user: none with routing.learning off. */
  adjustmentsFor(
    settings: WorkspaceSettings,
    task: TaskKind,
    language: string | undefined,
  ): CapabilityAdjustments | undefined {
    if (!learningOn(settings)) return undefined;
    return adjustmentsOf(this.state, task, language, this.now());
  }

  /** Remembers an answer so that feedback may name it. */
  answered(a: Answered): void {
    if (!a.client) return;
    const cap = capabilityOf(a.model);
    this.recent.add({
      requestId: a.requestId,
      client: a.client,
      workspace: a.workspace,
      task: a.task,
      ...(a.language ? { language: a.language.slice(0, 100) } : {}),
      model: a.model.id,
      tier: a.model.tier,
      local: a.model.local,
      publishedTheta: cap.theta,
      publishedSd: cap.sd,
      difficulty: a.difficulty,
      b: a.b,
      saved: a.saved,
      time: this.now().getTime(),
    });
  }

  forgetClient(client: string): void {
    this.recent.forgetClient(client);
  }

  async feedback(p: FeedbackParams, ctx: { client: string; settings: WorkspaceSettings }): Promise<FeedbackResult> {
    const facts = this.recent.get(ctx.client, p.requestId);
    if (!facts) return { recorded: false, learned: false, refused: 'unknown-request' };
    if (facts.given.has(p.signal)) return { recorded: false, learned: false, refused: 'duplicate' };
    facts.given.add(p.signal);
    const on = learningOn(ctx.settings);
    const now = this.now();
    let shifts: Pick<FeedbackRecord, 'thetaShift' | 'offsetShift'> = {};
    if (on) {
      const s = SIGNALS[p.signal];
      const out = learn(
        this.state,
        {
          model: facts.model,
          publishedTheta: facts.publishedTheta,
          publishedSd: facts.publishedSd,
          b: facts.b,
          task: facts.task,
          language: facts.language,
          y: s.y,
          weight: s.weight,
          movesTheta: s.movesTheta,
        },
        now,
      );
      this.state = out.state;
      shifts = {
        ...(s.movesTheta ? { thetaShift: round3(out.thetaShift) } : {}),
        offsetShift: round3(out.offsetShift),
      };
      void this.opts.store.save(this.state);
      this.log.info('routing feedback learned', { signal: p.signal, model: facts.model, ...shifts });
    }
    await this.opts.ledger.appendFeedback({
      v: LEDGER_RECORD_VERSION,
      kind: 'feedback',
      time: now.toISOString(),
      workspace: facts.workspace,
      requestId: facts.requestId,
      signal: p.signal,
      task: facts.task,
      ...(facts.language ? { language: facts.language } : {}),
      model: facts.model,
      tier: facts.tier,
      local: facts.local,
      difficulty: Math.min(1, Math.max(0, facts.difficulty)),
      saved: facts.saved,
      learned: on,
      ...shifts,
    });
    return { recorded: true, learned: on };
  }

  stats(p: RoutingStatsParams, ctx: { workspaceId: string; settings: WorkspaceSettings }): RoutingStatsResult {
    const now = this.now();
    let q: ReturnType<UsageLedger['routing']['query']>;
    try {
      q = this.opts.ledger.routing.query({
        since: p?.since,
        workspace: p?.workspace ?? 'current',
        workspaceId: ctx.workspaceId,
        now,
      });
    } catch (err) {
      if (err instanceof UsageRangeError) throw new GearboxError(ErrorCodes.InvalidParams, err.message);
      throw err;
    }
    const cal = calibrationOf(this.state, now);
    return {
      since: q.since,
      until: q.until,
      workspace: p?.workspace ?? 'current',
      learning: learningOn(ctx.settings),
      statePath: this.opts.store.path,
      resetAt: this.state.resetAt,
      byModel: q.byModel,
      byTier: q.byTier,
      models: cal.models,
      difficulty: cal.difficulty,
      savings: q.savings,
    };
  }

  /** Forgets what was learned: routing goes back to the published numbers. */
  async reset(): Promise<ResetRoutingResult> {
    const resetAt = this.now().toISOString();
    const forgotten = {
      models: Object.keys(this.state.models).length,
      difficulty: Object.keys(this.state.offsets).length,
    };
    this.state = emptyState(resetAt);
    await this.opts.store.save(this.state);
    this.log.info('routing calibration reset', forgotten);
    return { ...forgotten, resetAt };
  }

  /** Resolves when the calibration saved so far is on disk. */
  flush(): Promise<void> {
    return this.opts.store.flush();
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
