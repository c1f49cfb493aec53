// Messages between the chat webview and the extension, both directions. Both ends validate with
// these schemas; a message failing its schema is dropped and logged.
// zod/mini (tree-shakable): this module is bundled into the webview, where full zod would add ~800 KB.
import * as z from 'zod/mini';
import type { ContextItemKind, Hint as WireHint } from './protocol';

const str = (max: number, min = 0) => z.string().check(z.minLength(min), z.maxLength(max));
const num = () => z.number();
const nonneg = () => z.number().check(z.nonnegative());
const arr = <T extends z.core.SomeType>(item: T, max: number) => z.array(item).check(z.maxLength(max));
const opt = z.optional;

const Id = str(200, 1);
/** Code sent from a code block action. */
const Code = str(4_000_000);

/** Mirrors RouteReason / RejectedCandidate of shared/protocol.ts (kept loose: display only). */
const RouteReason = z.object({ feature: z.string(), weight: num(), detail: z.string() });
const RejectedCandidate = z.object({ model: z.string(), reason: z.string(), detail: z.string() });

// ---------- conversation model (also what the history stores) ----------

/** The visible chip of the code attached to a request ("app.py:10-24"). */
export const ContextChip = z.object({
  label: str(500),
  /** Longer description for the tooltip (full path, lines). */
  detail: opt(str(2000)),
});
export type ContextChip = z.infer<typeof ContextChip>;

/** shared/protocol.ts's ContextItemKind in zod/mini (a test checks that they list the same values). */
export const ChipKind = z.enum([
  'editor',
  'file',
  'selection',
  'open',
  'problems',
  'terminal',
  'symbol',
  'codebase',
] satisfies ContextItemKind[]);
export type ChipKind = z.infer<typeof ChipKind>;

/** The kinds the chat input's @ menu offers (the editor's chip comes by itself). */
export const MentionKind = z.enum(['file', 'selection', 'open', 'problems', 'terminal', 'symbol', 'codebase']);
export type MentionKind = z.infer<typeof MentionKind>;

const Pos = z.object({ line: nonneg(), character: nonneg() });

/**
 * A chip of the chat: what it shows (label, size in tokens) and what to read again to rebuild it (files,
 * range, query), never its content: this is also what the history keeps.
 */
export const ChipRef = z.object({
  id: Id,
  kind: ChipKind,
  label: str(500),
  /** Longer description for the tooltip (full path, lines, what a search found). */
  detail: opt(str(4000)),
  /** Its size as sent, in tokens (chars / 4, as the router counts). */
  tokens: nonneg(),
  /** The files it read (file, selection, editor, symbol: one; open: each; problems of a file: one). */
  uris: opt(arr(str(10_000), 200)),
  range: opt(z.object({ start: Pos, end: Pos })),
  /** What was asked: the @codebase search, the @symbol name. */
  query: opt(str(2000)),
  /** @problems: of one file or of the workspace. */
  scope: opt(z.enum(['file', 'workspace'])),
});
export type ChipRef = z.infer<typeof ChipRef>;

/** The chips' total against what the chosen model can take (both in tokens). */
export const ContextBudget = z.object({
  tokens: nonneg(),
  limit: nonneg(),
  /** The model whose window sets the limit (Auto: the largest available). */
  model: str(300),
});
export type ContextBudget = z.infer<typeof ContextBudget>;

/** shared/protocol.ts's Hint in zod/mini (a test checks that they list the same values). */
export const Hint = z.enum(['local', 'best', 'stronger'] satisfies WireHint[]);

export const UserTurn = z.object({
  id: Id,
  role: z.literal('user'),
  text: str(2_000_000),
  context: opt(ContextChip),
  /** A retry asked for this hint. */
  hint: opt(Hint),
  /** The model the user had picked (absent: Auto). */
  model: opt(z.string()),
  /** The chips sent with it (references, not contents). */
  chips: opt(arr(ChipRef, 100)),
  /** What was cut to fit the model's context window, said to the user. */
  notice: opt(str(4000)),
  /** The answer's token budget when the request set one (the editor's Explain); absent: the daemon's default. */
  maxTokens: opt(z.int().check(z.positive(), z.maximum(32_768))),
});
export type UserTurn = z.infer<typeof UserTurn>;

const AnswerStatus = z.enum(['streaming', 'done', 'interrupted', 'stopped', 'error']);

export const AnswerRoute = z.object({
  summary: z.string(),
  reasons: arr(RouteReason, 200),
  rejected: arr(RejectedCandidate, 500),
  pinned: opt(z.boolean()),
  difficulty: opt(num()),
  requiredTier: opt(num()),
});
export type AnswerRoute = z.infer<typeof AnswerRoute>;

