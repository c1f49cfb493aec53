// Inline completion on top of the LSP feature: per-language switch, debounce, and a cache so that
// typing the start of a shown suggestion keeps it on screen without another daemon round trip. Each
// suggestion carries the daemon's accept command (its request id); which ones were taken or passed
// over is the router's feedback (core/completion-feedback.ts).
import * as vscode from 'vscode';
import type { Middleware } from 'vscode-languageclient/node';
import { COMPLETION_ACCEPTED_COMMAND, CompletionAcceptedArgs, ErrorCodes } from '../shared/protocol';
import { CompletionCache } from './core/completion-cache';
import { CompletionFeedback } from './core/completion-feedback';
import { delayUnlessCancelled } from './core/debounce';
import { completionEnabledFor } from './core/language-filter';
import { fixesOf, noModelNotice, type NoticeGate } from './core/no-model-notice';
import { errorCode } from './core/request-failures';
import { showNotice } from './notices';

export interface InlineCompletionHooks {
  onLatency(ms: number): void;
  log: vscode.LogOutputChannel;
  /** A shown suggestion was passed over (gearbox/feedback 'completion-ignored'). */
  ignored(requestId: string): void;
  /** The window's one "no model" notification (shared with the connect-time check). */
  noModelGate: NoticeGate;
}

/** The request id an item's accept command names, if it is the daemon's. */
function requestIdOf(item: vscode.InlineCompletionItem | undefined): string | undefined {
  if (item?.command?.command !== COMPLETION_ACCEPTED_COMMAND) return undefined;
  const args = CompletionAcceptedArgs.safeParse(item.command.arguments);
  return args.success ? args.data[0] : undefined;
}

export function inlineCompletionMiddleware(
  hooks: InlineCompletionHooks,
): Pick<Middleware, 'provideInlineCompletionItems' | 'executeCommand'> {
  const cache = new CompletionCache();
  const feedback = new CompletionFeedback(hooks.ignored);

  vscode.workspace.onDidCloseTextDocument((d) => {
    cache.forget(d.uri.toString());
    feedback.closed(d.uri.toString());
  });

  // The accept command goes on to the daemon (which learns from it); here it settles the suggestion.
  const executeCommand: Middleware['executeCommand'] = (command, args, next) => {
    if (command === COMPLETION_ACCEPTED_COMMAND) {
      const parsed = CompletionAcceptedArgs.safeParse(args);
      if (parsed.success) feedback.accepted(parsed.data[0]);
    }
    return next(command, args);
  };

  const provideInlineCompletionItems: Middleware['provideInlineCompletionItems'] = async (
    document,
    position,
    context,
    token,
    next,
  ) => {
    const cfg = vscode.workspace.getConfiguration('gearbox.inlineCompletion', document);
    if (
      !completionEnabledFor(
        document.languageId,
        cfg.get<boolean>('enabled', true),
        cfg.get<Record<string, unknown>>('languages'),
      )
    )
      return undefined;

    const uri = document.uri.toString();
    const linePrefix = document.lineAt(position.line).text.slice(0, position.character);
    const cached = cache.lookup(uri, position.line, linePrefix);
    if (cached !== undefined) {
      // Trace level (off by default): lets a benchmark count provider calls served from the cache.
      hooks.log.trace(`inline completion: cache hit at ${position.line}:${position.character}`);
      hooks.onLatency(0);
      const id = cache.requestIdOf(uri);
      const command = id ? { title: 'accepted', command: COMPLETION_ACCEPTED_COMMAND, arguments: [id] } : undefined;
      return [new vscode.InlineCompletionItem(cached, new vscode.Range(position, position), command)];
    }
    hooks.log.trace(`inline completion: cache miss at ${position.line}:${position.character}`);

    // Explicit requests (Alt+\) skip the debounce; typing waits for a pause.
    const automatic = context.triggerKind === vscode.InlineCompletionTriggerKind.Automatic;
    if (automatic && !(await delayUnlessCancelled(cfg.get<number>('debounceMs', 75), token))) return undefined;

    const started = Date.now();
    try {
      const result = await next(document, position, context, token);
      if (token.isCancellationRequested) return undefined;
      hooks.onLatency(Date.now() - started);
      const items = Array.isArray(result) ? result : (result?.items ?? []);
      const first = items[0];
      if (first && typeof first.insertText === 'string' && first.insertText) {
        const requestId = requestIdOf(first);
        cache.remember({ uri, line: position.line, linePrefix, text: first.insertText, requestId });
        if (requestId) feedback.showing(uri, requestId);
      }
      return result;
    } catch (err) {
      const code = errorCode(err);
      if (code === ErrorCodes.RequestCancelled || token.isCancellationRequested) return undefined;
      if (code === ErrorCodes.NoModelAvailable && hooks.noModelGate.take()) {
        showNotice(noModelNotice('completion', fixesOf((err as { data?: unknown }).data)), hooks.log);
      }
      // Completion is best effort: a failure is logged, never shown as an error popup per keystroke.
      hooks.log.debug(`inline completion failed: ${(err as Error).message}`);
      return undefined;
    }
  };
  return { provideInlineCompletionItems, executeCommand };
}
