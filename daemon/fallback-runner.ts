// Runs one routed request: the decision's model, then its fallbacks, until one answers. Local
// models go through the model host, closed ones through their provider client (with retries).
import {
  ErrorCodes,
  type ChatMessage,
  type ChatResult,
  type ModelInfo,
  type RouteDecision,
  type TaskKind,
  type ToolChoice,
  type ToolDefinition,
  type Usage,
} from '../shared/protocol';
import { costUsd } from './catalog/catalog';
import type { AnswerWatch } from './answer-budget';
import { flattenToolTurns } from './chat-tools';
import type { ProviderConfig } from './config';
import { GearboxError } from './gearbox-error';
import type { Logger } from './log';
import type { ModelHostApi } from './model-host-api';
import type { ProviderRegistry } from './providers/registry';
import { withRetries } from './providers/retry';
import { redactMessages } from './request-privacy';
import type { RequestTokens } from './routing';
import { leastExact, type TokenCounter } from './tokens/token-counter';
import type { LedgerOutcome } from './usage/record';

/** Records a request that reached a model (the usage ledger); `usage.estimatedBy` says when we counted it. */
export type RecordOutcome = (model: ModelInfo, usage: Usage, outcome: LedgerOutcome, errorCode?: number) => void;

export interface FallbackRequest {
  task: TaskKind;
  decision: RouteDecision;
  /** The catalog the decision was made from. */
  catalog: ModelInfo[];
  /** What the request sends in each candidate's tokens, as the router read them (a fallback's own count). */
  tokens?: ReadonlyMap<string, RequestTokens>;
  messages: ChatMessage[];
  /**
   * What a model that is not local gets instead (secrets redacted per settings.secrets, context it
   * may not see left out), built by the engine from each part's own privacy facts (request-privacy.ts).
   */
  cloudMessages?: ChatMessage[];
  maxTokens: number;
  temperature?: number;
  /** Tools for closed models; local models get none and see earlier tool turns as text. */
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  signal: AbortSignal;
  onDelta: (delta: string, model: string) => void;
  /** A fresh watch per model tried: when it says the answer is hopeless, that answer stops and fails. */
  watch?: () => AnswerWatch;
  /** Model load progress of a local model. */
  onProgress?: (model: string, phase: 'download' | 'load', progress: number) => void;
  record: RecordOutcome;
}

export interface FallbackRunnerOptions {
  providers: ProviderRegistry;
  modelHost: ModelHostApi;
  logger: Logger;
  /** A provider stream that sends nothing for this long is cut. */
  providerIdleMs: number;
  /** Counts the tokens of answers that stopped (or came) without usage. */
  tokens: TokenCounter;
}

type Generate = (
  onDelta: (text: string) => void,
  signal: AbortSignal,
) => Promise<{ text: string; usage: Usage } & Pick<ChatResult, 'toolCalls' | 'finishReason'>>;

/** An answer stopped by its watch (FallbackRequest.watch): it could not have become what was asked. */
export class AnswerAbandoned extends GearboxError {
  constructor(
    readonly model: string,
    readonly why: string,
    readonly partialText: string,
  ) {
    super(ErrorCodes.ProviderError, `${model} ${why}`, { model, partialText });
  }
}

export class FallbackRunner {
  constructor(private readonly opts: FallbackRunnerOptions) {}

