// Sizes of text before any model is chosen for it (code search results, sized for a chat's context):
// o200k_base, the encoding of OpenAI's current models and the stand-in for the others, so labelled
// 'approximate'; chars / 4 only if the encoding cannot load.
import type { TokenCountMethod } from '../../shared/protocol';
import { loadBpe } from './bpe';

export type SnippetSize = { tokens: number; tokensMethod: TokenCountMethod };

export async function snippetSizer(): Promise<(text: string) => SnippetSize> {
  try {
    const count = await loadBpe('o200k_base');
    return (text) => ({ tokens: count(text), tokensMethod: 'approximate' });
  } catch {
    return (text) => ({ tokens: Math.ceil(text.length / 4), tokensMethod: 'chars4' });
  }
}
