// OpenAI and every server speaking its Chat Completions API (OpenRouter, vLLM, Ollama,
// LM Studio, llama-server, Groq, Mistral, DeepSeek).
import OpenAI from 'openai';
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions';
import type { ChatMessage, FinishReason, ToolChoice } from '../../shared/protocol';
import type { ProviderConfig } from '../config';
import type { ChatProvider, ProviderChatRequest } from './chat-provider';
import { ProviderError, toProviderError } from './errors';
import { KEYLESS_PLACEHOLDER, sdkTimeout, streamBase, type ProviderRuntime } from './runtime';
import { streamChat } from './stream-chat';

export function createOpenAIProvider(config: ProviderConfig, rt: ProviderRuntime): ChatProvider {
  const compatible = config.kind === 'openai-compatible';
  let cached: { key: string | undefined; client: OpenAI } | undefined;
  // Some compatible servers reject `stream_options`; remember it so we ask only once.
  let streamOptionsRejected = false;

  const clientFor = (key: string | undefined): OpenAI => {
    if (cached && cached.key === key) return cached.client;
    const client = new OpenAI({
      // A keyless server gets no Authorization header at all: the SDK needs some key to start, and
      // a null default header removes the one it would build from it.
      apiKey: key ?? KEYLESS_PLACEHOLDER,
      ...(key === undefined ? { defaultHeaders: { Authorization: null } } : {}),
      ...(config.baseUrl ? { baseURL: config.baseUrl } : {}),
      // The router owns retries (see retry.ts); SDK retries would hide failures and double waits.
      maxRetries: 0,
      timeout: sdkTimeout(rt.connectTimeoutMs),
      // OPENAI_ORG_ID / OPENAI_PROJECT_ID belong to api.openai.com, not to third-party servers.
      ...(compatible ? { organization: null, project: null } : {}),
    });
    cached = { key, client };
    return client;
  };

  const body = (req: ProviderChatRequest, withUsage: boolean): ChatCompletionCreateParamsStreaming => ({
    model: req.model,
    messages: req.messages.map(wireMessage),
    stream: true,
    ...(req.tools?.length
      ? {
          tools: req.tools.map((t) => ({
            type: 'function' as const,
            function: {
              name: t.name,
              ...(t.description !== undefined ? { description: t.description } : {}),
              parameters: t.parameters ?? { type: 'object', properties: {} },
            },
          })),
          ...(req.toolChoice ? { tool_choice: wireToolChoice(req.toolChoice) } : {}),
        }
      : {}),
    ...(withUsage ? { stream_options: { include_usage: true } } : {}),
    // OpenAI's reasoning models reject max_tokens; most compatible servers only know max_tokens.
    ...(req.maxTokens !== undefined
      ? compatible
        ? { max_tokens: req.maxTokens }
        : { max_completion_tokens: req.maxTokens }
      : {}),
    ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
  });

  const run = (req: ProviderChatRequest, key: string | undefined, onDelta: (t: string) => void, withUsage: boolean) =>
    streamChat<ChatCompletionChunk>({
      ...streamBase(rt, config.id, key),
      req,
      open: (signal) => clientFor(key).chat.completions.create(body(req, withUsage), { signal }),
      read: (chunk) => {
        const choice = chunk.choices[0];
        const delta = choice?.delta?.content;
        const calls = choice?.delta?.tool_calls ?? [];
        const finishReason = finishReasonOf(choice?.finish_reason);
        return {
          ...(typeof delta === 'string' && delta ? { delta } : {}),
          ...(calls.length
            ? {
                toolCalls: calls.map((call) => ({
                  index: call.index,
                  ...(call.id ? { id: call.id } : {}),
                  ...(call.function?.name ? { name: call.function.name } : {}),
                  ...(call.function?.arguments ? { arguments: call.function.arguments } : {}),
                })),
              }
            : {}),
          ...(finishReason ? { finishReason } : {}),
          ...(chunk.usage
            ? { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens }
            : {}),
          finished: Boolean(choice?.finish_reason) || Boolean(chunk.usage),
        };
      },
      onDelta,
    });

  return {
    id: config.id,
    kind: config.kind,
    async chat(req, onDelta) {
      const key = rt.resolveKey();
      try {
        return await run(req, key, onDelta, !streamOptionsRejected);
      } catch (err) {
        const e =
          err instanceof ProviderError
            ? err
            : toProviderError(err, { providerId: config.id, ...(key ? { apiKey: key } : {}) });
        if (!compatible || streamOptionsRejected || !rejectsStreamOptions(e)) throw err;
        streamOptionsRejected = true;
        rt.logger.info('server rejected stream_options; retrying without usage reporting', { provider: config.id });
        return run(req, key, onDelta, false);
      }
    },
  };
}

function rejectsStreamOptions(e: ProviderError): boolean {
  return (
    e.kind === 'bad-request' &&
    (e.status === 400 || e.status === 422) &&
    /stream_options|include_usage/i.test(e.message)
  );
}

/** A turn in Chat Completions form: plain turns stay `{role, content}`; tool calls and results get their fields. */
function wireMessage(m: ChatMessage): ChatCompletionMessageParam {
  if (m.role === 'tool') return { role: 'tool', tool_call_id: m.toolCallId ?? '', content: m.content };
  if (m.role === 'assistant' && m.toolCalls?.length) {
    return {
      role: 'assistant',
      content: m.content || null,
      tool_calls: m.toolCalls.map((c) => ({
        id: c.id,
        type: 'function' as const,
        function: { name: c.name, arguments: c.arguments },
      })),
    };
  }
  return { role: m.role, content: m.content };
}

function wireToolChoice(choice: ToolChoice): ChatCompletionToolChoiceOption {
  return typeof choice === 'string' ? choice : { type: 'function', function: { name: choice.name } };
}

function finishReasonOf(reason: string | null | undefined): FinishReason | undefined {
  if (reason === 'length') return 'length';
  if (reason === 'tool_calls' || reason === 'function_call') return 'tool-calls';
  return reason ? 'stop' : undefined;
}
