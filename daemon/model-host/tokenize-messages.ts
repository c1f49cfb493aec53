// The model host's `tokenize` request: how many tokens each text is in a local model's own
// vocabulary (the daemon's token counter asks before routing). Served by vocab.ts in the child;
// messages.ts lists it among the parent's messages.
import { z } from 'zod';

export const TokenizeMessage = z.object({
  type: z.literal('tokenize'),
  id: z.number().int().nonnegative(),
  req: z.object({
    modelId: z.string(),
    texts: z.array(z.string().max(4_000_000)).min(1).max(10_000),
    /**
     * A model neither loaded nor with its vocabulary open: 'wait' opens the vocabulary and counts
     * (seconds, once); 'background' starts opening it and answers at once with source 'opening'.
     */
    open: z.enum(['wait', 'background']).optional(),
  }),
});
export type TokenizeMessage = z.infer<typeof TokenizeMessage>;

export const TokenizeResult = z.object({
  /** One count per text, in order (none when 'opening'); special-token text counts as the plain text it is. */
  counts: z.array(z.number().int().nonnegative()),
  /**
   * 'loaded': the loaded model counted; 'vocab-only': its GGUF's vocabulary, read without the
   * weights; 'opening': not counted, the vocabulary is being opened for the next request.
   */
  source: z.enum(['loaded', 'vocab-only', 'opening']),
});
export type TokenizeResult = z.infer<typeof TokenizeResult>;