  /**
   * The first answer of the decision's model or, failing that, of its fallbacks in order (none
   * when pinned). A failure after text was streamed is not retried elsewhere: the user already saw
   * part of an answer.
   */
  async run(req: FallbackRequest): Promise<Omit<ChatResult, 'route'>> {
    const { decision, catalog, signal } = req;
    if (!decision.model) throw new GearboxError(ErrorCodes.NoModelAvailable, decision.summary, { route: decision });
    const attempts: { model: string; error: string }[] = [];
    /** Each failed attempt's error code (undefined: an error without one). */
    const codes: (number | undefined)[] = [];
    const order = [decision.model, ...(decision.pinned ? [] : decision.fallbacks)];
    const started = Date.now();
    for (const id of order) {
      const model = catalog.find((m) => m.id === id);
      if (!model) continue;
      let streamed = '';
      // Local models see it all; others get what the engine built for them, or at least (in 'redact'
      // mode) the messages with their secrets replaced.
      const sent = model.local
        ? req.messages
        : (req.cloudMessages ?? (decision.redactSecrets ? redactMessages(req.messages) : req.messages));
      const gen = this.generator(model, sent, req);
      const watch = req.watch?.();
      // The attempt's own signal: the request's, or the watch giving up on this answer.
      const attempt = new AbortController();
      const stop = () => attempt.abort(signal.reason);
      signal.addEventListener('abort', stop, { once: true });
      if (signal.aborted) stop();
      let abandoned: string | undefined;
      try {
        const res = await gen((d) => {
          streamed += d;
          req.onDelta(d, model.id);
          const why = abandoned === undefined ? watch?.push(d) : undefined;
          if (why !== undefined) {
            abandoned = why;
            attempt.abort();
          }
        }, attempt.signal);
        if (abandoned !== undefined) throw new AnswerAbandoned(model.id, abandoned, streamed);
        this.opts.providers.health.recordSuccess(model.provider);
        req.record(model, res.usage, 'ok');
        return {
          text: res.text,
          model: model.id,
          provider: model.provider,
          usage: res.usage,
          costUsd: costUsd(model, res.usage),
          latencyMs: Date.now() - started,
          attempts,
          ...(res.toolCalls?.length ? { toolCalls: res.toolCalls } : {}),
          ...(res.finishReason ? { finishReason: res.finishReason } : {}),
        };
      } catch (err) {
        if (abandoned !== undefined && !signal.aborted) {
          this.opts.logger.info('answer abandoned', { task: req.task, model: model.id, why: abandoned });
          req.record(model, this.partialUsage(model, req, streamed), 'error', ErrorCodes.ProviderError);
          throw err instanceof AnswerAbandoned ? err : new AnswerAbandoned(model.id, abandoned, streamed);
        }
        if (signal.aborted) {
          req.record(model, this.partialUsage(model, req, streamed), 'cancelled', ErrorCodes.RequestCancelled);
          throw abortError();
        }
        if (!model.local) this.opts.providers.health.recordFailure(model.provider);
        const message = (err as Error).message;
        this.opts.logger.warn('model failed', {
          task: req.task,
          model: model.id,
          error: message,
          streamedChars: streamed.length,
        });
        if (streamed.length > 0) {
          req.record(model, this.partialUsage(model, req, streamed), 'error', ErrorCodes.StreamInterrupted);
          throw new GearboxError(ErrorCodes.StreamInterrupted, `${model.id} stopped mid-answer: ${message}`, {
            partialText: streamed,
            model: model.id,
          });
        }
        attempts.push({ model: model.id, error: message });
        codes.push(typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : undefined);
      } finally {
        signal.removeEventListener('abort', stop);
      }
    }
    const detail = attempts.map((a) => `${a.model}: ${a.error}`).join('; ');
    const last = attempts.length === 1 ? attempts[0] : undefined;
    const code = attempts.length ? sharedCause(codes) : ErrorCodes.NoModelAvailable;
    const lastModel = catalog.find((m) => m.id === attempts[attempts.length - 1]?.model);
    if (lastModel) req.record(lastModel, { inputTokens: 0, outputTokens: 0 }, 'error', code);
    throw new GearboxError(
      code,
      last ? `${last.model} failed: ${last.error}` : `Every candidate model failed: ${detail}`,
      { attempts },
    );
  }

