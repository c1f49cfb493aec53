// Anthropic Messages API.
import Anthropic from '@anthropic-ai/sdk';
import type {
  ContentBlockParam,
  MessageCreateParamsStreaming,
  MessageParam,
  RawMessageStreamEvent,
  ToolChoice as WireToolChoice,
} from '@anthropic-ai/sdk/resources/messages';
import type { ChatMessage, FinishReason, ToolChoice } from '../../shared/protocol';
import { argumentsObject } from '../chat-tools';
import type { ProviderConfig } from '../config';
import type { ChatProvider, ProviderChatRequest } from './chat-provider';
import { KEYLESS_PLACEHOLDER, sdkTimeout, streamBase, type ProviderRuntime } from './runtime';
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
      messages: wireMessages(req.messages),
      stream: true,
      ...(req.tools?.length
        ? {
            tools: req.tools.map((t) => ({
              name: t.name,
              ...(t.description !== undefined ? { description: t.description } : {}),
              input_schema: { type: 'object' as const, ...t.parameters },
            })),
            ...(req.toolChoice ? { tool_choice: wireToolChoice(req.toolChoice) } : {}),
          }
        : {}),
    };
  };

  return {
    id: config.id,
    kind: config.kind,
    async chat(req, onDelta) {
      // Keyless (noKey) servers speak OpenAI's API; this SDK cannot go without a key, so it gets a dummy.
      const key = rt.resolveKey() ?? KEYLESS_PLACEHOLDER;
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
    case 'content_block_start':
      return ev.content_block.type === 'tool_use'
        ? { toolCalls: [{ index: ev.index, id: ev.content_block.id, name: ev.content_block.name }] }
        : {};
    case 'content_block_delta':
      if (ev.delta.type === 'input_json_delta')
        return { toolCalls: [{ index: ev.index, arguments: ev.delta.partial_json }] };
      return ev.delta.type === 'text_delta' && ev.delta.text ? { delta: ev.delta.text } : {};
    case 'message_delta': {
      const u = ev.usage;
      const step: StreamStep = { outputTokens: u.output_tokens };
      const reason = stopReasonOf(ev.delta.stop_reason);
      if (reason) step.finishReason = reason;
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

function stopReasonOf(reason: string | null | undefined): FinishReason | undefined {
  if (reason === 'max_tokens') return 'length';
  if (reason === 'tool_use') return 'tool-calls';
  return reason ? 'stop' : undefined;
}

function wireToolChoice(choice: ToolChoice): WireToolChoice {
  if (choice === 'auto') return { type: 'auto' };
  if (choice === 'none') return { type: 'none' };
  if (choice === 'required') return { type: 'any' };
  return { type: 'tool', name: choice.name };
}

/**
 * The turns in Messages form: the system prompt goes apart; an assistant turn's tool calls become
 * tool_use blocks, and the results that follow become tool_result blocks of one user turn (the API
 * wants every result of a turn's calls in the next user message). Plain turns stay `{role, content}`.
 */
function wireMessages(messages: readonly ChatMessage[]): MessageParam[] {
  const out: MessageParam[] = [];
  let results: ContentBlockParam[] | undefined;
  for (const m of messages) {
    if (m.role === 'system') continue;
    if (m.role === 'tool') {
      const block: ContentBlockParam = { type: 'tool_result', tool_use_id: m.toolCallId ?? '', content: m.content };
      if (results) results.push(block);
      else {
        results = [block];
        out.push({ role: 'user', content: results });
      }
      continue;
    }
    if (m.role === 'user' && results) {
      // Text after the results belongs in the same user turn.
      if (m.content) results.push({ type: 'text', text: m.content });
      results = undefined;
      continue;
    }
    results = undefined;
    if (m.role === 'assistant' && m.toolCalls?.length) {
      const blocks: ContentBlockParam[] = m.content ? [{ type: 'text', text: m.content }] : [];
      for (const c of m.toolCalls)
        blocks.push({ type: 'tool_use', id: c.id, name: c.name, input: argumentsObject(c.arguments) });
      out.push({ role: 'assistant', content: blocks });
      continue;
    }
    out.push({ role: m.role === 'assistant' ? 'assistant' : 'user', content: m.content });
  }
  return out;
}
