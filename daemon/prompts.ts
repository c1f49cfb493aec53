// Prompt text for chat and refactors, and parsing of model answers into edits.
import type { ChatMessage, ContextItem, RefactorKind } from '../shared/protocol';
import { offsetAt } from '../shared/text-range';

const CHAT_SYSTEM_PROMPT =
  "You are Gearbox, a concise coding assistant inside the user's editor. Answer with working code in fenced " +
  'code blocks tagged with their language, and keep prose short.';

/** What a chat item sends: its label (the chip the user saw) and text; `languageId` tags the fence. */
export type PromptItem = Pick<ContextItem, 'label' | 'text' | 'languageId'>;

export function attachContext(
  messages: ChatMessage[],
  ctx: { fileName?: string; languageId?: string; code?: string } | undefined,
  items: readonly PromptItem[] = [],
): ChatMessage[] {
  const out: ChatMessage[] =
    messages[0]?.role === 'system' ? [...messages] : [{ role: 'system', content: CHAT_SYSTEM_PROMPT }, ...messages];
  const blocks: string[] = [];
  if (ctx?.code)
    blocks.push(fenced(ctx.fileName ? `Context from ${ctx.fileName}:` : 'Context:', ctx.code, ctx.languageId));
  for (const item of items) if (item.text) blocks.push(fenced(`Context ${item.label}:`, item.text, item.languageId));
  if (!blocks.length) return out;
  // The context goes into the last user turn so that earlier turns (and their KV cache) stay stable.
  const lastUser = findLastIndex(out, (m) => m.role === 'user');
  if (lastUser < 0) return out;
  out[lastUser] = { role: 'user', content: blocks.join('') + out[lastUser]!.content };
  return out;
}

function fenced(header: string, code: string, languageId: string | undefined): string {
  const fence = fenceFor(code);
  return `${header}\n${fence}${languageId ?? ''}\n${code}\n${fence}\n\n`;
}

const INSTRUCTIONS: Record<Exclude<RefactorKind, 'refactor' | 'merge'>, string> = {
  explain: 'Explain what this code does, step by step, and point out anything surprising or risky.',
  document:
    'Add documentation comments (in the idiomatic style of the language) to this code. Do not change its behaviour.',
  types: 'Add precise type annotations to this code. Do not change its behaviour.',
  simplify: 'Simplify this code: make it shorter and clearer while keeping exactly the same behaviour.',
  tests: 'Write unit tests for this code using the test framework most idiomatic for the language.',
};

function refactorInstruction(kind: Exclude<RefactorKind, 'merge'>, instruction: string | undefined): string {
  if (kind === 'refactor') return instruction?.trim() || 'Improve this code.';
  const base = INSTRUCTIONS[kind];
  return instruction?.trim() ? `${base}\nAlso: ${instruction.trim()}` : base;
}

/** The file around an empty selection: code is written to go between `before` and `after`. */
export interface InsertionPoint {
  before: string;
  after: string;
}

/**
 * Refactors other than explain/tests replace the selection, so the answer must be exactly one code block.
 * An empty selection with `insertAt` asks for code to insert there (the inline edit without a selection);
 * 'merge' asks for the whole file (`code`) with the block in `instruction` merged into it.
 */
export function refactorMessages(
  kind: RefactorKind,
  instruction: string | undefined,
  code: string,
  languageId: string | undefined,
  fileName: string | undefined,
  insertAt?: InsertionPoint,
): ChatMessage[] {
  if (kind === 'merge') return mergeMessages(instruction ?? '', code, languageId, fileName);
  if (!code && insertAt) return insertMessages(kind, instruction, insertAt, languageId, fileName);
  const fence = fenceFor(code);
  const what = refactorInstruction(kind, instruction);
  const replaces = kind !== 'explain' && kind !== 'tests';
  const format = replaces
    ? 'Reply with the complete replacement for the selected code in a single fenced code block, ' +
      'then at most two sentences on what changed.'
    : kind === 'tests'
      ? 'Reply with the tests in a single fenced code block.'
      : 'Reply in Markdown.';
  return [
    { role: 'system', content: CHAT_SYSTEM_PROMPT },
    {
      role: 'user',
      content:
        `${what}\n${format}\n\nSelected code${fileName ? ` from ${fileName}` : ''}:\n` +
        `${fence}${languageId ?? ''}\n${code}\n${fence}`,
    },
  ];
}