  /**
   * Tokens of an answer that stopped midway (no usage reported): what the request sends, as the
   * router counted it for this model, and the streamed text in this model's tokens.
   */
  private partialUsage(model: ModelInfo, req: FallbackRequest, streamed: string): Usage {
    if (!streamed) return { inputTokens: 0, outputTokens: 0 };
    const sent = req.tokens?.get(model.id) ?? {
      input: req.decision.estimatedInputTokens,
      method: req.decision.inputTokensMethod,
    };
    const out = this.opts.tokens.countSync(model, streamed);
    return { inputTokens: sent.input, outputTokens: out.tokens, estimatedBy: leastExact(sent.method, out.method) };
  }

  private generator(model: ModelInfo, messages: ChatMessage[], req: FallbackRequest): Generate {
    const { maxTokens, temperature } = req;
    const host = this.opts.modelHost;
    if (model.local) {
      return async (onDelta, signal) => {
        await host.load(model.id, (phase, p) => req.onProgress?.(model.id, phase, p), signal);
        const local = flattenToolTurns(messages);
        const r = await host.chat({ modelId: model.id, messages: local, maxTokens, temperature }, onDelta, signal);
        return {
          text: r.text,
          usage: { inputTokens: r.usage.inputTokens, outputTokens: r.usage.outputTokens },
          // The host does not say why generation stopped; a full budget of tokens means the limit did.
          finishReason: r.usage.outputTokens >= maxTokens ? 'length' : 'stop',
        };
      };
    }
    const providerCfg = this.opts.providers.find(model.provider);
    if (!providerCfg)
      throw new GearboxError(ErrorCodes.NoModelAvailable, `Provider ${model.provider} is not configured`);
    const provider = this.opts.providers.client(providerCfg);
    const apiName = apiModelName(model, providerCfg);
    const idleTimeoutMs = this.opts.providerIdleMs;
    return (onDelta, signal) => {
      let streamed = false;
      return withRetries(
        () =>
          provider.chat(
            {
              model: apiName,
              messages,
              maxTokens,
              temperature,
              signal,
              idleTimeoutMs,
              // A stream that reports no usage is counted with this model's tokenizer.
              countTokens: (text) => this.opts.tokens.countSync(model, text),
              ...(req.tools?.length ? { tools: req.tools, toolChoice: req.toolChoice } : {}),
            },
            (d) => {
              streamed = true;
              onDelta(d);
            },
          ),
        {
          maxAttempts: 3,
          baseDelayMs: 250,
          maxDelayMs: 4000,
          signal,
          // A retry after a partial answer would stream the answer twice.
          shouldRetry: () => !streamed,
          onRetry: (attempt: number, delayMs: number, err: unknown) =>
            this.opts.logger.info('retrying provider', {
              provider: providerCfg.id,
              attempt,
              delayMs,
              error: (err as Error).message,
            }),
        },
      );
    };
  }
}

/** Codes that say why a model could not run at all; a failure with another code is a provider error. */
const CAUSES = new Set<number>([
  ErrorCodes.ModelLoadFailed,
  ErrorCodes.ModelHostCrashed,
  ErrorCodes.MissingApiKey,
  ErrorCodes.RateLimited,
  ErrorCodes.Offline,
]);

/**
 * The code for a request every model failed: their shared cause when they all failed the same way
 * (a hostile GGUF is ModelLoadFailed, not a provider's error), else ProviderError.
 */
function sharedCause(codes: readonly (number | undefined)[]): number {
  const first = codes[0];
  return first !== undefined && CAUSES.has(first) && codes.every((c) => c === first) ? first : ErrorCodes.ProviderError;
}

/** The name the provider's API expects for a catalog model. */
function apiModelName(model: ModelInfo, provider: ProviderConfig): string {
  const user = provider.models?.find((m) => (m.id ?? `${provider.id}/${m.name}`) === model.id);
  if (user) return user.name;
  const prefix = `${provider.id}/`;
  return model.id.startsWith(prefix) ? model.id.slice(prefix.length) : model.id;
}

function abortError(): Error {
  const e = new Error('Request cancelled');
  e.name = 'AbortError';
  return e;
}