export const AssistantTurn = z.object({
  id: Id,
  role: z.literal('assistant'),
  text: str(4_000_000),
  status: AnswerStatus,
  model: opt(z.string()),
  provider: opt(z.string()),
  route: opt(AnswerRoute),
  usage: opt(z.object({ inputTokens: nonneg(), outputTokens: nonneg() })),
  costUsd: opt(nonneg()),
  latencyMs: opt(nonneg()),
  /** Models that failed before this one answered. */
  attempts: opt(arr(z.object({ model: z.string(), error: z.string() }), 50)),
  /** The daemon's id of the request (what feedback about this answer names). */
  requestId: opt(str(100)),
  error: opt(z.object({ message: str(20_000), code: opt(num()) })),
});
export type AssistantTurn = z.infer<typeof AssistantTurn>;

export const Turn = z.discriminatedUnion('role', [UserTurn, AssistantTurn]);
export type Turn = z.infer<typeof Turn>;

export const ModelOption = z.object({
  id: z.string(),
  label: z.string(),
  available: z.boolean(),
  unavailableReason: opt(z.string()),
  local: opt(z.boolean()),
});
export type ModelOption = z.infer<typeof ModelOption>;

const ConnectionStateSchema = z.enum(['starting', 'running', 'stopping', 'stopped', 'startFailed']);

// ---------- webview → extension ----------

export const WebviewToHost = z.discriminatedUnion('type', [
  /** The webview script started (first load, or the view was hidden and shown again). */
  z.object({ type: z.literal('ready') }),
  z.object({ type: z.literal('send'), text: str(1_000_000, 1) }),
  z.object({ type: z.literal('stop') }),
  /** Re-send the last user turn (same model choice), e.g. after an interrupted answer. */
  z.object({ type: z.literal('retry') }),
  /** Re-send the last user turn with hint 'stronger'. */
  z.object({ type: z.literal('retryStronger') }),
  /** null = Auto (the router picks). */
  z.object({ type: z.literal('selectModel'), model: z.nullable(str(300)) }),
  /** Removes a chip (the editor's too, until the selection or the editor changes). */
  z.object({ type: z.literal('removeChip'), id: Id }),
  /** An @ mention picked in the input: the extension asks what exactly (a file, a search...) and adds a chip. */
  z.object({ type: z.literal('addContext'), kind: MentionKind, draft: opt(str(1_000_000)) }),
  z.object({ type: z.literal('newChat') }),
  z.object({ type: z.literal('refreshModels') }),
  /** A code block's action; `answerId`: the answer it is in (its feedback for the router). */
  z.object({ type: z.literal('copyCode'), code: Code, answerId: opt(Id) }),
  z.object({ type: z.literal('insertCode'), code: Code, answerId: opt(Id) }),
  z.object({ type: z.literal('applyCode'), code: Code, language: opt(str(100)), answerId: opt(Id) }),
]);
export type WebviewToHost = z.infer<typeof WebviewToHost>;

// ---------- extension → webview ----------

export const HostToWebview = z.discriminatedUnion('type', [
  /** Full state: sent in answer to 'ready' and after New Chat. */
  z.object({
    type: z.literal('init'),
    turns: z.array(Turn),
    models: z.array(ModelOption),
    selectedModel: z.nullable(z.string()),
    chips: arr(ChipRef, 200),
    budget: opt(ContextBudget),
    streaming: z.boolean(),
    connection: opt(ConnectionStateSchema),
  }),
  z.object({
    type: z.literal('models'),
    models: z.array(ModelOption),
    selectedModel: z.nullable(z.string()),
    error: opt(z.string()),
  }),
  /** The chips of the next message, their total against the model's window, and why one could not be added. */
  z.object({
    type: z.literal('chips'),
    chips: arr(ChipRef, 200),
    budget: opt(ContextBudget),
    notice: opt(str(4000)),
  }),
  /** A turn was added or replaced (matched by id). */
  z.object({ type: z.literal('turn'), turn: Turn }),
  /** Turns were removed (a retry replaces the last answer; old turns trimmed). */
  z.object({ type: z.literal('removeTurns'), ids: z.array(Id) }),
  /** Streamed text for the answer `id`; `model` on the first chunk. */
  z.object({ type: z.literal('chunk'), id: Id, delta: z.string(), model: opt(z.string()) }),
  z.object({ type: z.literal('streaming'), streaming: z.boolean() }),
  z.object({ type: z.literal('connection'), state: ConnectionStateSchema }),
  /** Focus the message box (Open Chat). */
  z.object({ type: z.literal('focusInput') }),
]);
export type HostToWebview = z.infer<typeof HostToWebview>;

export type ParseOutcome<T> = { ok: true; message: T } | { ok: false; error: string };

function parseWith<T>(schema: z.ZodMiniType<T>, raw: unknown): ParseOutcome<T> {
  const r = schema.safeParse(raw);
  if (r.success) return { ok: true, message: r.data };
  const error = r.error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(message)'}: ${i.message}`)
    .join('; ');
  return { ok: false, error };
}

export const parseWebviewToHost = (raw: unknown): ParseOutcome<WebviewToHost> => parseWith(WebviewToHost, raw);
export const parseHostToWebview = (raw: unknown): ParseOutcome<HostToWebview> => parseWith(HostToWebview, raw);
