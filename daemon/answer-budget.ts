// How long an answer may get, per task, and the watch that gives up on a refactor as soon as its
// answer cannot become the code block it must be: a small model that never writes a fence used to
// run to a fixed 4,096-token cap (75–98 s on CPU) before the refactor failed anyway.
import { EXPLAIN_MAX_TOKENS, type RefactorKind } from '../shared/protocol';

/** Chat answers: what a client asks, else this. */
export const CHAT_MAX_TOKENS = 2048;
/** On top of twice the selection: the answer's sentence about the change, a grown docstring. */
const REFACTOR_MARGIN_TOKENS = 256;
/** Generated tests are usually longer than the code they test. */
const TESTS_MARGIN_TOKENS = 512;
const MAX_REFACTOR_TOKENS = 8192;
/**
 * Characters an answer that must be a code block may write before its fence opens: the prompt asks
 * for the block first, so this is room for a "Here is the simplified code:" line and no more.
 */
export const MAX_PREAMBLE_CHARS = 600;

/** Rough token count (four characters a token), as the router estimates prompts. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** An insertion at an empty selection: the answer is new code of any length the instruction asks. */
const INSERTION_MAX_TOKENS = 2048;

/**
 * The token budget of a refactor answer: a replacement is about as long as the selection (a merge's
 * also holds the merged block, its instruction), so twice that plus a margin; tests three times; an
 * explanation a few hundred tokens. A budget the request asks for wins.
 */
export function refactorBudget(kind: RefactorKind, code: string, asked?: number, instruction?: string): number {
  if (asked !== undefined) return asked;
  if (kind === 'explain') return EXPLAIN_MAX_TOKENS;
  if (!code && kind !== 'merge') return INSERTION_MAX_TOKENS;
  const selection = estimateTokens(kind === 'merge' ? code + (instruction ?? '') : code);
  const budget = kind === 'tests' ? 3 * selection + TESTS_MARGIN_TOKENS : 2 * selection + REFACTOR_MARGIN_TOKENS;
  return Math.min(MAX_REFACTOR_TOKENS, budget);
}

/** Refactors whose answer replaces the selection: it must hold a code block. */
export function replacesSelection(kind: RefactorKind): boolean {
  return kind !== 'explain' && kind !== 'tests';
}

/** Fed each streamed piece of an answer; says why the answer is hopeless once that is certain. */
export interface AnswerWatch {
  push(delta: string): string | undefined;
}

const FENCE_LINE = /(^|\n)(`{3,}|~{3,})/;

/**
 * Gives up on an answer that writes more than `maxPreambleChars` without opening a code block.
 * Keeps at most the preamble (bounded), and nothing once the block has opened: O(1) per token.
 */
export class FenceWatch implements AnswerWatch {
  private preamble = '';
  private opened = false;

  constructor(private readonly maxPreambleChars = MAX_PREAMBLE_CHARS) {}

  push(delta: string): string | undefined {
    if (this.opened) return undefined;
    this.preamble += delta;
    if (FENCE_LINE.test(this.preamble)) {
      this.opened = true;
      this.preamble = '';
      return undefined;
    }
    if (this.preamble.length <= this.maxPreambleChars) return undefined;
    return `wrote ${this.preamble.length} characters without starting a code block`;
  }
}
