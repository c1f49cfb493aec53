// Picks the model for one request within the workspace's rules (allowed models, local-only,
// privacy: private code, private paths and secrets; budget caps; pins), then hands the models that
// pass to the expected-cost choice (expected-cost.ts): the cheapest one whose expected success at
// this difficulty meets the target routing.quality sets. Pure and deterministic: same input and
// catalog, same decision.
import type {
  CandidateEstimate,
  ModelInfo,
  RejectedCandidate,
  RouteDecision,
  RouteReason,
  TaskKind,
  TokenCountMethod,
  WorkspaceSettings,
} from '../../shared/protocol';
import { type CapabilityAdjustments, capabilityOf, successProbability, tierCapability } from './capability';
import {
  difficultyToTheta,
  estimateDifficulty,
  estimateTokens,
  MAX_ESCALATION,
  type DifficultyInput,
} from './difficulty';
import { chooseByExpectedCost, formatUsd, targetForQuality } from './expected-cost';
import { matchPrivatePath } from './glob';
import { findSecrets, type SecretKind } from './secrets';

/** Money spent so far (the daemon's usage ledger), checked against settings.budget. */
export interface BudgetState {
  spentTodayUsd: number;
  spentMonthUsd: number;
}

/** A secret found in what the request would send. */
export interface SecretFinding {
  where: 'prompt' | 'selection' | 'file' | 'context';
  kind: SecretKind;
  /** The context item it is in (its chip's label). */
  source?: string;
}

/** One chat context item as the router sees it: privatePaths and the .env rules apply to its own file. */
export interface RouteContextItem {
  /** The chip's label, named by the explanation when this item keeps the request local. */
  label: string;
  /** Its file (a URI or path), absent for text not from a file (terminal output). */
  path?: string;
  text: string;
}

/** What a request sends, in one model's tokens (daemon/tokens counts it before routing). */
export interface RequestTokens {
  /** Everything the request sends: prompt, selection, file, extraTexts and context items. */
  input: number;
  /** The selection alone: a refactor's answer is about as long. */
  selection: number;
  method: TokenCountMethod;
}

export interface RouteInput extends DifficultyInput {
  settings: WorkspaceSettings;
  /** The code is private (request context or workspace): only local or private models may see it. */
  privateCode?: boolean;
  /** Request-level pin; wins over settings.models[task]. 'auto' means no pin. */
  pinnedModel?: string;
  /** Models not to use for this request, e.g. ones that already failed it. */
  excludeModels?: string[];
  /** Absolute path (or file:// URI) of the attached file, matched against settings.privatePaths. */
  filePath?: string;
  /** The workspace folders (multi-root: several); relative privatePaths globs are matched below each. */
  workspaceRoots?: readonly string[];
  /** Spend so far; with settings.budget caps, at or over a cap only local models are used. */
  budget?: BudgetState;
  /**
   * Scan the texts that would be sent (prompt, selectionText, fileText, extraTexts) for secrets.
   * Default true; pass false when the caller has already scanned and passes `secrets` instead.
   */
  scanSecrets?: boolean;
  /**
   * The rest of what the request sends (e.g. the system prompt and earlier chat messages): counted
   * toward the context window and scanned for secrets, not for difficulty (that is the prompt's).
   */
  extraTexts?: string[];
  /**
   * The chat's context items: counted toward the context window like extraTexts, and each checked on
   * its own (its file against privatePaths, its text for secrets by its file's rules).
   */
  contextItems?: readonly RouteContextItem[];
  /** Secrets the caller already found (merged with the scan's). */
  secrets?: SecretFinding[];
  /**
   * The attached file's secrets, already found (e.g. cached per document version: scanning a large
   * file costs ~10 µs per KB). When given, fileText is not scanned again.
   */
  fileSecrets?: SecretKind[];
  /** This user's learned shifts (daemon/learning): θ per model, and this kind of request's difficulty offset. */
  adjustments?: CapabilityAdjustments;
  /**
   * What the request sends in each candidate's own tokens, by model id, counted before routing so
   * that routing stays synchronous (daemon/tokens/request-tokens.ts). A model without an entry is
   * counted at about four characters a token, and the decision says so ('chars4').
   */
  tokens?: ReadonlyMap<string, RequestTokens>;
  /** The request offers tools (function calling): models that take them come first. */
  tools?: boolean;
}

