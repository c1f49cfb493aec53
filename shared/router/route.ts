// Picks the model for one request: the cheapest model good enough for its difficulty, within the
// workspace's rules (allowed models, privacy, local-only). Pure and deterministic: same input and
// catalog, same decision.
import type { ModelInfo, RejectedCandidate, RouteDecision, RouteReason, TaskKind, WorkspaceSettings } from '../protocol';
import { estimateDifficulty, estimateTokens, type DifficultyInput } from './difficulty';

export interface RouteInput extends DifficultyInput {
  settings: WorkspaceSettings;
  /** The code is private (request context or workspace): only local or private models may see it. */
  privateCode?: boolean;
  /** Request-level pin; wins over settings.models[task]. 'auto' means no pin. */
  pinnedModel?: string;
  /** Models not to use for this request, e.g. ones that already failed it. */
  excludeModels?: string[];
}

/**
 * Difficulty at or above each threshold asks for the next tier: [0, .3) → 0, [.3, .55) → 1,
 * [.55, .78) → 2, [.78, 1] → 3.
 */
export const TIER_THRESHOLDS = [0.3, 0.55, 0.78] as const;
/** How far one step of settings.routing.quality (0..10, neutral 5) moves the difficulty used for the tier. */
export const QUALITY_SHIFT_PER_STEP = 0.04;

/** Room left for the answer when checking context windows. */
const OUTPUT_RESERVE: Record<TaskKind, number> = { completion: 256, chat: 2048, refactor: 1024 };
/** Expected answer length, for comparing prices. */
const EXPECTED_OUTPUT: Record<TaskKind, number> = { completion: 48, chat: 600, refactor: 400 };

export function requiredTierFor(difficulty: number, quality = 5): number {
  const d = difficulty + (quality - 5) * QUALITY_SHIFT_PER_STEP;
  let tier = 0;
  for (const t of TIER_THRESHOLDS) if (d >= t) tier++;
  return tier;
}