/** Lines of the file sent on each side of an insertion point (an inline edit without a selection). */
const INSERT_CONTEXT_LINES = 60;
const INSERT_CONTEXT_CHARS = 6000;

/** The file around `at`, cut to whole lines within INSERT_CONTEXT_LINES / _CHARS on each side. */
export function insertionPoint(text: string, at: { line: number; character: number }): InsertionPoint {
  const offset = offsetAt(text, at);
  const beforeLines = text.slice(0, offset).split('\n');
  const afterLines = text.slice(offset).split('\n');
  let before = beforeLines.slice(-INSERT_CONTEXT_LINES).join('\n');
  let after = afterLines.slice(0, INSERT_CONTEXT_LINES).join('\n');
  if (before.length > INSERT_CONTEXT_CHARS)
    before = before.slice(before.indexOf('\n', before.length - INSERT_CONTEXT_CHARS) + 1);
  if (after.length > INSERT_CONTEXT_CHARS) after = after.slice(0, after.lastIndexOf('\n', INSERT_CONTEXT_CHARS) + 1);
  return { before, after };
}

const CURSOR = '<CURSOR>';

function insertMessages(
  kind: Exclude<RefactorKind, 'merge'>,
  instruction: string | undefined,
  at: InsertionPoint,
  languageId: string | undefined,
  fileName: string | undefined,
): ChatMessage[] {
  const around = `${at.before}${CURSOR}${at.after}`;
  const fence = fenceFor(around);
  return [
    { role: 'system', content: CHAT_SYSTEM_PROMPT },
    {
      role: 'user',
      content:
        `${refactorInstruction(kind, instruction)}\nWrite the code to insert at ${CURSOR}. Reply with only that code ` +
        'in a single fenced code block (not the code around it), then at most two sentences.\n\n' +
        `The file${fileName ? ` ${fileName}` : ''} around ${CURSOR}:\n${fence}${languageId ?? ''}\n${around}\n${fence}`,
    },
  ];
}

function mergeMessages(
  block: string,
  file: string,
  languageId: string | undefined,
  fileName: string | undefined,
): ChatMessage[] {
  const fileFence = fenceFor(file);
  const blockFence = fenceFor(block);
  return [
    { role: 'system', content: CHAT_SYSTEM_PROMPT },
    {
      role: 'user',
      content:
        'Merge the code block into the file: keep every part of the file the block does not change, replace ' +
        "what it rewrites, add what it adds (comments like '... existing code ...' stand for unchanged code). " +
        'Reply with the complete merged file in a single fenced code block and nothing else.\n\n' +
        `The file${fileName ? ` ${fileName}` : ''}:\n${fileFence}${languageId ?? ''}\n${file}\n${fileFence}\n\n` +
        `The code block:\n${blockFence}${languageId ?? ''}\n${block}\n${blockFence}`,
    },
  ];
}

/** The first fenced code block of a Markdown answer, or undefined. */
export function firstCodeBlock(markdown: string): string | undefined {
  const m = /(^|\n)(`{3,}|~{3,})[^\n]*\n([\s\S]*?)\n\2[ \t]*(\n|$)/.exec(markdown);
  return m ? m[3] : undefined;
}

/** The answer with its first code block removed: what the model said about the change. */
export function proseAround(markdown: string): string {
  return markdown.replace(/(^|\n)(`{3,}|~{3,})[^\n]*\n[\s\S]*?\n\2[ \t]*(\n|$)/, '\n').trim();
}

function fenceFor(code: string): string {
  let fence = '```';
  while (code.includes(fence)) fence += '`';
  return fence;
}

function findLastIndex<T>(arr: T[], pred: (v: T) => boolean): number {
  for (let i = arr.length - 1; i >= 0; i--) if (pred(arr[i]!)) return i;
  return -1;
}