/**
 * route()'s decision: the wire RouteDecision plus what the engine must do before a closed call.
 * `redactSecrets` is set when settings.secrets is 'redact' and the text holds a secret: the engine
 * must run redactSecrets() on what it sends to a model that is not local.
 */
export type Decision = RouteDecision & {
  redactSecrets?: boolean;
  secrets?: SecretFinding[];
  /** The difficulty on the θ scale as estimated (escalation included, no learned offset): what feedback learns from. */
  estimatedB?: number;
};

/** Each earlier failure (or 'stronger') raises the request's difficulty by this much on the θ scale. */
export const ESCALATION_STEP = 1;

/** Room left for the answer when checking context windows. */
const OUTPUT_RESERVE: Record<TaskKind, number> = { completion: 256, chat: 2048, refactor: 1024 };

/** The room a context-window check leaves for the answer: a refactor's is about its selection's size. */
export function outputReserve(task: TaskKind, selectionTokens: number): number {
  return task === 'refactor'
    ? Math.min(16_384, Math.max(OUTPUT_RESERVE.refactor, Math.ceil(selectionTokens * 1.2)))
    : OUTPUT_RESERVE[task];
}

/** Expected answer length, for comparing prices. */
const EXPECTED_OUTPUT: Record<TaskKind, number> = { completion: 48, chat: 600, refactor: 400 };

/**
 * The lowest tier whose fallback capability meets the target at this difficulty (3 when none does):
 * what "needs tier N" means now that models are chosen by expected success, not by tier.
 */
export function requiredTierFor(difficulty: number, quality = 5, escalation = 0, task: TaskKind = 'chat'): number {
  return tierForTheta(difficultyToTheta(difficulty, task) + escalation * ESCALATION_STEP, targetForQuality(quality));
}

function tierForTheta(b: number, target: number): number {
  for (let tier = 0; tier < 3; tier++) {
    const c = tierCapability(tier);
    if (successProbability(c.theta, c.sd, b) >= target) return tier;
  }
  return 3;
}

/** Scans what a request sends; `fileName` turns on .env detection for the file's text. */
export function scanRequestSecrets(
  input: Pick<
    RouteInput,
    'prompt' | 'selectionText' | 'fileText' | 'filePath' | 'extraTexts' | 'fileSecrets' | 'contextItems'
  >,
): SecretFinding[] {
  const out: SecretFinding[] = [];
  const add = (where: SecretFinding['where'], text: string | undefined, fileName?: string, source?: string) => {
    if (!text) return;
    const seen = new Set<SecretKind>();
    for (const s of findSecrets(text, { fileName })) {
      if (seen.has(s.kind)) continue;
      seen.add(s.kind);
      out.push({ where, kind: s.kind, ...(source !== undefined ? { source } : {}) });
    }
  };
  add('prompt', input.prompt);
  // A selection from a .env file is .env content too.
  add('selection', input.selectionText, input.filePath);
  // The selection is usually part of the file, but a file can be huge (and cached scans skip it): both are scanned.
  if (input.fileSecrets) for (const kind of new Set(input.fileSecrets)) out.push({ where: 'file', kind });
  else add('file', input.fileText, input.filePath);
  for (const t of input.extraTexts ?? []) add('context', t);
  // Each item by its own file's rules: a chip of a .env file is .env content wherever it is sent.
  for (const item of input.contextItems ?? []) add('context', item.text, item.path, item.label);
  return out;
}

/** Where a secret was found, for people: "selection", or "chip 'config.env'" for a context item. */
function secretPlace(f: SecretFinding): string {
  return f.source !== undefined ? `chip '${f.source}'` : f.where;
}