export function route(input: RouteInput, catalog: readonly ModelInfo[]): RouteDecision {
  const { task, settings } = input;
  const difficulty = estimateDifficulty(input);
  const hint = difficulty.reasons.find((r) => r.feature === 'hint:local' || r.feature === 'hint:best')?.feature;
  const quality = settings.routing?.quality ?? 5;
  const requiredTier = hint === 'hint:best' ? 3 : hint === 'hint:local' ? 0 : requiredTierFor(difficulty.score, quality);

  const selTokens = estimateTokens(input.selectionText);
  const estimatedInputTokens = estimateTokens(input.prompt) + selTokens + estimateTokens(input.fileText);
  const outputReserve = task === 'refactor' ? Math.min(16_384, Math.max(OUTPUT_RESERVE.refactor, Math.ceil(selTokens * 1.2))) : OUTPUT_RESERVE[task];
  const expectedOutput = task === 'refactor' ? Math.max(EXPECTED_OUTPUT.refactor, selTokens) : EXPECTED_OUTPUT[task];
  const cost = (m: ModelInfo) => (estimatedInputTokens * m.inputPricePerMTok + expectedOutput * m.outputPricePerMTok) / 1e6;

  const privateCode = input.privateCode === true || settings.privateCode === true;
  const localOnly = settings.routing?.mode === 'local-only' || hint === 'hint:local';
  const allowed = settings.allowedModels?.length ? new Set(settings.allowedModels) : undefined;
  const excluded = new Set(input.excludeModels ?? []);
  const why = whyText(difficulty.score, difficulty.reasons);

  // Rules the workspace sets hold for pinned models too; only the router's own preferences are bypassed.
  const policy = (m: ModelInfo): RejectedCandidate | undefined => {
    if (allowed && !allowed.has(m.id) && !allowed.has(apiName(m))) {
      return { model: m.id, reason: 'not-allowed', detail: 'not in gearbox.allowedModels' };
    }
    if (localOnly && !m.local) {
      const detail = hint === 'hint:local' ? 'the request asked to stay local (@local)' : 'routing mode is local-only';
      return { model: m.id, reason: 'not-allowed', detail };
    }
    if (privateCode && !m.local && !m.private) {
      return { model: m.id, reason: 'privacy', detail: 'private code may only go to local or private models' };
    }
    return undefined;
  };

  const base = { task, difficulty: difficulty.score, requiredTier, reasons: difficulty.reasons, estimatedInputTokens };

  const pinRef = input.pinnedModel && input.pinnedModel !== 'auto' ? input.pinnedModel : settings.models?.[task];
  if (pinRef && pinRef !== 'auto') {
    const by = input.pinnedModel && input.pinnedModel !== 'auto' ? 'pinned by the request' : `pinned by gearbox.models.${task}`;
    const m = findByIdOrName(catalog, pinRef);
    if (!m) {
      return { ...base, model: null, fallbacks: [], rejected: [], pinned: true, summary: `${by}: model '${pinRef}' is not in the catalog — ${why}` };
    }
    const blocked = policy(m);
    if (blocked) {
      return { ...base, model: null, fallbacks: [], rejected: [blocked], pinned: true, summary: `${by}: ${m.id} cannot be used: ${blocked.detail}` };
    }
    const note = m.available ? '' : ` (currently unavailable: ${m.unavailableReason ?? 'unknown'})`;
    return { ...base, model: m.id, fallbacks: [], rejected: [], pinned: true, summary: `${why} → ${m.id}, ${by}${note}` };
  }

  const rejected: RejectedCandidate[] = [];
  const ok: ModelInfo[] = [];
  let servesTask = 0;
  for (const m of catalog) {
    if (!m.tasks.includes(task)) continue;
    servesTask++;
    if (excluded.has(m.id)) {
      rejected.push({ model: m.id, reason: 'unavailable', detail: 'excluded by the request (already tried)' });
      continue;
    }
    const blocked = policy(m);
    if (blocked) {
      rejected.push(blocked);
      continue;
    }
    if (!m.available) {
      rejected.push({ model: m.id, reason: unavailableKind(m.unavailableReason), detail: m.unavailableReason ?? 'unavailable' });
      continue;
    }
    if (estimatedInputTokens + outputReserve > m.contextWindow) {
      rejected.push({
        model: m.id,
        reason: 'context-too-small',
        detail: `~${estimatedInputTokens} input + ${outputReserve} output tokens exceed its ${m.contextWindow}-token window`,
      });
      continue;
    }
    ok.push(m);
  }

  if (ok.length === 0) {
    const summary = servesTask === 0 ? `no model can serve ${task}: no model in the catalog serves ${task}` : `no model can serve ${task}: ${explainRejections(rejected)}`;
    return { ...base, model: null, fallbacks: [], rejected, pinned: false, summary: `${summary} — ${why}` };
  }

  // Completions are latency-bound and frequent: a local model answers them whenever one can.
  const locals = task === 'completion' ? ok.filter((m) => m.local) : [];
  const pool = locals.length ? locals : ok;
  // At equal price a completion wants the smallest adequate model (latency); other tasks the strongest.
  const smallFirst = task === 'completion';
  const ordered = orderByPreference(pool, requiredTier, cost, smallFirst, rejected);
  if (locals.length) ordered.push(...orderByPreference(ok.filter((m) => !m.local), requiredTier, cost, smallFirst, rejected));

  const chosen = ordered[0]!;
  let because: string;
  if (locals.length) because = chosen.tier >= requiredTier ? 'completions stay local' : `completions stay local (tier ${chosen.tier}, asked for ${requiredTier})`;
  else if (chosen.tier >= requiredTier) because = `${cost(chosen) === 0 ? (chosen.local ? 'local model' : 'free model') : 'cheapest model'} at tier ${requiredTier}+`;
  else because = `strongest available (tier ${chosen.tier}, asked for ${requiredTier})`;
  if (privateCode) because += '; private code stays on local/private models';

  return {
    ...base,
    model: chosen.id,
    fallbacks: ordered.slice(1).map((m) => m.id),
    rejected,
    pinned: false,
    summary: `${why} → ${chosen.id}, ${because}`,
  };
}

/**
 * Models at or above the tier that can be met, cheapest first; then the ones one tier below, strongest
 * first, as fallbacks. Weaker ones would answer a hard request badly, so they are rejected instead.
 */
