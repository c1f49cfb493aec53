// The chat's chips from plain inputs (no vscode import, tested in Node): each @ mention (a file, the
// selection, the open editors, problems, the last terminal command, a symbol, a code search) becomes
// a chip reference (what the user sees and the history keeps) plus the context items the daemon gets
// (uri + text + kind, one per file, so that privacy rules apply to each file on its own).
import type { ContextItem, Range } from '../../shared/protocol';
import type { ChipKind, ChipRef } from '../../shared/webview-protocol';
import { capText, lineSpan } from './context';

/** A chip with its content, as the extension holds it until the message is sent. */
export interface ResolvedChip {
  ref: ChipRef;
  items: ContextItem[];
}

/** Tokens as the router estimates them (daemon/routing/difficulty.ts estimateTokens). */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** "1.2k tokens" for a chip. */
export function formatTokens(n: number): string {
  return n < 1000 ? `${n}` : `${(n / 1000).toFixed(n < 10_000 ? 1 : 0)}k`;
}

export interface FileText {
  uri: string;
  /** Workspace-relative path (or the file name) for labels. */
  path: string;
  languageId?: string;
  text: string;
}

function chip(id: string, kind: ChipKind, label: string, items: ContextItem[], extra: Partial<ChipRef>): ResolvedChip {
  const tokens = items.reduce((n, i) => n + estimateTokens(i.text), 0);
  return { ref: { id, kind, label, tokens, ...extra }, items };
}

/** A capped copy of a file's text, with how much was left out in the chip's tooltip. */
function capped(f: FileText): { text: string; note: string } {
  const c = capText(f.text);
  return { text: c.text, note: c.truncated ? `, first ${c.text.length.toLocaleString('en-US')} characters` : '' };
}

export function fileChip(id: string, f: FileText): ResolvedChip {
  const { text, note } = capped(f);
  const label = `@file ${f.path}`;
  const item: ContextItem = {
    kind: 'file',
    label,
    uri: f.uri,
    text,
    ...(f.languageId ? { languageId: f.languageId } : {}),
  };
  return chip(id, 'file', label, [item], { detail: `${f.path} — whole file${note}`, uris: [f.uri] });
}

/** A part of a file: the selection, the editor's chip, a symbol. `text` is that part. */
export function rangeChip(
  id: string,
  kind: 'selection' | 'editor' | 'symbol',
  f: FileText,
  range: Range,
  name?: string,
): ResolvedChip {
  const { first, last } = lineSpan(range);
  const lines = first === last ? `${first}` : `${first}-${last}`;
  const label =
    kind === 'symbol' ? `@symbol ${name ?? f.path}` : `${kind === 'selection' ? '@selection ' : ''}${f.path}:${lines}`;
  const { text, note } = capped(f);
  const item: ContextItem = {
    kind,
    label,
    uri: f.uri,
    range,
    text,
    ...(f.languageId ? { languageId: f.languageId } : {}),
  };
  return chip(id, kind, label, [item], {
    detail: `${f.path} — lines ${first}–${last}${note}`,
    uris: [f.uri],
    range,
    ...(name ? { query: name } : {}),
  });
}

/** The editor's chip for a whole file (nothing selected). */
export function editorFileChip(id: string, f: FileText): ResolvedChip {
  const r = fileChip(id, f);
  const label = f.path;
  return {
    ref: { ...r.ref, kind: 'editor', label },
    items: r.items.map((i) => ({ ...i, kind: 'editor', label })),
  };
}

/** The most open editors one chip takes. */
export const MAX_OPEN_FILES = 20;

export function openChip(id: string, files: readonly FileText[]): ResolvedChip | undefined {
  const taken = files.filter((f) => f.text.trim()).slice(0, MAX_OPEN_FILES);
  if (!taken.length) return undefined;
  const items = taken.map((f): ContextItem => {
    const { text } = capped(f);
    return {
      kind: 'open',
      label: `@open ${f.path}`,
      uri: f.uri,
      text,
      ...(f.languageId ? { languageId: f.languageId } : {}),
    };
  });
  const more = files.length > taken.length ? ` (${files.length - taken.length} more left out)` : '';
  return chip(id, 'open', `@open (${taken.length} file${taken.length > 1 ? 's' : ''})`, items, {
    detail: taken.map((f) => f.path).join('\n') + more,
    uris: taken.map((f) => f.uri),
  });
}