/** Whether a model can be given tools: every cloud provider's API takes them; the model host does not. */
export function takesTools(m: Pick<ModelInfo, 'local'>): boolean {
  return !m.local;
}

export function route(input: RouteInput, catalog: readonly ModelInfo[]): Decision {
  const { task, settings } = input;
  const difficulty = estimateDifficulty(input);
  const hint = difficulty.reasons.find((r) => r.feature === 'hint:local' || r.feature === 'hint:best')?.feature;
  const quality = settings.routing?.quality ?? 5;
  // Escalation (earlier failures, 'stronger'): each makes the request count as harder, on top of the score.
  const escalation =
    hint === 'hint:best' || hint === 'hint:local' ? 0 : Math.min(MAX_ESCALATION, difficulty.escalation);
  const estimatedB = difficultyToTheta(difficulty.score, task) + escalation * ESCALATION_STEP;
  // What this user's feedback taught about this kind of request (none for @best / @local).
  const offset = hint === 'hint:best' || hint === 'hint:local' ? 0 : (input.adjustments?.difficultyOffset ?? 0);
  const b = estimatedB + offset;
  // @best asks for the strongest model: no target can be met, so the best available is taken.
  const target = targetForQuality(quality);
  const bar = hint === 'hint:best' ? 1.01 : target;
  const requiredTier = hint === 'hint:best' ? 3 : hint === 'hint:local' ? 0 : tierForTheta(b, target);

  const selTokens = estimateTokens(input.selectionText);
  const byChars: RequestTokens = {
    input:
      estimateTokens(input.prompt) +
      selTokens +
      estimateTokens(input.fileText) +
      (input.extraTexts ?? []).reduce((n, t) => n + estimateTokens(t), 0) +
      (input.contextItems ?? []).reduce((n, item) => n + estimateTokens(item.text), 0),
    selection: selTokens,
    method: 'chars4',
  };
  // Each model is checked and priced by its own count: one model's tokens are not another's.
  const tokensOf = (m: ModelInfo): RequestTokens => input.tokens?.get(m.id) ?? byChars;
  const expectedOutput = (t: RequestTokens) =>
    task === 'refactor' ? Math.max(EXPECTED_OUTPUT.refactor, t.selection) : EXPECTED_OUTPUT[task];
  const cost = (m: ModelInfo) => {
    const t = tokensOf(m);
    return (t.input * m.inputPricePerMTok + expectedOutput(t) * m.outputPricePerMTok) / 1e6;
  };
  // The decision's count: the chosen model's; with none chosen, the largest (the one that did not fit, if any).
  const counted = (m: ModelInfo | undefined): Pick<Decision, 'estimatedInputTokens' | 'inputTokensMethod'> => {
    let t = m ? tokensOf(m) : undefined;
    if (!t && input.tokens) for (const c of input.tokens.values()) if (!t || c.input > t.input) t = c;
    t ??= byChars;
    return { estimatedInputTokens: t.input, inputTokensMethod: t.method };
  };

  const privateCode = input.privateCode === true || settings.privateCode === true;
  const localOnly = settings.routing?.mode === 'local-only' || hint === 'hint:local';
  const allowed = settings.allowedModels?.length ? new Set(settings.allowedModels) : undefined;
  const excluded = new Set(input.excludeModels ?? []);
  const why = whyText(difficulty.score, difficulty.reasons);
  const reasons = difficulty.reasons.slice();
  const notes: string[] = [];
  if (escalation > 0) notes.push(`escalated +${escalation} step${escalation > 1 ? 's' : ''}`);
  if (offset) notes.push(`${signed(offset)} difficulty learned from your feedback on ${task}s`);

  // Private paths: the attached file, or the file of any context item, matches a glob → only local or
  // private models; the detail names the chip that did it.
  const privateFile = privatePathOf(input);
  const privateGlob = privateFile?.glob;
  const privateText = privateFile ? `${privateFile.what} matches private path '${privateFile.glob}'` : '';
  if (privateFile) {
    reasons.push({ feature: 'private-path', weight: 0, detail: privateText });
    notes.push(`${privateText}: local/private models only`);
  }

  // Secrets: force-local (default) keeps the request on local/private models; redact lets closed
  // models in, and the engine redacts before sending.
  const secrets = [...(input.secrets ?? []), ...(input.scanSecrets === false ? [] : scanRequestSecrets(input))];
  const secretMode = settings.secrets ?? 'force-local';
  const secretText = secrets.length
    ? `${secretPlace(secrets[0]!)} contains a secret (${[...new Set(secrets.map((s) => s.kind))].join(', ')})`
    : '';
  const secretsForceLocal = secrets.length > 0 && secretMode === 'force-local';
  if (secrets.length) {
    reasons.push({ feature: 'secrets', weight: 0, detail: secretText });
    notes.push(
      secretsForceLocal
        ? `${secretText}: local/private models only`
        : `${secretText}: it will be redacted before a cloud call`,
    );
  }

  // Budget caps (0 = none): at or over one, only local models.
  const overBudget = budgetExceeded(settings.budget, input.budget);
  if (overBudget) {
    reasons.push({ feature: 'budget', weight: 0, detail: overBudget });
    notes.push(`${overBudget}: local models only`);
  }

  // Rules the workspace sets hold for pinned models too; only the router's own preferences are bypassed.
  const policy = (m: ModelInfo): RejectedCandidate | undefined => {
    if (allowed && !allowed.has(m.id) && !allowed.has(apiName(m))) {
      return { model: m.id, reason: 'not-allowed', detail: 'not in gearbox.allowedModels' };
    }
    if (localOnly && !m.local) {
      const detail = hint === 'hint:local' ? 'the request asked to stay local (@local)' : 'routing mode is local-only';
      return { model: m.id, reason: 'not-allowed', detail };
    }
    if (!m.local && !m.private) {
      if (secretsForceLocal) return { model: m.id, reason: 'privacy', detail: secretText };
      if (privateGlob) return { model: m.id, reason: 'privacy', detail: privateText };
      if (privateCode)
        return { model: m.id, reason: 'privacy', detail: 'private code may only go to local or private models' };
    }
    if (overBudget && !m.local) return { model: m.id, reason: 'over-budget', detail: overBudget };
    return undefined;
  };

  const extra: Pick<Decision, 'redactSecrets' | 'secrets'> = {};
  if (secrets.length) {
    extra.secrets = secrets;
    if (secretMode === 'redact') extra.redactSecrets = true;
  }
  const noteText = notes.length ? `; ${notes.join('; ')}` : '';
  const base = {
    task,
    difficulty: difficulty.score,
    requiredTier,
    reasons,
    targetSuccess: target,
    estimatedB,
    ...extra,
  };
  const estimateFor = (m: ModelInfo): CandidateEstimate => {
    const cap = capabilityOf(m);
    const p = successProbability(cap.theta + (input.adjustments?.theta?.[m.id] ?? 0), cap.sd, b);
    const priceUsd = cost(m);
    return { model: m.id, expectedSuccess: round3(p), priceUsd, expectedCostUsd: priceUsd, capability: cap };
  };

  const pinRef = input.pinnedModel && input.pinnedModel !== 'auto' ? input.pinnedModel : settings.models?.[task];
  if (pinRef && pinRef !== 'auto') {
    const by =
      input.pinnedModel && input.pinnedModel !== 'auto' ? 'pinned by the request' : `pinned by gearbox.models.${task}`;
    const m = findByIdOrName(catalog, pinRef);
    if (!m) {
      return {
        ...base,
        ...counted(undefined),
        model: null,
        fallbacks: [],
        rejected: [],
        pinned: true,
        summary: `${by}: model '${pinRef}' is not in the catalog — ${why}`,
      };
    }
    const blocked = policy(m);
    if (blocked) {
      // Privacy, secrets and budget rules hold for pins too: the summary says which one blocked it.
      return {
        ...base,
        ...counted(m),
        model: null,
        fallbacks: [],
        rejected: [blocked],
        pinned: true,
        summary: `${by}: ${m.id} cannot be used: ${blocked.detail} (workspace rules apply to pinned models too)`,
      };
    }
    const note = m.available ? '' : ` (currently unavailable: ${m.unavailableReason ?? 'unknown'})`;
    const est = estimateFor(m);
    const meets = est.expectedSuccess >= target;
    return {
      ...base,
      ...counted(m),
      model: m.id,
      fallbacks: [],
      rejected: [],
      pinned: true,
      expectedSuccess: est.expectedSuccess,
      meetsTarget: meets,
      chosen: est,
      summary:
        `${m.id}: ${by}, ${versus(est.expectedSuccess, target)}, ${formatUsd(est.priceUsd)}${note}` +
        ` — ${why}${noteText}`,
    };
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
      rejected.push({
        model: m.id,
        reason: m.unavailable ?? 'unavailable',
        detail: m.unavailableReason ?? 'unavailable',
      });
      continue;
    }
    const t = tokensOf(m);
    const reserve = outputReserve(task, t.selection);
    if (t.input + reserve > m.contextWindow) {
      rejected.push({
        model: m.id,
        reason: 'context-too-small',
        detail:
          `${t.method === 'exact' ? '' : '~'}${t.input} input (${t.method}) + ${reserve} output tokens` +
          ` exceed its ${m.contextWindow}-token window`,
      });
      continue;
    }
    ok.push(m);
  }

  if (ok.length === 0) {
    const summary =
      servesTask === 0
        ? `no model can serve ${task}: no model in the catalog serves ${task}`
        : `no model can serve ${task}: ${explainRejections(rejected)}`;
    return {
      ...base,
      ...counted(undefined),
      model: null,
      fallbacks: [],
      rejected,
      pinned: false,
      summary: `${summary} — ${why}${noteText}`,
    };
  }

  // Completions are latency-bound and frequent: a local model answers them whenever one can. A request
  // with tools wants a model that can call them: the model host runs no function calling, so local
  // models answer it only when no model that takes tools may.
  const preferred =
    task === 'completion' ? ok.filter((m) => m.local) : input.tools ? ok.filter((m) => takesTools(m)) : [];
  const pool = preferred.length ? preferred : ok;
  // Among models meeting the target at equal expected cost, a completion wants the weakest (the fastest).
  const smallFirst = task === 'completion';
  const choose = (candidates: ModelInfo[]) =>
    chooseByExpectedCost({
      candidates,
      b,
      target: bar,
      price: cost,
      preferSmall: smallFirst,
      adjustments: input.adjustments,
    });
  const choice = choose(pool);
  const ordered = [...choice.ordered];
  const tooWeak = [...choice.tooWeak];
  if (preferred.length) {
    const rest = choose(ok.filter((m) => !preferred.includes(m)));
    ordered.push(...rest.ordered);
    tooWeak.push(...rest.tooWeak);
  }
  for (const w of tooWeak)
    rejected.push({
      model: w.model,
      reason: 'tier-below-threshold',
      detail: `expected success ${w.expectedSuccess.toFixed(2)}, far below the target ${target.toFixed(2)}`,
    });

  const chosen = ordered[0]!;
  const runnerUp = choice.runnerUp;
  const meets = chosen.expectedSuccess >= target;
  let because = `${chosen.model}: ${versus(chosen.expectedSuccess, target)}`;
  because += `, ${formatUsd(chosen.priceUsd)}`;
  const learned = input.adjustments?.theta?.[chosen.model];
  if (learned) because += ` (θ ${signed(learned)} from your feedback)`;
  if (!meets) because += hint === 'hint:best' ? ' (asked for the best model)' : ' (the best available)';
  if (runnerUp)
    because += `; ${runnerUp.model} would be ${runnerUp.expectedSuccess.toFixed(2)} at ${formatUsd(runnerUp.priceUsd)}`;
  if (preferred.length && task === 'completion') because += '; completions stay local';
  else if (preferred.length) because += '; the request has tools: models that take them first';
  else if (input.tools) because += '; the request has tools, but no model allowed here takes them: sent without';
  let tail = '';
  if (privateCode && !privateGlob && !secretsForceLocal) tail += '; private code stays on local/private models';
  tail += noteText;

  return {
    ...base,
    ...counted(ok.find((m) => m.id === chosen.model)),
    model: chosen.model,
    fallbacks: ordered.slice(1).map((e) => e.model),
    rejected,
    pinned: false,
    expectedSuccess: chosen.expectedSuccess,
    meetsTarget: meets,
    chosen,
    ...(runnerUp ? { runnerUp } : {}),
    summary: `${because} — ${why}${tail}`,
  };
}

