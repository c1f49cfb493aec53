// Which tokenizer counts a catalog model's tokens (token-counter.ts runs it), and how exact that is.
// - Local models: their own GGUF vocabulary, in the model host ('exact').
// - OpenAI models: their tiktoken encoding, by gpt-tokenizer's model map; models it does not list
//   get o200k_base, OpenAI's encoding for every model since gpt-4o ('exact').
// - Claude and Gemini: no tokenizer of theirs can run here, and their count-tokens endpoints are
//   network calls that would send the prompt out before the router has decided where it may go.
//   o200k_base times a ratio stands in ('approximate').
// - Other OpenAI-compatible endpoints (DeepSeek, Grok, Mistral, Llama on Groq, self-hosted): their
//   tokenizer is unknown here, so the same stand-in ('approximate').
import { modelToEncodingMap } from 'gpt-tokenizer/mapping';
import type { ModelInfo, TokenCountMethod } from '../../shared/protocol';

/** The BPE encodings this daemon ships (gpt-tokenizer's ranks, loaded on first use). */
export type BpeEncoding = 'o200k_base' | 'cl100k_base';

/** An in-process encoding; a stand-in's count is `ratio` times the encoding's. */
export interface BpeTokenizer {
  kind: 'bpe';
  encoding: BpeEncoding;
  ratio: number;
  method: Exclude<TokenCountMethod, 'chars4'>;
  name: string;
}
export type Tokenizer = { kind: 'model-host'; modelId: string; name: string } | BpeTokenizer;

/**
 * Tokens per o200k_base token for models whose tokenizer cannot run here, rounded up (over-counting
 * keeps a context-window check safe). Measured on this repository's TypeScript (code) and Markdown
 * (prose) with published tokenizers: Gemma's (Gemini's family, 256k vocabulary) gives 1.17 × o200k
 * on code and 1.10 on prose; Claude 2's gives 1.10 and 1.02, and Anthropic says its tokenizer since
 * Opus 4.7 uses up to 1.35 × as many tokens as before, so Claude gets 1.25. Qwen2.5's (the local
 * test model's, bench/tokens.ts) gives 1.00 on code and 1.01 on prose, but other families differ
 * (Qwen itself reads digits one per token): local models counted without their own vocabulary
 * get 1.1, as do other endpoints' models.
 */
export const STAND_IN_RATIO = { anthropic: 1.25, gemini: 1.17, other: 1.1 } as const;

/** The model fields that decide its tokenizer. */
export type TokenizerModel = Pick<ModelInfo, 'id' | 'provider' | 'providerKind' | 'local'>;

export function tokenizerFor(m: TokenizerModel): Tokenizer {
  if (m.local) return { kind: 'model-host', modelId: m.id, name: `${m.id}'s own (its GGUF vocabulary)` };
  const name = apiName(m);
  if (m.providerKind === 'openai' || isOpenAiName(name)) {
    const { encoding, exact } = openAiEncoding(name);
    return { kind: 'bpe', encoding, ratio: 1, method: exact ? 'exact' : 'approximate', name: encoding };
  }
  if (m.providerKind === 'anthropic') return standIn(STAND_IN_RATIO.anthropic, 'Claude');
  if (m.providerKind === 'gemini') return standIn(STAND_IN_RATIO.gemini, 'Gemini');
  return standIn(STAND_IN_RATIO.other, name);
}

/** What a local model's count falls back to when the model host cannot tokenize for it. */
export function localStandIn(modelId: string): BpeTokenizer {
  return standIn(STAND_IN_RATIO.other, modelId);
}

/** What a count for no model in particular uses (no model to choose from). */
export function anyModelStandIn(): BpeTokenizer {
  return standIn(STAND_IN_RATIO.other, 'any model');
}

function standIn(ratio: number, forWhom: string): BpeTokenizer {
  return {
    kind: 'bpe',
    encoding: 'o200k_base',
    ratio,
    method: 'approximate',
    name: `o200k_base × ${ratio} (${forWhom})`,
  };
}

/** The name the provider's API knows the model by, without a router's "openai/" prefix. */
function apiName(m: TokenizerModel): string {
  const prefix = `${m.provider}/`;
  const name = m.id.startsWith(prefix) ? m.id.slice(prefix.length) : m.id;
  return name.startsWith('openai/') ? name.slice('openai/'.length) : name;
}

/** OpenAI's model names (gpt-…, o1/o3/o4…, chatgpt-…), served through a compatible endpoint too. */
function isOpenAiName(name: string): boolean {
  return Object.hasOwn(modelToEncodingMap, name) || /^(gpt-\d|o\d|chatgpt-)/.test(name);
}

/**
 * cl100k_base for gpt-4 and gpt-3.5, o200k_base for the rest; the GPT-3 era's own encodings are not
 * shipped, so those models get cl100k_base as a stand-in.
 */
function openAiEncoding(name: string): { encoding: BpeEncoding; exact: boolean } {
  const listed = Object.hasOwn(modelToEncodingMap, name)
    ? modelToEncodingMap[name as keyof typeof modelToEncodingMap]
    : undefined;
  if (listed === undefined || listed === 'o200k_base' || listed === 'o200k_harmony')
    return { encoding: 'o200k_base', exact: true };
  return { encoding: 'cl100k_base', exact: listed === 'cl100k_base' };
}
