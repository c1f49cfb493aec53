// One line of the usage ledger (daemon/ledger.ts): what a request that reached a model cost, and
// what it would have cost on the strongest closed model. Plain data; no prompts, no answers, no
// error messages (they can echo keys), only ids, numbers and short reason names.
import { z } from 'zod';
import { costUsd } from '../catalog/catalog';
import {
  RequestId,
  TaskKind,
  Tier,
  TokenCountMethod,
  type ModelInfo,
  type RouteDecision,
  type Usage,
} from '../../shared/protocol';

export const LEDGER_RECORD_VERSION = 1;

const LedgerOutcome = z.enum(['ok', 'error', 'cancelled']);
export type LedgerOutcome = z.infer<typeof LedgerOutcome>;

export const LedgerRecord = z.object({
  v: z.literal(LEDGER_RECORD_VERSION),
  /** ISO 8601 (UTC) time the request finished. */
  time: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'time: not an ISO date'),
  /** Stable id of the client's workspace: its LSP workspace folders / rootUri, else 'cli'. */
  workspace: z.string().max(4000),
  task: TaskKind,
  model: z.string().max(500),
  provider: z.string().max(200),
  local: z.boolean(),
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  /** Token counts are ours, not the model's or provider's (none was reported: a cut stream, a server without usage). */
  estimated: z.boolean().optional(),
  /** How they were counted, with `estimated` (absent on records written before tokenizers). */
  estimatedBy: TokenCountMethod.optional(),
  costUsd: z.number().nonnegative(),
  latencyMs: z.number().nonnegative(),
  difficulty: z.number().min(0).max(1),
  /** The strongest route reasons, by feature name (e.g. "asks:concurrency", "size"). */
  reasons: z.array(z.string().max(100)).max(5),
  outcome: LedgerOutcome,
  /** JSON-RPC error code of a failed request (never its message). */
  errorCode: z.number().int().optional(),
  /**
   * What the same token counts would have cost on the most expensive tier-3 closed model that was
   * available (has a key, not cooling down), serves the task and is allowed by the workspace, at
   * the time of the request. When no such model exists it equals costUsd (no savings claimed).
   */
  counterfactualUsd: z.number().nonnegative(),
  counterfactualModel: z.string().max(500).nullable(),
  /** The answer's id (what feedback names); absent on records written before routing learning. */
  requestId: RequestId.optional(),
  /** The model's tier, for acceptance and escalation by tier. */
  tier: Tier.optional(),
  /** The router's expected success for the model that answered, when it was the one chosen. */
  expectedSuccess: z.number().min(0).max(1).optional(),
});
export type LedgerRecord = z.infer<typeof LedgerRecord>;

/** The counterfactual model and cost for a request; see LedgerRecord.counterfactualUsd. */
export function counterfactual(
  catalog: readonly ModelInfo[],
  usage: Usage,
  opts: { task: TaskKind; allowedModels?: readonly string[]; actualUsd: number },
): { usd: number; model: string | null } {
  const allowed = opts.allowedModels?.length ? new Set(opts.allowedModels) : undefined;
  const isAllowed = (m: ModelInfo) => {
    if (!allowed) return true;
    const prefix = `${m.provider}/`;
    return allowed.has(m.id) || (m.id.startsWith(prefix) && allowed.has(m.id.slice(prefix.length)));
  };
  let best: { usd: number; model: string | null } = { usd: opts.actualUsd, model: null };
  let found = false;
  for (const m of catalog) {
    if (m.local || m.tier !== 3 || !m.available || !m.tasks.includes(opts.task) || !isAllowed(m)) continue;
    const usd = costUsd(m, usage);
    if (!found || usd > best.usd || (usd === best.usd && m.id < (best.model ?? ''))) best = { usd, model: m.id };
    found = true;
  }
  return best;
}

/** The strongest reasons of a route decision, by feature name: short and free of user text. */
function topReasons(decision: Pick<RouteDecision, 'reasons'>, max = 3): string[] {
  return decision.reasons
    .filter((r) => !r.feature.startsWith('task:'))
    .slice()
    .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight))
    .slice(0, max)
    .map((r) => r.feature.slice(0, 100));
}

export interface RequestOutcome {
  workspace: string;
  task: TaskKind;
  model: ModelInfo;
  /** `usage.estimatedBy` marks counts we made ourselves. */
  usage: Usage;
  latencyMs: number;
  decision: Pick<RouteDecision, 'difficulty' | 'reasons'> & Partial<Pick<RouteDecision, 'model' | 'expectedSuccess'>>;
  outcome: LedgerOutcome;
  requestId?: RequestId;
  errorCode?: number;
  /** The catalog at the time of the request (for the counterfactual). */
  catalog: readonly ModelInfo[];
  allowedModels?: readonly string[];
  time?: Date;
}

export function buildRecord(o: RequestOutcome): LedgerRecord {
  const actual = o.model.local ? 0 : costUsd(o.model, o.usage);
  const cf = counterfactual(o.catalog, o.usage, { task: o.task, allowedModels: o.allowedModels, actualUsd: actual });
  return {
    v: LEDGER_RECORD_VERSION,
    time: (o.time ?? new Date()).toISOString(),
    workspace: o.workspace,
    task: o.task,
    model: o.model.id,
    provider: o.model.provider,
    local: o.model.local,
    inputTokens: Math.max(0, Math.round(o.usage.inputTokens)),
    outputTokens: Math.max(0, Math.round(o.usage.outputTokens)),
    ...(o.usage.estimatedBy ? { estimated: true, estimatedBy: o.usage.estimatedBy } : {}),
    costUsd: actual,
    latencyMs: Math.max(0, Math.round(o.latencyMs)),
    difficulty: Math.min(1, Math.max(0, o.decision.difficulty)),
    reasons: topReasons(o.decision),
    outcome: o.outcome,
    ...(o.errorCode !== undefined && Number.isInteger(o.errorCode) ? { errorCode: o.errorCode } : {}),
    counterfactualUsd: cf.usd,
    counterfactualModel: cf.model,
    ...(o.requestId ? { requestId: o.requestId } : {}),
    tier: o.model.tier,
    ...(o.decision.model === o.model.id && o.decision.expectedSuccess !== undefined
      ? { expectedSuccess: o.decision.expectedSuccess }
      : {}),
  };
}