/** The first file of the request under privatePaths: the attached file, else a context item's (named). */
function privatePathOf(input: RouteInput): { what: string; glob: string } | undefined {
  const { settings, workspaceRoots } = input;
  const own = matchPrivatePath(settings.privatePaths, input.filePath, workspaceRoots);
  if (own) return { what: 'file', glob: own };
  for (const item of input.contextItems ?? []) {
    const glob = matchPrivatePath(settings.privatePaths, item.path, workspaceRoots);
    if (glob) return { what: `chip '${item.label}'`, glob };
  }
  return undefined;
}

/** "daily budget $1.00 reached ($1.02 spent)", or undefined when under every cap (0 = no cap). */
export function budgetExceeded(
  caps: WorkspaceSettings['budget'] | undefined,
  spent: BudgetState | undefined,
): string | undefined {
  if (!caps || !spent) return undefined;
  if (caps.dailyUsd > 0 && spent.spentTodayUsd >= caps.dailyUsd)
    return `daily budget ${usd(caps.dailyUsd)} reached (${usd(spent.spentTodayUsd)} spent)`;
  if (caps.monthlyUsd > 0 && spent.spentMonthUsd >= caps.monthlyUsd)
    return `monthly budget ${usd(caps.monthlyUsd)} reached (${usd(spent.spentMonthUsd)} spent)`;
  return undefined;
}

