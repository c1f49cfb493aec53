// Builds the FIM prompt for an inline completion and cleans up what the model returns.
// Layout keeps the KV cache warm: stable context (chunks of other files, completion-ring.ts) first,
// then the file's prefix, with the cursor at the very end of the prompt; the suffix is bounded.

export interface CompletionPrompt {
  /** What a FIM model sees before the cursor: the context snippets, then the file's own prefix. */
  prefix: string;
  /** The file's own text before the cursor (bounded at a line start). */
  filePrefix: string;
  /** Chunks of other files that ride along, oldest first (already in `prefix`). */
  context: ContextSnippet[];
  suffix: string;
  /** Cursor at an empty line or block start: a multi-line suggestion is welcome. */
  multiline: boolean;
  /** Text after the cursor on the same line (used to avoid duplicating it). */
  lineSuffix: string;
}

/** A few lines of another file (opened, edited or copied from). */
export interface ContextSnippet {
  uri: string;
  text: string;
}

export interface CompletionLimits {
  maxPrefixChars: number;
  maxSuffixChars: number;
  maxContextChars: number;
}

// FIM puts the suffix after the prefix, so every keystroke re-evaluates the whole suffix: ~640
// chars (~10 lines, ~160 tokens) keeps what follows the cursor in view at a bounded cost per key.
// The context budget holds the whole ring (4,000 chars) with its file headers.
const DEFAULT_LIMITS: CompletionLimits = { maxPrefixChars: 6000, maxSuffixChars: 640, maxContextChars: 4500 };

const BLOCK_OPENERS = /[{[(:]\s*$|=>\s*$|\b(do|then|else)\s*$/;

export function buildCompletionPrompt(
  text: string,
  offset: number,
  uri: string,
  /** Chunks of other files, oldest first (the document's own are skipped). */
  extra: readonly ContextSnippet[],
  limits: CompletionLimits = DEFAULT_LIMITS,
): CompletionPrompt {
  const before = text.slice(0, offset);
  const after = text.slice(offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  const linePrefix = before.slice(lineStart);
  const nl = after.indexOf('\n');
  const lineSuffix = nl < 0 ? after : after.slice(0, nl);
  const multiline =
    linePrefix.trim() === '' && lineSuffix.trim() === ''
      ? true
      : BLOCK_OPENERS.test(linePrefix) && lineSuffix.trim() === '';

  // Cut the prefix at a line boundary so the cached prompt start moves in whole lines.
  let prefix = before;
  if (prefix.length > limits.maxPrefixChars) {
    const cut = prefix.length - limits.maxPrefixChars;
    const nextLine = prefix.indexOf('\n', cut);
    prefix = prefix.slice(nextLine < 0 ? cut : nextLine + 1);
  }
  let suffix = after;
  if (suffix.length > limits.maxSuffixChars) {
    const lastNl = suffix.lastIndexOf('\n', limits.maxSuffixChars);
    suffix = suffix.slice(0, lastNl > 0 ? lastNl + 1 : limits.maxSuffixChars);
  }

  const context = fitContext(uri, extra, limits.maxContextChars);
  return { prefix: contextHeader(context, uri) + prefix, filePrefix: prefix, context, suffix, multiline, lineSuffix };
}

/** The newest chunks of other files that fit the budget, oldest first (the order of the ring). */
function fitContext(uri: string, extra: readonly ContextSnippet[], budget: number): ContextSnippet[] {
  const out: ContextSnippet[] = [];
  let used = 0;
  for (let i = extra.length - 1; i >= 0; i--) {
    const c = extra[i]!;
    if (c.uri === uri) continue;
    const size = `<|file_sep|>${shortName(c.uri)}\n`.length + c.text.length + 1;
    if (used + size > budget) break;
    out.push({ uri: c.uri, text: c.text });
    used += size;
  }
  // Oldest first: the ring's oldest chunks lead the prompt, the most recent end up closest to the cursor.
  return out.reverse();
}

/** The context snippets as they precede the file's prefix in the prompt (empty without snippets). */
export function contextHeader(context: readonly ContextSnippet[], uri: string): string {
  if (context.length === 0) return '';
  const parts = context.map((c) => `<|file_sep|>${shortName(c.uri)}\n${c.text}`);
  return `${parts.join('\n')}\n<|file_sep|>${shortName(uri)}\n`;
}

function shortName(uri: string): string {
  const i = uri.lastIndexOf('/');
  return i >= 0 ? uri.slice(i + 1) : uri;
}

/**
 * Trims a raw model completion to what the editor should show: one line mid-line, a block at an
 * empty line; nothing that merely repeats the text that follows the cursor.
 */
export function cleanCompletion(raw: string, prompt: CompletionPrompt, maxLines = 12): string {
  let text = raw.replace(/\r\n/g, '\n');
  if (!prompt.multiline) {
    const nl = text.indexOf('\n');
    if (nl >= 0) text = text.slice(0, nl);
  } else {
    const lines = text.split('\n');
    if (lines.length > maxLines) text = lines.slice(0, maxLines).join('\n');
  }
  // Don't suggest what is already there after the cursor.
  if (prompt.lineSuffix.trim() && text.endsWith(prompt.lineSuffix))
    text = text.slice(0, text.length - prompt.lineSuffix.length);
  const following = prompt.suffix
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  if (following.length > 0) {
    const lines = text.split('\n');
    // Cut the suggestion where it starts repeating the next non-empty lines of the file.
    for (let i = 1; i < lines.length; i++) {
      if (lines[i]!.trim() !== '' && lines[i]!.trim() === following[0]) {
        text = lines.slice(0, i).join('\n');
        break;
      }
    }
    if (text.trim() !== '' && text.trim() === following[0] && prompt.lineSuffix.trim() === '' && prompt.multiline)
      text = '';
  }
  return text.replace(/\s+$/, (m) => (m.includes('\n') ? '' : m));
}
