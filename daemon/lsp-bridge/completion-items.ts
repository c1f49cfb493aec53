// An inline completion as textDocument/completion items, for editors without inline completion
// (Neovim's and Helix's completion menus, Zed): one item that replaces the word being typed with
// that word plus the completion, so the menu's filter and its insert both work. A multi-line
// completion becomes a snippet where the client takes snippets (its tab stop at the end).
import {
  type CompletionItem,
  CompletionItemKind,
  InsertTextFormat,
  MarkupKind,
  type Position,
} from 'vscode-languageserver';

/** Characters that are part of a word being typed, in most languages. */
const WORD_END = /[\p{L}\p{N}_$]*$/u;

/** `\`, `$` and `}` are snippet syntax; everything else is literal. */
export function escapeSnippet(text: string): string {
  return text.replace(/[\\$}]/g, (c) => `\\${c}`);
}

export function completionItems(
  lineBefore: string,
  position: Position,
  insertText: string,
  opts: { snippets: boolean; detail?: string },
): CompletionItem[] {
  if (!insertText) return [];
  const word = WORD_END.exec(lineBefore)?.[0] ?? '';
  const full = word + insertText;
  const multiline = insertText.includes('\n');
  const firstLine = full.split('\n')[0] ?? '';
  const label = firstLine.length > 60 ? `${firstLine.slice(0, 59)}…` : multiline ? `${firstLine}…` : firstLine;
  const snippet = multiline && opts.snippets;
  const range = { start: { line: position.line, character: position.character - word.length }, end: position };
  return [
    {
      label: label.trim() ? label : full.trim().slice(0, 60),
      kind: multiline ? CompletionItemKind.Snippet : CompletionItemKind.Text,
      detail: opts.detail ?? 'Gearbox',
      documentation: { kind: MarkupKind.Markdown, value: `\`\`\`\n${full}\n\`\`\`` },
      filterText: firstLine,
      sortText: '0',
      preselect: true,
      insertTextFormat: snippet ? InsertTextFormat.Snippet : InsertTextFormat.PlainText,
      textEdit: { range, newText: snippet ? `${escapeSnippet(full)}$0` : full },
    },
  ];
}
