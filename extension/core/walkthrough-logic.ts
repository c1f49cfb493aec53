// Decisions behind the "Get started with Gearbox" walkthrough and its steps: whether to open it
// on first activation, whether a local model can serve yet, the routing choices and the sample
// file of "Try completion". No `vscode` import: extension/walkthrough.ts acts on these.
import type { LocalModelEntry } from '../../shared/protocol';

/** globalState key: the first activation decided whether to open the walkthrough (it opens once). */
export const WALKTHROUGH_DECIDED_STATE = 'gearbox.walkthroughDecided';
/** package.json contributes.walkthroughs[0].id. */
export const WALKTHROUGH_ID = 'gearbox.start';

/** A local model can serve now: its file is on disk (a download in progress does not count yet). */
export function hasUsableLocalModel(models: readonly Pick<LocalModelEntry, 'state'>[]): boolean {
  return models.some((m) => m.state === 'on-disk' || m.state === 'loaded');
}

/** Open the walkthrough on the first activation that finds no usable local model and no API key. */
export function shouldOpenWalkthrough(input: {
  decidedBefore: boolean;
  models: readonly Pick<LocalModelEntry, 'state'>[];
  providersWithKeys: readonly string[];
}): boolean {
  if (input.decidedBefore) return false;
  return !hasUsableLocalModel(input.models) && input.providersWithKeys.length === 0;
}

export interface RoutingChoice {
  label: string;
  description: string;
  detail: string;
  mode: 'auto' | 'local-only';
  /** routing.quality to set (unchanged for local-only). */
  quality?: number;
  current: boolean;
}

const LEVELS: readonly { quality: number; label: string; detail: string }[] = [
  { quality: 0, label: 'Cheapest', detail: 'Local and low-cost models unless a request clearly needs more.' },
  { quality: 3, label: 'Thrifty', detail: 'Mostly local; paid models for the harder requests.' },
  { quality: 5, label: 'Balanced', detail: 'The default: the cheapest model likely to get it right.' },
  { quality: 8, label: 'Quality', detail: 'Stronger models sooner; costs more.' },
  { quality: 10, label: 'Best', detail: 'The strongest model available for anything non-trivial.' },
];

/** "Gearbox: Choose Routing…": five quality levels and local-only, the current one marked. */
export function routingChoices(current: { mode: string; quality: number }): RoutingChoice[] {
  const choices: RoutingChoice[] = LEVELS.map((l) => ({
    label: l.label,
    description: `routing.quality ${l.quality}`,
    detail: l.detail,
    mode: 'auto',
    quality: l.quality,
    current: current.mode !== 'local-only' && current.quality === l.quality,
  }));
  choices.push({
    label: 'Local only',
    description: 'routing.mode local-only',
    detail: 'Nothing leaves this machine; closed models are never used.',
    mode: 'local-only',
    current: current.mode === 'local-only',
  });
  return choices.map((c) => (c.current ? { ...c, label: `$(check) ${c.label}` } : c));
}

/** "Try completion": a short Python file with the cursor where a completion makes sense. */
export const TRY_COMPLETION_SAMPLE = {
  language: 'python',
  text: 'def fibonacci(n):\n    """Return the n-th Fibonacci number."""\n    ',
  /** 0-based: the end of the last line, inside the function body. */
  cursor: { line: 2, character: 4 },
} as const;
