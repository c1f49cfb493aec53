// Chat history per workspace over a Memento-like store (vscode's workspaceState), with size caps.
import { z } from 'zod';
import { ChipRef, Turn } from '../../shared/webview-protocol';

export interface MementoLike {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void> | Promise<void>;
}

export const HISTORY_KEY = 'gearbox.chat.history.v1';

export interface HistoryLimits {
  /** Most turns kept (user and assistant turns each count). */
  maxTurns: number;
  /** Most characters of JSON stored. */
  maxChars: number;
}

const DEFAULT_HISTORY_LIMITS: HistoryLimits = { maxTurns: 200, maxChars: 1_500_000 };

export interface HistoryState {
  turns: Turn[];
  /**
   * The chips of the last request, as references (files, ranges, queries; never their content), so
   * that a retry after a reload reads them again.
   */
  lastChips?: ChipRef[];
  /** The model picked in the header (null / absent = Auto). */
  selectedModel: string | null;
}

const Stored = z.object({
  version: z.literal(1),
  turns: z.array(z.unknown()),
  lastChips: z.unknown().optional(),
  selectedModel: z.string().nullable().optional(),
});

const TRUNCATED_NOTE = '\n\n…(truncated in history)';

export class HistoryStore {
  readonly limits: HistoryLimits;

  constructor(
    private readonly memento: MementoLike,
    limits: Partial<HistoryLimits> = {},
    private readonly onInvalid: (why: string) => void = () => {},
  ) {
    this.limits = { ...DEFAULT_HISTORY_LIMITS, ...limits };
  }

  load(): HistoryState {
    const raw = this.memento.get<unknown>(HISTORY_KEY);
    if (raw === undefined) return { turns: [], selectedModel: null };
    const parsed = Stored.safeParse(raw);
    if (!parsed.success) {
      this.onInvalid('stored chat history has an unknown shape; starting fresh');
      return { turns: [], selectedModel: null };
    }
    const turns: Turn[] = [];
    let dropped = 0;
    for (const t of parsed.data.turns) {
      const r = Turn.safeParse(t);
      if (!r.success) {
        dropped++;
        continue;
      }
      // A reload cut any answer that was still streaming.
      const turn =
        r.data.role === 'assistant' && r.data.status === 'streaming'
          ? { ...r.data, status: 'interrupted' as const }
          : r.data;
      turns.push(turn);
    }
    if (dropped) this.onInvalid(`dropped ${dropped} invalid turn(s) from the stored chat history`);
    const stored = Array.isArray(parsed.data.lastChips) ? parsed.data.lastChips : [];
    const chips = stored.map((c) => ChipRef.safeParse(c));
    const lastChips = chips.every((c) => c.success) ? chips.map((c) => c.data!) : [];
    return {
      turns,
      ...(lastChips.length ? { lastChips } : {}),
      selectedModel: parsed.data.selectedModel ?? null,
    };
  }

  /** Stores the state trimmed to the limits; returns what was stored. */
  async save(state: HistoryState): Promise<HistoryState> {
    const trimmed = trimHistory(state, this.limits);
    await this.memento.update(HISTORY_KEY, { version: 1, ...trimmed });
    return trimmed;
  }

  async clear(keepModel: string | null = null): Promise<void> {
    await this.memento.update(HISTORY_KEY, { version: 1, turns: [], selectedModel: keepModel });
  }
}

/** Oldest turns go first; an answer never stays without its question; oversized texts are cut. */
export function trimHistory(state: HistoryState, limits: HistoryLimits = DEFAULT_HISTORY_LIMITS): HistoryState {
  const perTurnMax = Math.max(1000, Math.floor(limits.maxChars / 2));
  let turns = state.turns.map((t) =>
    t.text.length > perTurnMax ? { ...t, text: t.text.slice(0, perTurnMax) + TRUNCATED_NOTE } : t,
  );
  let lastChips = state.lastChips;
  if (lastChips && JSON.stringify(lastChips).length > limits.maxChars / 3) lastChips = undefined;

  if (turns.length > limits.maxTurns) turns = turns.slice(turns.length - limits.maxTurns);
  const sizes = turns.map((t) => JSON.stringify(t).length + 1);
  let total = sizes.reduce((a, b) => a + b, 0) + (lastChips ? JSON.stringify(lastChips).length : 0) + 100;
  let start = 0;
  while (start < turns.length && total > limits.maxChars) {
    total -= sizes[start]!;
    start++;
  }
  while (start < turns.length && turns[start]!.role === 'assistant') start++;
  turns = turns.slice(start);
  return { turns, selectedModel: state.selectedModel, ...(lastChips ? { lastChips } : {}) };
}
