// Counts that clients ask for: gearbox/tokens/count (vscode.lm's provideTokenCount) and the HTTP
// API's count_tokens. A named model's count is its own tokenizer's. Where the router will choose
// (Gearbox Auto, Gearbox Local), the largest count over the models it may choose: the caller sizes
// a prompt with it, and a prompt that fits the largest fits whichever model is picked.
import { ErrorCodes, type ModelInfo, type TokensCountParams, type TokensCountResult } from '../../shared/protocol';
import { findModel } from '../catalog/catalog';
import { GearboxError } from '../gearbox-error';
import type { TokenCount, TokenCounter } from './token-counter';
import { anyModelStandIn, tokenizerFor } from './tokenizers';

export async function countForClient(
  counter: TokenCounter,
  catalog: readonly ModelInfo[],
  params: TokensCountParams,
  signal?: AbortSignal,
): Promise<TokensCountResult> {
  if (params.model !== undefined) {
    const m = findModel(catalog, params.model);
    if (!m) throw new GearboxError(ErrorCodes.InvalidParams, `Unknown model '${params.model}': not in the catalog`);
    return result(await counter.count(m, params.texts, signal));
  }
  const local = params.hint === 'local';
  const choices = catalog.filter((m) => m.available && m.tasks.includes('chat') && (!local || m.local));
  // One count per tokenizer: a dozen OpenAI models share o200k_base.
  const byTokenizer = new Map<string, ModelInfo>();
  for (const m of choices) byTokenizer.set(tokenizerFor(m).name, m);
  const counts = await Promise.all([...byTokenizer.values()].map((m) => counter.count(m, params.texts, signal)));
  let largest = counts[0];
  for (const c of counts) if (largest && c.tokens > largest.tokens) largest = c;
  // No model to choose from: what any of them would most likely count.
  largest ??= await counter.countWith(anyModelStandIn(), params.texts, { signal });
  return result(largest);
}

function result(c: TokenCount): TokensCountResult {
  return { tokens: c.tokens, method: c.method, tokenizer: c.tokenizer };
}