export type Severity = 'error' | 'warning' | 'info' | 'hint';

export interface Problem {
  uri: string;
  path: string;
  /** Zero-based, as the editor reports it. */
  line: number;
  character: number;
  severity: Severity;
  message: string;
  source?: string;
  /** The text of the line it is on. */
  lineText?: string;
}

/** The most problems one chip lists (errors first). */
export const MAX_PROBLEMS = 200;
const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2, hint: 3 };

/**
 * Problems as text, one item per file (a file's problems quote its lines, so its privacy rules
 * apply): "src/a.ts:3:5 error: Cannot find name 'x' (ts)" and the line below it.
 */
export function problemsChip(
  id: string,
  scope: 'file' | 'workspace',
  problems: readonly Problem[],
  filePath?: string,
): ResolvedChip | undefined {
  if (!problems.length) return undefined;
  const sorted = [...problems]
    .sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || a.path.localeCompare(b.path))
    .slice(0, MAX_PROBLEMS);
  const byFile = new Map<string, Problem[]>();
  for (const p of sorted) byFile.set(p.uri, [...(byFile.get(p.uri) ?? []), p]);
  const label = scope === 'file' ? `@problems ${filePath ?? 'file'}` : '@problems (workspace)';
  const items: ContextItem[] = [...byFile].map(([uri, list]) => ({
    kind: 'problems',
    label: `@problems ${list[0]!.path}`,
    uri,
    text: list
      .map((p) => {
        const head = `${p.path}:${p.line + 1}:${p.character + 1} ${p.severity}: ${p.message}`;
        const line = p.lineText?.trim() ? `\n    ${p.lineText.trim()}` : '';
        return `${head}${p.source ? ` (${p.source})` : ''}${line}`;
      })
      .join('\n'),
  }));
  const errors = sorted.filter((p) => p.severity === 'error').length;
  const more = problems.length > sorted.length ? `, ${problems.length - sorted.length} more left out` : '';
  return chip(id, 'problems', `${label} (${sorted.length})`, items, {
    detail: `${sorted.length} problem${sorted.length > 1 ? 's' : ''}, ${errors} error${errors === 1 ? '' : 's'}${more}`,
    scope,
    ...(scope === 'file' ? { uris: [...byFile.keys()].slice(0, 1) } : {}),
  });
}

export interface TerminalRun {
  commandLine: string;
  output: string;
  exitCode?: number;
  cwd?: string;
}

/** CSI sequences (ESC [ ... final byte) and OSC sequences (ESC ] ... BEL or ESC \). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: escape sequences are control characters
const ESCAPES = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007]*(?:\u0007|\u001b\\)/g;

/** The most characters of terminal output kept (its end: where the error usually is). */
export const MAX_TERMINAL_CHARS = 20_000;

export function terminalChip(id: string, run: TerminalRun): ResolvedChip {
  // Escape sequences (colours, cursor moves, shell integration marks) mean nothing to a model.
  const clean = run.output.replace(ESCAPES, '');
  const output = clean.length > MAX_TERMINAL_CHARS ? `…${clean.slice(-MAX_TERMINAL_CHARS)}` : clean;
  const exit = run.exitCode === undefined ? '' : ` (exit code ${run.exitCode})`;
  const text = `$ ${run.commandLine}${exit}\n${output}`;
  const label = `@terminal ${run.commandLine.length > 40 ? `${run.commandLine.slice(0, 39)}…` : run.commandLine}`;
  return chip(id, 'terminal', label, [{ kind: 'terminal', label, text }], {
    detail: `${run.commandLine}${exit}${run.cwd ? ` in ${run.cwd}` : ''}`,
    query: run.commandLine,
  });
}

