// Pure logic of "Gearbox: Select Model…": the task list and the model Quick Pick items.
// No `vscode` import: extension/model-picker.ts maps these to QuickPickItems; tested in plain Node.
import type { ModelInfo, TaskKind } from '../../shared/protocol';

export const AUTO_MODEL = 'auto';

const TASKS: readonly { task: TaskKind; label: string }[] = [
  { task: 'completion', label: 'Completion' },
  { task: 'chat', label: 'Chat' },
  { task: 'refactor', label: 'Refactor' },
];

const PROVIDER_NAMES: Record<string, string> = {
  local: 'Local',
  openai: 'OpenAI',
  anthropic: 'Anthropic',
  gemini: 'Google Gemini',
  xai: 'xAI',
  deepseek: 'DeepSeek',
  mistral: 'Mistral',
  groq: 'Groq',
};
/** Providers listed in this order first; the others follow alphabetically. */
const PROVIDER_ORDER = ['local', 'openai', 'anthropic', 'gemini'];

export function providerDisplayName(provider: string): string {
  return PROVIDER_NAMES[provider] ?? provider;
}

export interface TaskItem {
  task: TaskKind;
  label: string;
  /** The current setting, e.g. "auto (router)" or a model id. */
  description: string;
}

/** The first step: which task to pin, each showing its current choice. */
export function buildTaskItems(current: Partial<Record<TaskKind, string | undefined>>): TaskItem[] {
  return TASKS.map(({ task, label }) => {
    const v = current[task]?.trim() || AUTO_MODEL;
    return { task, label, description: v === AUTO_MODEL ? 'current: Auto (router)' : `current: ${v}` };
  });
}

export type ModelItem =
  | { kind: 'separator'; label: string }
  | {
      kind: 'model';
      label: string;
      description?: string;
      detail?: string;
      /** The value written to gearbox.models.<task>: a model id or 'auto'. */
      value: string;
      /** False: shown (with the reason) but picking it does nothing. */
      selectable: boolean;
      unavailableReason?: string;
      /** Set when the model only lacks an API key: the item gets a "Set API key" button. */
      keyProvider?: string;
      current: boolean;
    };

export interface BuildModelItemsInput {
  models: readonly ModelInfo[];
  task: TaskKind;
  /** The current gearbox.models.<task> value (undefined/empty = auto). */
  current?: string;
  /** gearbox.allowedModels: when non-empty, other models are shown but not selectable. */
  allowedModels?: readonly string[];
}

/** "$0.15 / $0.60 per MTok in/out" or "free". */
export function formatPrice(m: Pick<ModelInfo, 'inputPricePerMTok' | 'outputPricePerMTok'>): string {
  if (m.inputPricePerMTok === 0 && m.outputPricePerMTok === 0) return 'free';
  return `$${formatUsd(m.inputPricePerMTok)} / $${formatUsd(m.outputPricePerMTok)} per MTok in/out`;
}

function formatUsd(n: number): string {
  const cents = n.toFixed(2);
  if (Math.abs(Number(cents) - n) < 1e-9) return cents;
  // Sub-cent precision (0.075) without float noise.
  return String(Number(n.toPrecision(3)));
}

/** 8192 → "8K", 1048576 → "1M", 200000 → "200K". */
export function formatContextWindow(tokens: number): string {
  if (tokens >= 1_000_000) return `${trim(tokens / 1_000_000)}M`;
  if (tokens >= 1000) return `${trim(tokens % 1000 !== 0 && tokens % 1024 === 0 ? tokens / 1024 : tokens / 1000)}K`;
  return String(tokens);
}

function trim(n: number): string {
  return String(Number(n.toFixed(1)));
}

const TIER_NAMES = ['small local', 'strong local / cheap cloud', 'mid cloud', 'frontier'];

export function formatDetail(m: ModelInfo): string {
  const parts = [
    formatPrice(m),
    `${formatContextWindow(m.contextWindow)} context`,
    `tier ${m.tier} (${TIER_NAMES[m.tier] ?? '?'})`,
  ];
  if (m.local) parts.push(m.loaded ? 'loaded' : 'loads on first use');
  else if (m.private) parts.push('private endpoint');
  return parts.join(' · ');
}

function providerRank(p: string): [number, string] {
  const i = PROVIDER_ORDER.indexOf(p);
  return [i < 0 ? PROVIDER_ORDER.length : i, providerDisplayName(p).toLowerCase()];
}

/** The provider whose missing API key makes the model unavailable, when that is the reason. */
export function missingKeyProvider(
  m: Pick<ModelInfo, 'available' | 'unavailable' | 'provider' | 'local'>,
): string | undefined {
  return !m.available && !m.local && m.unavailable === 'no-key' ? m.provider : undefined;
}

/**
 * "Auto (router)" first, then the models grouped by provider (Local, then OpenAI, Anthropic,
 * Gemini, then the others), each group behind a separator. Unavailable models stay visible.
 */
export function buildModelItems(input: BuildModelItemsInput): ModelItem[] {
  const current = input.current?.trim() || AUTO_MODEL;
  const allowed = input.allowedModels?.length ? new Set(input.allowedModels) : undefined;
  const items: ModelItem[] = [
    {
      kind: 'model',
      label: current === AUTO_MODEL ? '$(check) Auto (router)' : 'Auto (router)',
      description: 'the cheapest model that is good enough for each request',
      value: AUTO_MODEL,
      selectable: true,
      current: current === AUTO_MODEL,
    },
  ];

  const models = input.models.filter((m) => m.tasks.includes(input.task));
  const groups = new Map<string, ModelInfo[]>();
  for (const m of models) {
    const key = m.local ? 'local' : m.provider;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(m);
  }
  const providers = [...groups.keys()].sort((a, b) => {
    const [ra, na] = providerRank(a);
    const [rb, nb] = providerRank(b);
    return ra - rb || na.localeCompare(nb);
  });

  for (const p of providers) {
    items.push({ kind: 'separator', label: providerDisplayName(p) });
    const group = groups.get(p)!;
    // Usable ones first, then by tier and price, so the cheap good options are on top.
    group.sort(
      (a, b) =>
        Number(b.available) - Number(a.available) ||
        a.tier - b.tier ||
        a.inputPricePerMTok + a.outputPricePerMTok - (b.inputPricePerMTok + b.outputPricePerMTok) ||
        a.displayName.localeCompare(b.displayName),
    );
    for (const m of group) {
      const notAllowed = allowed !== undefined && !allowed.has(m.id);
      const reason = !m.available
        ? (m.unavailableReason ?? 'unavailable')
        : notAllowed
          ? 'not in gearbox.allowedModels for this workspace'
          : undefined;
      const isCurrent = m.id === current;
      items.push({
        kind: 'model',
        label: `${isCurrent ? '$(check) ' : ''}${m.displayName}${reason ? ` — unavailable: ${reason}` : ''}`,
        description: m.id,
        detail: formatDetail(m),
        value: m.id,
        selectable: reason === undefined,
        unavailableReason: reason,
        keyProvider: notAllowed ? undefined : missingKeyProvider(m),
        current: isCurrent,
      });
    }
  }

  // A pinned id the daemon does not know (removed from config, typo): keep it visible.
  if (current !== AUTO_MODEL && !models.some((m) => m.id === current)) {
    items.push({ kind: 'separator', label: 'Current setting' });
    items.push({
      kind: 'model',
      label: `$(check) ${current}`,
      description: 'not in the daemon catalog for this task',
      value: current,
      selectable: true,
      current: true,
    });
  }
  return items;
}