function orderByPreference(
  models: ModelInfo[],
  requiredTier: number,
  cost: (m: ModelInfo) => number,
  smallFirst: boolean,
  rejected: RejectedCandidate[],
): ModelInfo[] {
  if (models.length === 0) return [];
  const target = Math.min(requiredTier, Math.max(...models.map((m) => m.tier)));
  const costs = new Map(models.map((m) => [m.id, cost(m)]));
  const c = (m: ModelInfo) => costs.get(m.id)!;
  const meets = models
    .filter((m) => m.tier >= target)
    .sort((a, b) => c(a) - c(b) || (smallFirst ? a.tier - b.tier : b.tier - a.tier) || Number(b.local) - Number(a.local) || cmp(a.id, b.id));
  const below: ModelInfo[] = [];
  for (const m of models) {
    if (m.tier >= target) continue;
    if (m.tier >= target - 1) below.push(m);
    else rejected.push({ model: m.id, reason: 'tier-below-threshold', detail: `tier ${m.tier}; this request needs tier ${target}` });
  }
  below.sort((a, b) => b.tier - a.tier || c(a) - c(b) || Number(b.local) - Number(a.local) || cmp(a.id, b.id));
  return [...meets, ...below];
}

/** ModelInfo has no API name field; built-in and default user ids are `${provider}/${name}`. */
function apiName(m: ModelInfo): string {
  const prefix = m.provider + '/';
  return m.id.startsWith(prefix) ? m.id.slice(prefix.length) : m.id;
}

function findByIdOrName(catalog: readonly ModelInfo[], ref: string): ModelInfo | undefined {
  const exact = catalog.find((m) => m.id === ref);
  if (exact) return exact;
  const byName = catalog.filter((m) => apiName(m) === ref);
  return byName.length === 1 ? byName[0] : undefined;
}

// shared/catalog.ts writes these reasons; matching their prefixes keeps the router free of imports of catalog data.
function unavailableKind(reason: string | undefined): RejectedCandidate['reason'] {
  if (reason?.startsWith('no API key')) return 'no-key';
  if (reason?.startsWith('cooling down')) return 'cooling-down';
  return 'unavailable';
}

const REJECTION_TEXT: Record<RejectedCandidate['reason'], [one: string, many: string]> = {
  'no-key': ['has no API key', 'have no API key'],
  unavailable: ['is unavailable', 'are unavailable'],
  privacy: ['may not receive private code', 'may not receive private code'],
  'context-too-small': ['has too small a context window', 'have too small a context window'],
  'tier-below-threshold': ['is below the required tier', 'are below the required tier'],
  'not-allowed': ['is not allowed', 'are not allowed'],
  'over-budget': ['is over budget', 'are over budget'],
  'not-loaded': ['is not loaded', 'are not loaded'],
  'cooling-down': ['is cooling down after errors', 'are cooling down after errors'],
};

/** "openai/gpt-5 has no API key; 3 models may not receive private code (e.g. ...)". */
function explainRejections(rejected: RejectedCandidate[]): string {
  const groups = new Map<RejectedCandidate['reason'], RejectedCandidate[]>();
  for (const r of rejected) {
    const g = groups.get(r.reason);
    if (g) g.push(r);
    else groups.set(r.reason, [r]);
  }
  const parts: string[] = [];
  for (const [reason, list] of groups) {
    const [one, many] = REJECTION_TEXT[reason];
    const first = list[0]!;
    if (list.length === 1) parts.push(`${first.model} ${one} (${first.detail})`);
    else if (reason === 'no-key') {
      const providers = [...new Set(list.map((r) => r.model.split('/')[0]))].join(', ');
      parts.push(`${list.length} models ${many} (providers: ${providers})`);
    } else parts.push(`${list.length} models ${many} (e.g. ${first.model}: ${first.detail})`);
  }
  return parts.join('; ');
}

/** "difficulty 0.72 (asks to debug; concurrency; 180-line selection)": the strongest reasons only. */
function whyText(score: number, reasons: RouteReason[]): string {
  const notable = reasons.filter((r) => !r.feature.startsWith('task:') && Math.abs(r.weight) >= 0.25);
  const top = notable
    .slice()
    .sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight))
    .slice(0, 3)
    .map((r) => r.detail);
  const task = reasons.find((r) => r.feature.startsWith('task:'));
  const details = top.length ? top : task ? [task.detail] : [];
  return `difficulty ${score.toFixed(2)}${details.length ? ` (${details.join('; ')})` : ''}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
