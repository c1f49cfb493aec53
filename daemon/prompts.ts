// Prompt text for chat and refactors, and parsing of model answers into edits.
import type { ChatMessage, RefactorKind } from '../shared/protocol';

const CHAT_SYSTEM_PROMPT =
  "You are Gearbox, a concise coding assistant inside the user's editor. Answer with working code in fenced " +
  'code blocks tagged with their language, and keep prose short.';

export function attachContext(
  messages: ChatMessage[],
  ctx: { fileName?: string; languageId?: string; code?: string } | undefined,
): ChatMessage[] {
  const out: ChatMessage[] =
    messages[0]?.role === 'system' ? [...messages] : [{ role: 'system', content: CHAT_SYSTEM_PROMPT }, ...messages];
  if (!ctx?.code) return out;
  // The context goes into the last user turn so that earlier turns (and their KV cache) stay stable.
  const lastUser = findLastIndex(out, (m) => m.role === 'user');
  if (lastUser < 0) return out;
  const fence = fenceFor(ctx.code);
  const header = ctx.fileName ? `Context from ${ctx.fileName}:` : 'Context:';
  const block = `${header}\n${fence}${ctx.languageId ?? ''}\n${ctx.code}\n${fence}\n\n`;
  out[lastUser] = { role: 'user', content: block + out[lastUser]!.content };
  return out;
}

const INSTRUCTIONS: Record<Exclude<RefactorKind, 'refactor'>, string> = {
  explain: 'Explain what this code does, step by step, and point out anything surprising or risky.',
  document:
    'Add documentation comments (in the idiomatic style of the language) to this code. Do not change its behaviour.',
  types: 'Add precise type annotations to this code. Do not change its behaviour.',
  simplify: 'Simplify this code: make it shorter and clearer while keeping exactly the same behaviour.',
  tests: 'Write unit tests for this code using the test framework most idiomatic for the language.',
};

function refactorInstruction(kind: RefactorKind, instruction: string | undefined): string {
  if (kind === 'refactor') return instruction?.trim() || 'Improve this code.';
  const base = INSTRUCTIONS[kind];
  return instruction?.trim() ? `${base}\nAlso: ${instruction.trim()}` : base;
}

/** Refactors other than explain/tests replace the selection, so the answer must be exactly one code block. */
export function refactorMessages(
  kind: RefactorKind,
  instruction: string | undefined,
  code: string,
  languageId: string | undefined,
  fileName: string | undefined,
): ChatMessage[] {
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
