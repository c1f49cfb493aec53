// Gearbox as a language model provider in VS Code's own chat and for every extension using vscode.lm
// (VS Code 1.104+): Gearbox Auto, Gearbox Local and the usable models in the chat model picker,
// answers streamed from gearbox/chat, tool calls passed through. Feature-detected: on older hosts
// (and @types/vscode 1.91, which predates the API) nothing is registered and nothing else changes.
// The logic is in lm-convert.ts; this file only adapts it to the vscode API.
import * as vscode from 'vscode';
import type { GearboxClient } from '../client-api';
import {
  callInput,
  estimateTokens,
  LM_VENDOR,
  lmText,
  type LmMessage,
  type LmModelInfo,
  type LmTool,
  lmModels,
  routingFor,
  toChatMessages,
  toTools,
} from './lm-convert';

/** The parts of the LM provider API this file uses (declared here: @types/vscode 1.91 lacks them). */
interface ProviderOptions {
  tools?: readonly LmTool[];
  toolMode?: number;
  modelOptions?: { readonly [name: string]: unknown };
}
interface LmProvider {
  onDidChangeLanguageModelChatInformation?: vscode.Event<void>;
  provideLanguageModelChatInformation(
    options: { silent: boolean },
    token: vscode.CancellationToken,
  ): Promise<LmModelInfo[]>;
  provideLanguageModelChatResponse(
    model: LmModelInfo,
    messages: readonly LmMessage[],
    options: ProviderOptions,
    progress: vscode.Progress<unknown>,
    token: vscode.CancellationToken,
  ): Promise<void>;
  provideTokenCount(model: LmModelInfo, text: string | LmMessage, token: vscode.CancellationToken): Promise<number>;
}
interface LmApi {
  registerLanguageModelChatProvider?(vendor: string, provider: LmProvider): vscode.Disposable;
}
type PartClass<A extends unknown[]> = new (...args: A) => unknown;
interface PartClasses {
  LanguageModelTextPart?: PartClass<[string]>;
  LanguageModelToolCallPart?: PartClass<[string, string, object]>;
}

/** Registers the provider where the host has the API; returns whether it did. */
export function registerLanguageModelProvider(
  context: vscode.ExtensionContext,
  client: () => GearboxClient,
  log: vscode.LogOutputChannel,
): boolean {
  const lm = (vscode as unknown as { lm?: LmApi }).lm;
  const parts = vscode as unknown as PartClasses;
  const { LanguageModelTextPart: TextPart, LanguageModelToolCallPart: ToolCallPart } = parts;
  if (typeof lm?.registerLanguageModelChatProvider !== 'function' || !TextPart || !ToolCallPart) {
    log.info('this VS Code has no language model provider API (1.104+): Gearbox is not in its chat model picker');
    return false;
  }
  const changed = new vscode.EventEmitter<void>();
  /** The last count fell back to chars / 4 (logged once until a count works again). */
  let countFailed = false;
  let stateSub: vscode.Disposable | undefined;
  const watchState = (c: GearboxClient) => {
    // Models depend on the daemon (its catalog, keys): ask VS Code to list them again when it connects.
    stateSub ??= c.onDidChangeState((s) => s === 'running' && changed.fire());
  };

  const provider: LmProvider = {
    onDidChangeLanguageModelChatInformation: changed.event,
    async provideLanguageModelChatInformation(_options, token) {
      const c = client();
      watchState(c);
      try {
        const { models } = await c.request('gearbox/models', { task: 'chat' }, token);
        return lmModels(models);
      } catch (err) {
        log.warn(`language models: the daemon's catalog is unavailable: ${(err as Error).message}`);
        return lmModels([]);
      }
    },
    async provideLanguageModelChatResponse(model, messages, options, progress, token) {
      const c = client();
      const streamId = `lm-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
      const sub = c.onNotification('gearbox/chatChunk', (p) => {
        if (p.streamId === streamId && p.delta) progress.report(new TextPart(p.delta));
      });
      const maxTokens = options.modelOptions?.max_tokens;
      const temperature = options.modelOptions?.temperature;
      try {
        const result = await c.request(
          'gearbox/chat',
          {
            streamId,
            messages: toChatMessages(messages),
            ...routingFor(model.id),
            ...toTools(options.tools, options.toolMode),
            ...(typeof maxTokens === 'number' && maxTokens > 0
              ? { maxTokens: Math.min(131_072, Math.floor(maxTokens)) }
              : {}),
            ...(typeof temperature === 'number' ? { temperature } : {}),
          },
          token,
        );
        for (const call of result.toolCalls ?? [])
          progress.report(new ToolCallPart(call.id, call.name, callInput(call)));
        log.info(`language model ${model.id}: answered by ${result.model} (${result.route.summary})`);
      } catch (err) {
        if (token.isCancellationRequested) throw new vscode.CancellationError();
        throw new Error(`Gearbox: ${(err as Error).message}`);
      } finally {
        sub.dispose();
      }
    },
    async provideTokenCount(model, text, token) {
      // The daemon counts with the model's own tokenizer (for Auto and Local: the largest count
      // over the models the router may pick); chars / 4 only while it cannot be asked.
      try {
        const counted = await client().request(
          'gearbox/tokens/count',
          { texts: [lmText(text)], ...routingFor(model.id) },
          token,
        );
        countFailed = false;
        return counted.tokens;
      } catch (err) {
        if (token.isCancellationRequested) throw new vscode.CancellationError();
        if (!countFailed)
          log.warn(`token counts: the daemon cannot count (${(err as Error).message}); chars / 4 for now`);
        countFailed = true;
        return estimateTokens(text);
      }
    },
  };
  context.subscriptions.push(lm.registerLanguageModelChatProvider(LM_VENDOR, provider), changed, {
    dispose: () => stateSub?.dispose(),
  });
  return true;
}
