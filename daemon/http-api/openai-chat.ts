// POST /v1/chat/completions: OpenAI's Chat Completions, streamed as `chat.completion.chunk` events
// (role first, then content deltas, tool calls whole at the end, the finish reason with the `gearbox`
// field, usage in a last chunk when stream_options.include_usage asks for it, then [DONE]) or
// answered as one `chat.completion` object.
import { randomBytes } from 'node:crypto';
import type { ChatResult, FinishReason } from '../../shared/protocol';
import { type ApiCall, chatRouting, modelChoice, runChat, toolsUse } from './api-call';
import type { ApiResponse } from './api-response';
import { gearboxInfo, routeHeaders } from './gearbox-info';
import { type ChatCompletionRequest, chatMessages, chatTools } from './openai-schemas';

const FINISH: Record<FinishReason, string> = { stop: 'stop', length: 'length', 'tool-calls': 'tool_calls' };

export async function chatCompletions(call: ApiCall, body: ChatCompletionRequest, out: ApiResponse): Promise<void> {
  const choice = await modelChoice(call.engine, body.model);
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  const params = {
    messages: chatMessages(body),
    ...chatRouting(choice),
    ...(maxTokens !== undefined ? { maxTokens } : {}),
    ...(body.temperature !== null && body.temperature !== undefined ? { temperature: body.temperature } : {}),
    ...chatTools(body),
  };
  const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
  const created = Math.floor(Date.now() / 1000);
  const usage = (r: ChatResult) => ({
    prompt_tokens: r.usage.inputTokens,
    completion_tokens: r.usage.outputTokens,
    total_tokens: r.usage.inputTokens + r.usage.outputTokens,
  });
  const toolCalls = (r: ChatResult) =>
    (r.toolCalls ?? []).map((c) => ({
      id: c.id,
      type: 'function',
      function: { name: c.name, arguments: c.arguments },
    }));

  if (!body.stream) {
    const r = await runChat(call, params, { onStart: () => {}, onDelta: () => {} });
    const calls = toolCalls(r);
    out.json(
      200,
      {
        id,
        object: 'chat.completion',
        created,
        model: r.model,
        choices: [
          {
            index: 0,
            message: {
              role: 'assistant',
              content: r.text || (calls.length ? null : ''),
              refusal: null,
              ...(calls.length ? { tool_calls: calls } : {}),
            },
            logprobs: null,
            finish_reason: FINISH[r.finishReason ?? 'stop'],
          },
        ],
        usage: usage(r),
        gearbox: gearboxInfo(r, toolsUse(params, r)),
      },
      routeHeaders(r.model, r.route),
    );
    return;
  }

  const includeUsage = body.stream_options?.include_usage === true;
  let model = '';
  // With include_usage every chunk but the last carries `usage: null`, as OpenAI sends it.
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices,
    ...(includeUsage ? { usage: null } : {}),
    ...extra,
  });
  const r = await runChat(call, params, {
    onStart: (m, decision) => {
      model = m;
      out.startStream(routeHeaders(m, decision));
      out.event(chunk([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]));
    },
    onDelta: (text) => out.event(chunk([{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }])),
  });
  toolCalls(r).forEach((c, index) =>
    out.event(chunk([{ index: 0, delta: { tool_calls: [{ index, ...c }] }, logprobs: null, finish_reason: null }])),
  );
  out.event(
    chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: FINISH[r.finishReason ?? 'stop'] }], {
      gearbox: gearboxInfo(r, toolsUse(params, r)),
    }),
  );
  if (includeUsage) out.event({ ...chunk([]), usage: usage(r) });
  out.event('[DONE]');
  out.end();
}