export interface SearchHit {
  uri: string;
  path: string;
  range: Range;
  snippet: string;
  languageId?: string;
}

export function codebaseChip(id: string, query: string, hits: readonly SearchHit[]): ResolvedChip | undefined {
  if (!hits.length) return undefined;
  const items = hits.map((h): ContextItem => {
    const { first, last } = lineSpan(h.range);
    return {
      kind: 'codebase',
      label: `@codebase ${h.path}:${first}-${last}`,
      uri: h.uri,
      range: h.range,
      text: h.snippet,
      ...(h.languageId ? { languageId: h.languageId } : {}),
    };
  });
  const short = query.length > 40 ? `${query.slice(0, 39)}…` : query;
  return chip(id, 'codebase', `@codebase ${short} (${hits.length})`, items, {
    detail: `"${query}": ${items.map((i) => i.label.slice('@codebase '.length)).join(', ')}`,
    query,
  });
}

// ---------- the context window ----------

/** What a chat sends besides the chips and the conversation (system prompt, fences), and the answer's room. */
export const ANSWER_RESERVE_TOKENS = 2048;
const OVERHEAD_TOKENS = 200;
const TRIM_MARK = '\n…(trimmed to fit the context window)';
/** A chip cut to fewer tokens than this is left out instead. */
const MIN_PART_TOKENS = 64;

/** Tokens the chips may take: the window less the conversation, the answer's room and the overhead. */
export function chipBudget(contextWindow: number, conversationTokens: number): number {
  return Math.max(0, contextWindow - conversationTokens - ANSWER_RESERVE_TOKENS - OVERHEAD_TOKENS);
}

export interface Fitted {
  items: ContextItem[];
  tokens: number;
  /** For the user: what was cut or left out, undefined when everything fits. */
  notice?: string;
}

/**
 * The chips' items within `limit` tokens, in order: the first chips are kept whole while they fit; the
 * item that crosses the limit is cut at a line (when enough of it remains); everything after is left
 * out. The notice names each chip cut or left out.
 */
export function fitToBudget(chips: readonly ResolvedChip[], limit: number, model: string): Fitted {
  const items: ContextItem[] = [];
  let tokens = 0;
  const cut: string[] = [];
  const dropped: string[] = [];
  for (const c of chips) {
    let kept = 0;
    let whole = true;
    // A chip's tokens are the daemon's count for the model once it came (gearbox/tokens/count), the
    // estimate until then: its items are sized at that chip's tokens per estimated token.
    const estimated = c.items.reduce((n, i) => n + estimateTokens(i.text), 0);
    const ratio = estimated > 0 && c.ref.tokens > 0 ? c.ref.tokens / estimated : 1;
    const sizeOf = (text: string) => Math.ceil(estimateTokens(text) * ratio);
    for (const item of c.items) {
      const size = sizeOf(item.text);
      if (tokens + size <= limit) {
        items.push(item);
        tokens += size;
        kept += size;
        continue;
      }
      whole = false;
      const room = limit - tokens;
      if (room >= MIN_PART_TOKENS) {
        const part = capText(item.text, Math.floor((room * 4) / ratio) - TRIM_MARK.length).text;
        items.push({ ...item, text: part + TRIM_MARK });
        const used = sizeOf(items[items.length - 1]!.text);
        tokens += used;
        kept += used;
      }
      break;
    }
    if (whole) continue;
    if (kept > 0) cut.push(`${c.ref.label} cut to ${formatTokens(kept)} of ${formatTokens(c.ref.tokens)} tokens`);
    else dropped.push(c.ref.label);
  }
  if (!cut.length && !dropped.length) return { items, tokens };
  const parts = [...cut, ...(dropped.length ? [`left out: ${dropped.join(', ')}`] : [])];
  return {
    items,
    tokens,
    notice:
      `Context trimmed to fit ${model}'s window (${formatTokens(limit)} tokens for context): ` + `${parts.join('; ')}.`,
  };
}
