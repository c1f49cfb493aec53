// The FIM benchmark's prompt and its edits: a real source file of this repo (~900 tokens of prefix),
// the cursor mid-line near the end, a few lines of suffix (as an editor sends a bounded suffix).
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from './report';

export interface FimPrompt {
  prefix: string;
  suffix: string;
}

export interface FimScenarios {
  /** A prompt nothing is cached for. */
  cold: FimPrompt;
  /** The user typed one more character at the cursor. */
  sameLine: FimPrompt;
  /** The user pressed Enter and indented: the cursor is at the start of the next line. */
  nextLine: FimPrompt;
  /** An edit far above the cursor (a renamed identifier near the top of the file). */
  farEdit: FimPrompt;
  /** Lines deleted far above the cursor (three lines near the top of the file). */
  farDelete: FimPrompt;
  /** `cold` with chunks of other files before it (the completion context ring), nothing cached. */
  coldExtra: FimPrompt;
  /** `sameLine` with the same chunks before it. */
  sameLineExtra: FimPrompt;
}

/** Source text the prompts are cut from: TypeScript of this repo (stable across runs of one commit). */
function sourceText(): string {
  return fs.readFileSync(path.join(repoRoot, 'daemon', 'completion-context.ts'), 'utf8');
}

/**
 * `prefixChars` of code before the cursor (default ~3,400 chars ≈ 900 tokens), the cursor in the
 * middle of a line, then `suffixLines` lines of suffix.
 */
export function fimScenarios(variant = 0, prefixChars = 3400, suffixLines = 3): FimScenarios {
  // Each variant is a different file from its first line on, so that no prompt cache (llama-server
  // keeps earlier prompts' states in RAM) can serve a round with what an earlier round evaluated.
  const text = `// variant ${variant}\n${sourceText()}`;
  // The cursor: the middle of the first non-empty line that starts after prefixChars.
  const lineStart = text.indexOf('\n', prefixChars) + 1;
  const lineEnd = text.indexOf('\n', lineStart);
  const cursor = lineStart + Math.max(1, Math.floor((lineEnd - lineStart) / 2));
  const prefix = text.slice(0, cursor);
  let suffixEnd = cursor;
  for (let i = 0; i < suffixLines; i++) suffixEnd = text.indexOf('\n', suffixEnd) + 1 || text.length;
  const suffix = text.slice(cursor, suffixEnd);
  const typed = text[cursor] ?? 'x';
  const lineSuffix = suffix.slice(0, suffix.indexOf('\n') + 1);
  // The far edit renames the first identifier-ish word of line 3.
  const third = nthLineStart(prefix, 2);
  const farEditPrefix = prefix.slice(0, third) + prefix.slice(third).replace(/[A-Za-z_]\w{3,}/, (w) => `${w}Renamed`);
  const farDeletePrefix = prefix.slice(0, third) + prefix.slice(nthLineStart(prefix, 5));
  const extra = extraContext(variant);
  return {
    cold: { prefix, suffix },
    sameLine: { prefix: prefix + typed, suffix: suffix.slice(1) },
    nextLine: { prefix: `${prefix + lineSuffix.replace(/\n$/, '')}\n    `, suffix: suffix.slice(lineSuffix.length) },
    farEdit: { prefix: farEditPrefix, suffix },
    farDelete: { prefix: farDeletePrefix, suffix },
    coldExtra: { prefix: extra + prefix, suffix },
    sameLineExtra: { prefix: extra + prefix + typed, suffix: suffix.slice(1) },
  };
}

/**
 * A full completion context ring as the daemon lays it out: `<|file_sep|>name` chunks of other
 * files (32-line chunks of this repo's daemon/documents.ts, ~4,000 chars), then the file's header.
 */
function extraContext(variant: number): string {
  const lines = fs.readFileSync(path.join(repoRoot, 'daemon', 'documents.ts'), 'utf8').split('\n');
  const chunks: string[] = [];
  let chars = 0;
  for (let at = 0; at < lines.length; at += 32) {
    const chunk = lines
      .slice(at, at + 32)
      .join('\n')
      .slice(0, 1200);
    if (chars + chunk.length > 4000) break;
    chunks.push(`<|file_sep|>documents-${variant}-${at}.ts\n${chunk}`);
    chars += chunk.length;
  }
  return `${chunks.join('\n')}\n<|file_sep|>completion-context.ts\n`;
}

function nthLineStart(s: string, n: number): number {
  let at = 0;
  for (let i = 0; i < n; i++) at = s.indexOf('\n', at) + 1;
  return at;
}
