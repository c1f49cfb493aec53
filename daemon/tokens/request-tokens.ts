// What a request sends, counted in each candidate model's own tokens before routing: the router is
// pure and synchronous, so it reads these numbers (RouteInput.tokens) rather than counting. Each
// encoding counts once however many models use it (OpenAI's own, and the stand-ins for Claude,
// Gemini and the rest, are all o200k_base times a ratio), each text is hashed once, and each text's
// count is cached, so a conversation's earlier turns cost a lookup, not a tokenization.
import type { ModelInfo, TaskKind, WorkspaceSettings } from '../../shared/protocol';
import { findModel } from '../catalog/catalog';
import { outputReserve, type RequestTokens } from '../routing';
import type { TokenCount, TokenCounter } from './token-counter';
import { type BpeEncoding, type BpeTokenizer, localStandIn, tokenizerFor } from './tokenizers';

/** The texts a request sends, as RouteInput names them. */
export interface RequestTexts {
  task: TaskKind;
  prompt?: string;
  selectionText?: string;
  fileText?: string;
  extraTexts?: readonly string[];
  /** Chat context items (chips): each item's text is sent. */
  contextItems?: readonly { text: string }[];
}

/**
 * Counts for every model in `candidates`. A local model's own count (the model host's) is asked for
 * only when the request could overflow its window: its UTF-8 bytes bound its tokens from above
 * (+1 a text for a leading-space marker), so when bytes and the answer's room fit, no count can
 * change the decision, local models cost nothing, and the stand-in serves. When it is asked for
 * and the model is neither loaded nor its vocabulary open, the stand-in counts this time and the
 * vocabulary opens in the background: a routing decision never waits seconds for it. Both cases
 * are labelled 'approximate'.
 *
 * Inline completions are not counted (the router's chars / 4, labelled 'chars4'): they run at every
 * keystroke against a ~1 ms budget that a count of their 2,000-character prompt would take a third
 * of, the prompt fits every window, and the same text's price differs between models only by the
 * stand-ins' ratios.
 */
export async function countRequestTokens(
  counter: TokenCounter,
  req: RequestTexts,
  candidates: readonly ModelInfo[],
  signal?: AbortSignal,
): Promise<Map<string, RequestTokens>> {
  if (req.task === 'completion') return new Map();
  const texts = [
    req.prompt ?? '',
    req.selectionText ?? '',
    req.fileText ?? '',
    ...(req.extraTexts ?? []),
    ...(req.contextItems ?? []).map((item) => item.text),
  ];
  const selection = req.selectionText ? [req.selectionText] : [];
  const hashes = new Map<string, string>();
  const opts = { signal, open: 'background' as const, hashes };
  const both = async (count: (texts: readonly string[]) => Promise<TokenCount>) => {
    const input = await count(texts);
    // Counted with the input just above: a cache hit.
    const sel = selection.length ? (await count(selection)).tokens : 0;
    return { input, selection: sel };
  };

  // Raw counts per encoding, scaled per model below.
  const raw = new Map<BpeEncoding, ReturnType<typeof both>>();
  const rawOf = (encoding: BpeEncoding) => {
    let r = raw.get(encoding);
    if (!r) {
      const plain: BpeTokenizer = { kind: 'bpe', encoding, ratio: 1, method: 'exact', name: encoding };
      r = both((t) => counter.countWith(plain, t, opts));
      raw.set(encoding, r);
    }
    return r;
  };
  const bytes = mayOverflowBound(texts, selection);

  const out = new Map<string, RequestTokens>();
  await Promise.all(
    candidates.map(async (m) => {
      const own = tokenizerFor(m);
      if (own.kind === 'model-host' && bytes.input + outputReserve(req.task, bytes.selection) > m.contextWindow) {
        const c = await both((t) => counter.countWith(own, t, opts));
        out.set(m.id, { input: c.input.tokens, selection: c.selection, method: c.input.method });
        return;
      }
      const t = own.kind === 'model-host' ? localStandIn(m.id) : own;
      const r = await rawOf(t.encoding);
      // An encoding that could not load counted chars / 4: that is what it is, unscaled.
      if (r.input.method === 'chars4')
        out.set(m.id, { input: r.input.tokens, selection: r.selection, method: 'chars4' });
      else
        out.set(m.id, {
          input: Math.ceil(r.input.tokens * t.ratio),
          selection: Math.ceil(r.selection * t.ratio),
          method: t.method,
        });
    }),
  );
  return out;
}

/** Upper bounds on any tokenizer's count: UTF-8 bytes, plus one a text. */
function mayOverflowBound(
  texts: readonly string[],
  selection: readonly string[],
): { input: number; selection: number } {
  const bound = (ts: readonly string[]) => ts.reduce((n, t) => n + (t ? Buffer.byteLength(t) + 1 : 0), 0);
  return { input: bound(texts), selection: bound(selection) };
}

/**
 * The models a request may be routed to, whose counts the router reads: those serving the task and
 * available now, not excluded, and the pinned one (the router reports on it even when it is not).
 */
export function routeCandidates(
  catalog: readonly ModelInfo[],
  req: { task: TaskKind; pinnedModel?: string; excludeModels?: readonly string[]; settings: WorkspaceSettings },
): ModelInfo[] {
  const excluded = new Set(req.excludeModels ?? []);
  const pinRef = req.pinnedModel && req.pinnedModel !== 'auto' ? req.pinnedModel : req.settings.models?.[req.task];
  const pinned = pinRef && pinRef !== 'auto' ? findModel(catalog, pinRef) : undefined;
  if (pinned) return [pinned];
  return catalog.filter((m) => m.tasks.includes(req.task) && m.available && !excluded.has(m.id));
}
