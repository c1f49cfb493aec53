// Pure logic of the refactor commands. No `vscode` import; tested in plain Node.
import type { Range, RefactorKind, RefactorResult, TextEdit } from '../../shared/protocol';
import { offsetAt } from '../../shared/text-range';

export const REFACTOR_COMMANDS: readonly { command: string; kind: RefactorKind; title: string }[] = [
  { command: 'gearbox.refactor.custom', kind: 'refactor', title: 'Refactor' },
  { command: 'gearbox.refactor.explain', kind: 'explain', title: 'Explain' },
  { command: 'gearbox.refactor.document', kind: 'document', title: 'Add Documentation' },
  { command: 'gearbox.refactor.types', kind: 'types', title: 'Add Types' },
  { command: 'gearbox.refactor.simplify', kind: 'simplify', title: 'Simplify' },
  { command: 'gearbox.refactor.tests', kind: 'tests', title: 'Generate Tests' },
];

export function refactorTitle(kind: RefactorKind): string {
  return REFACTOR_COMMANDS.find((c) => c.kind === kind)?.title ?? kind;
}

/** Only these return edits; explain and tests return markdown in `explanation`. */
export function kindReturnsEdits(kind: RefactorKind): boolean {
  return kind !== 'explain' && kind !== 'tests';
}

/** The argument of `gearbox.refactor` (the daemon's code actions), validated loosely. */
export interface CodeActionArg {
  kind: RefactorKind;
  uri: string;
  range: Range;
}

const KINDS: readonly RefactorKind[] = ['refactor', 'explain', 'document', 'types', 'simplify', 'tests'];

function isPos(p: unknown): p is { line: number; character: number } {
  const o = p as { line?: unknown; character?: unknown } | null;
  return (
    !!o &&
    Number.isInteger(o.line) &&
    Number.isInteger(o.character) &&
    (o.line as number) >= 0 &&
    (o.character as number) >= 0
  );
}

export function parseCodeActionArg(arg: unknown): CodeActionArg | undefined {
  const a = arg as { kind?: unknown; uri?: unknown; range?: { start?: unknown; end?: unknown } } | null | undefined;
  if (!a || typeof a !== 'object') return undefined;
  if (typeof a.kind !== 'string' || !KINDS.includes(a.kind as RefactorKind)) return undefined;
  if (typeof a.uri !== 'string' || !a.uri) return undefined;
  if (!a.range || !isPos(a.range.start) || !isPos(a.range.end)) return undefined;
  return { kind: a.kind as RefactorKind, uri: a.uri, range: { start: { ...a.range.start }, end: { ...a.range.end } } };
}

/** The first fenced code block of a markdown answer, with its language tag. */
export function firstFencedBlock(markdown: string): { code: string; lang?: string } | undefined {
  const m = /(^|\n)[ \t]*(`{3,}|~{3,})[ \t]*([^\s`]*)[^\n]*\n([\s\S]*?)\n[ \t]*\2[ \t]*(?=\n|$)/.exec(markdown);
  if (!m) return undefined;
  return { code: m[4]!, lang: m[3] || undefined };
}

/** What "Generate Tests" opens: the first code block, or the whole answer as markdown. */
export function testsDocument(
  explanation: string,
  languageId: string | undefined,
): { content: string; language: string } {
  const block = firstFencedBlock(explanation);
  if (block?.code.trim())
    return {
      content: block.code.endsWith('\n') ? block.code : `${block.code}\n`,
      language: languageId || block.lang || 'plaintext',
    };
  return { content: explanation, language: 'markdown' };
}

function cmp(a: Range['start'], b: Range['start']): number {
  return a.line - b.line || a.character - b.character;
}

export { offsetAt };

/**
 * Several edits folded into one replacement of the range that spans them all (so one preview
 * and one undo step cover the change). `text` is the whole document.
 */
export function combineEdits(text: string, edits: readonly TextEdit[]): TextEdit | undefined {
  if (edits.length === 0) return undefined;
  if (edits.length === 1) return { range: edits[0]!.range, newText: edits[0]!.newText };
  const sorted = [...edits].sort((a, b) => cmp(a.range.start, b.range.start));
  for (let i = 1; i < sorted.length; i++) {
    if (cmp(sorted[i]!.range.start, sorted[i - 1]!.range.end) < 0)
      throw new Error('The model returned overlapping edits');
  }
  const start = sorted[0]!.range.start;
  const end = sorted.reduce((e, x) => (cmp(x.range.end, e) > 0 ? x.range.end : e), sorted[0]!.range.end);
  const base = offsetAt(text, start);
  let out = '';
  let at = base;
  for (const e of sorted) {
    const s = offsetAt(text, e.range.start);
    out += text.slice(at, s) + e.newText;
    at = offsetAt(text, e.range.end);
  }
  out += text.slice(at, offsetAt(text, end));
  return { range: { start, end }, newText: out };
}

/**
 * Models drop the selection's final line break (code blocks end without one), which would join
 * the next line to the result or drop the file's final newline: keep it.
 */
export function keepTrailingNewline(original: string, newText: string): string {
  const eol = /\r?\n$/.exec(original)?.[0];
  if (!eol || newText === '' || /\n$/.test(newText)) return newText;
  return newText + eol;
}

/** "gpt-5-mini · 1.2 s · $0.0031" — which model did it, how long, what it cost. */
export function describeResult(r: Pick<RefactorResult, 'model' | 'latencyMs' | 'costUsd'>): string {
  const secs = r.latencyMs >= 10_000 ? Math.round(r.latencyMs / 1000) : Math.round(r.latencyMs / 100) / 10;
  const cost = r.costUsd === 0 ? 'free' : r.costUsd < 0.0001 ? '<$0.0001' : `$${r.costUsd.toFixed(4)}`;
  return `${r.model} · ${secs} s · ${cost}`;
}

/** The daemon's message of a failed request (JSON-RPC error or Error), for the user. */
export function errorMessage(err: unknown): string {
  const e = err as { message?: unknown } | undefined;
  const msg = typeof e?.message === 'string' && e.message.trim() ? e.message.trim() : String(err);
  return msg.replace(/^Request [\w/]+ failed with message: /, '');
}

export function errorCode(err: unknown): number | undefined {
  const c = (err as { code?: unknown } | undefined)?.code;
  return typeof c === 'number' ? c : undefined;
}
