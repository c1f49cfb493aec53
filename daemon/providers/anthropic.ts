// Anthropic Messages API.
import Anthropic from '@anthropic-ai/sdk';
import type { MessageCreateParamsStreaming, RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import type { ProviderConfig } from '../config';
import type { ChatProvider, ProviderChatRequest } from './chat-provider';
import { sdkTimeout, streamBase, type ProviderRuntime } from './runtime';
import { streamChat, type StreamStep } from './stream-chat';

/** The Messages API requires max_tokens. */
const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;

export function createAnthropicProvider(config: ProviderConfig, rt: ProviderRuntime): ChatProvider {
  let cached: { key: string; client: Anthropic } | undefined;

  const clientFor = (key: string): Anthropic => {
    if (cached?.key === key) return cached.client;
    const client = new Anthropic({
      apiKey: key,
      // Without this the SDK would also send ANTHROPIC_AUTH_TOKEN from the daemon's environment.
      authToken: null,
      ...(config.baseUrl ? { baseURL: config.baseUrl } : {}),
      // The router owns retries (see retry.ts).
      maxRetries: 0,
      timeout: sdkTimeout(rt.connectTimeoutMs),
    });
    cached = { key, client };
    return client;
  };

  const body = (req: ProviderChatRequest): MessageCreateParamsStreaming => {
    const system = req.messages
      .filter((m) => m.role === 'system')
      .map((m) => m.content)
      .join('\n\n');
    // The typed params of this SDK version have no `temperature`, so req.temperature is not sent.
    return {
      model: req.model,
      max_tokens: req.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
      ...(system ? { system } : {}),
      messages: req.messages.flatMap((m) => (m.role === 'system' ? [] : [{ role: m.role, content: m.content }])),
      stream: true,
    };
  };

  return {
    id: config.id,
    kind: config.kind,
    async chat(req, onDelta) {
      const key = rt.resolveKey();
      return streamChat<RawMessageStreamEvent>({
        ...streamBase(rt, config.id, key),
        req,
        open: (signal) => clientFor(key).messages.create(body(req), { signal }),
        read: readEvent,
        onDelta,
      });
    },
  };
}

function readEvent(ev: RawMessageStreamEvent): StreamStep {
  switch (ev.type) {
    case 'message_start': {
      const u = ev.message.usage;
      // Cached prompt tokens are billed input too; the API reports them apart from input_tokens.
      const input = u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
      return { inputTokens: input, outputTokens: u.output_tokens };
    }
    case 'content_block_delta':
      return ev.delta.type === 'text_delta' && ev.delta.text ? { delta: ev.delta.text } : {};
    case 'message_delta': {
      const u = ev.usage;
      const step: StreamStep = { outputTokens: u.output_tokens };
      if (u.input_tokens !== null && u.input_tokens !== undefined) {
        step.inputTokens = u.input_tokens + (u.cache_creation_input_tokens ?? 0) + (u.cache_read_input_tokens ?? 0);
      }
      return step;
    }
    case 'message_stop':
      return { finished: true };
    default:
      return {};
  }
}
