// The code of a model's answer for an edit: its first fenced block, also while the answer is still
// streaming (the block's lines so far). No `vscode` import; tested in Node.

const OPEN = /(^|\n)[ \t]*(`{3,}|~{3,})[^\n]*\n/;

/**
 * The first fenced block's content: `complete` when its closing fence arrived. Undefined while no
 * fence has opened (prose first, or no code at all).
 */
export function answerCode(markdown: string): { code: string; complete: boolean } | undefined {
  const open = OPEN.exec(markdown);
  if (!open) return undefined;
  const fence = open[2]!;
  const start = open.index + open[0].length;
  const rest = markdown.slice(start);
  const close = new RegExp(`(^|\\n)[ \\t]*${fence[0] === '`' ? '`' : '~'}{${fence.length},}[ \\t]*(\\n|$)`).exec(rest);
  if (close) return { code: rest.slice(0, close.index), complete: true };
  return { code: rest, complete: false };
}