function usd(x: number): string {
  return `$${x.toFixed(2)}`;
}

/** ModelInfo has no API name field; built-in and default user ids are `${provider}/${name}`. */
function apiName(m: ModelInfo): string {
  const prefix = `${m.provider}/`;
  return m.id.startsWith(prefix) ? m.id.slice(prefix.length) : m.id;
}

function findByIdOrName(catalog: readonly ModelInfo[], ref: string): ModelInfo | undefined {
  const exact = catalog.find((m) => m.id === ref);
  if (exact) return exact;
  const byName = catalog.filter((m) => apiName(m) === ref);
  return byName.length === 1 ? byName[0] : undefined;
}

const REJECTION_TEXT: Record<RejectedCandidate['reason'], [one: string, many: string]> = {
  'no-key': ['has no API key', 'have no API key'],
  unavailable: ['is unavailable', 'are unavailable'],
  privacy: ['may not receive this code', 'may not receive this code'],
  'context-too-small': ['has too small a context window', 'have too small a context window'],
  'tier-below-threshold': ['is below the required tier', 'are below the required tier'],
  'not-allowed': ['is not allowed', 'are not allowed'],
  'over-budget': ['is over budget', 'are over budget'],
  'not-loaded': ['is not loaded', 'are not loaded'],
  'cooling-down': ['is cooling down after errors', 'are cooling down after errors'],
  'not-downloaded': ['is not downloaded yet', 'are not downloaded yet'],
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

/** "expected 0.81 ≥ target 0.75": the decision's explanation says it in these words. */
function versus(p: number, target: number): string {
  return `expected ${p.toFixed(2)} ${p >= target ? '≥' : '<'} target ${target.toFixed(2)}`;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** "+0.31", "−0.42": a learned shift as the explanation shows it. */
function signed(x: number): string {
  return `${x < 0 ? '−' : '+'}${Math.abs(x).toFixed(2)}`;
}
