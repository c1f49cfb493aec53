// The privacy facts of a request, built here for every task (chat, refactor, inline completion,
// route) and every caller of the engine (the LSP session, the CLI through it, an HTTP API): which
// file the code comes from, the workspace folders it may lie in, whether the request marks it
// private; and what a model that is not local may receive of each text. The router (routing/) makes
// the decision from these facts; nothing else decides what may leave the machine.
import type { ChatMessage, WorkspaceSettings } from '../shared/protocol';
import { redactMessage } from './chat-tools';
import { contextHeader, type ContextSnippet } from './completion-context';
import {
  matchPrivatePath,
  redactFound,
  redactSecrets,
  type RouteInput,
  type SecretFinding,
  type SecretMatch,
  type SecretScanCache,
} from './routing';

/** Where a request comes from, as far as privacy goes. */
export interface PrivacyScope {
  settings: WorkspaceSettings;
  /** The client's workspace folders (file: URIs or paths; several in a multi-root workspace). */
  workspaceRoots?: readonly string[];
}

/**
 * The router's privacy inputs for code from `uri` (a document URI or a path; undefined for code
 * that is not from a file): privatePaths are matched against it below every workspace folder, its
 * name turns on the .env rules, and `markedPrivate` (the request's own flag) keeps it local.
 */
export function privacyFacts(
  scope: PrivacyScope,
  uri: string | undefined,
  markedPrivate?: boolean,
): Pick<RouteInput, 'filePath' | 'workspaceRoots' | 'privateCode'> {
  return {
    filePath: uri,
    workspaceRoots: scope.workspaceRoots,
    ...(markedPrivate ? { privateCode: true } : {}),
  };
}

/** A text a request sends, redacted for a model that is not local (secrets: 'redact'). */
export function redactForCloud(text: string, uri?: string): string {
  return redactSecrets(text, { fileName: uri });
}

/** Redacts every message, for the generic case where parts have no file (the rest is built per task). */
export function redactMessages(messages: readonly ChatMessage[]): ChatMessage[] {
  // Tool calls' arguments are sent too: redacted like the text.
  return messages.map((m) => redactMessage(m, (t) => redactForCloud(t)));
}

/** The parts of an inline completion's prompt (completion-context.ts) and the document they are from. */
export interface CompletionParts {
  uri: string;
  filePrefix: string;
  suffix: string;
  context: readonly ContextSnippet[];
}

export interface CompletionPrivacy {
  /** Secrets in the document's own text that is sent (its prefix and suffix), for route(). */
  secrets: SecretFinding[];
  /** The FIM prefix and the suffix as a model that is not local may get them. */
  cloud: { prefix: string; suffix: string };
  /** Snippets of other files left out for models that are not local. */
  withheld: { privatePath: number; secret: number };
}

/**
 * An inline completion's privacy: the document's text decides the route like any request's code
 * (its secrets are returned for route(); the .env rules apply by its name). A snippet of another
 * file is optional context: a model that is not local gets it only if its file matches no
 * privatePaths glob and it holds no secret, or, with secrets: 'redact', with its secrets redacted.
 * Scans go through `cache`, line by line, as this runs at every keystroke.
 */
export function completionPrivacy(
  parts: CompletionParts,
  scope: PrivacyScope,
  cache: SecretScanCache,
): CompletionPrivacy {
  const redact = scope.settings.secrets === 'redact';
  // The prefix and suffix are one stretch of the document: scanned as one, a key the cursor sits in
  // is found whole (and each line is the document's line, cached across keystrokes).
  const text = parts.filePrefix + parts.suffix;
  const found = cache.find(text, { fileName: parts.uri });
  const secrets: SecretFinding[] = [...new Set(found.map((f) => f.kind))].map((kind) => ({ where: 'file', kind }));

  const withheld = { privatePath: 0, secret: 0 };
  const cloudContext: ContextSnippet[] = [];
  for (const c of parts.context) {
    if (matchPrivatePath(scope.settings.privatePaths, c.uri, scope.workspaceRoots)) {
      withheld.privatePath++;
      continue;
    }
    const inSnippet = cache.find(c.text, { fileName: c.uri });
    if (inSnippet.length === 0) cloudContext.push(c);
    else if (redact) cloudContext.push({ uri: c.uri, text: redactFound(c.text, inSnippet) });
    else withheld.secret++;
  }
  const own = redact && found.length ? redactAround(text, found, parts.filePrefix.length) : parts;
  return {
    secrets,
    cloud: { prefix: contextHeader(cloudContext, parts.uri) + own.filePrefix, suffix: own.suffix },
    withheld,
  };
}

/** `text` redacted and cut again at `cursor`; a secret the cursor sits in goes before the cursor, whole. */
function redactAround(
  text: string,
  found: readonly SecretMatch[],
  cursor: number,
): { filePrefix: string; suffix: string } {
  const before = found.filter((f) => f.start < cursor);
  const cut = Math.max(cursor, ...before.map((f) => f.end));
  return {
    filePrefix: redactFound(text.slice(0, cut), before),
    suffix: redactFound(
      text.slice(cut),
      found.filter((f) => f.start >= cursor).map((f) => ({ ...f, start: f.start - cut, end: f.end - cut })),
    ),
  };
}
