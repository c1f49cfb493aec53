// POST /v1/messages: Anthropic's Messages API. Streamed as its named events — message_start, a text
// block (content_block_start / _delta / _stop) opened with the first text, one tool_use block per
// call (its input as one input_json_delta), message_delta with the stop reason, usage and the
// `gearbox` field, message_stop — or answered as one `message` object.
import { randomBytes } from 'node:crypto';
import type { ChatResult, FinishReason } from '../../shared/protocol';
import { argumentsObject } from '../chat-tools';
import { type ApiCall, chatRouting, modelChoice, runChat, toolsUse } from './api-call';
import type { ApiResponse } from './api-response';
import { type MessagesRequest, messagesOf, toolsOf } from './anthropic-schemas';
import { gearboxInfo, routeHeaders } from './gearbox-info';

const STOP: Record<FinishReason, string> = { stop: 'end_turn', length: 'max_tokens', 'tool-calls': 'tool_use' };

export async function messages(call: ApiCall, body: MessagesRequest, out: ApiResponse): Promise<void> {
  const choice = await modelChoice(call.engine, body.model);
  const params = {
    messages: messagesOf(body),
    ...chatRouting(choice),
    maxTokens: body.max_tokens,
    ...(body.temperature !== undefined ? { temperature: body.temperature } : {}),
    ...toolsOf(body),
  };
  const id = `msg_${randomBytes(12).toString('hex')}`;
  const usage = (r: ChatResult) => ({ input_tokens: r.usage.inputTokens, output_tokens: r.usage.outputTokens });

  if (!body.stream) {
    const r = await runChat(call, params, { onStart: () => {}, onDelta: () => {} });
    const content = [
      ...(r.text ? [{ type: 'text', text: r.text }] : []),
      ...(r.toolCalls ?? []).map((c) => ({
        type: 'tool_use',
        id: c.id,
        name: c.name,
        input: argumentsObject(c.arguments),
      })),
    ];
    out.json(
      200,
      {
        id,
        type: 'message',
        role: 'assistant',
        model: r.model,
        content,
        stop_reason: STOP[r.finishReason ?? 'stop'],
        stop_sequence: null,
        usage: usage(r),
        gearbox: gearboxInfo(r, toolsUse(params, r)),
      },
      routeHeaders(r.model, r.route),
    );
    return;
  }

  let blocks = 0;
  let textOpen = false;
  const r = await runChat(call, params, {
    onStart: (model, decision) => {
      out.startStream(routeHeaders(model, decision));
      const message = {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        // The real counts come with message_delta; until then the router's estimate.
        usage: { input_tokens: decision?.estimatedInputTokens ?? 0, output_tokens: 0 },
      };
      out.event({ type: 'message_start', message }, 'message_start');
      out.event({ type: 'ping' }, 'ping');
    },
    onDelta: (text) => {
      if (!textOpen) {
        textOpen = true;
        const start = { type: 'content_block_start', index: blocks, content_block: { type: 'text', text: '' } };
        out.event(start, 'content_block_start');
      }
      const delta = { type: 'content_block_delta', index: blocks, delta: { type: 'text_delta', text } };
      out.event(delta, 'content_block_delta');
    },
  });
  if (textOpen) out.event({ type: 'content_block_stop', index: blocks++ }, 'content_block_stop');
  for (const c of r.toolCalls ?? []) {
    const index = blocks++;
    const block = { type: 'tool_use', id: c.id, name: c.name, input: {} };
    out.event({ type: 'content_block_start', index, content_block: block }, 'content_block_start');
    const partial = JSON.stringify(argumentsObject(c.arguments));
    const delta = { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: partial } };
    out.event(delta, 'content_block_delta');
    out.event({ type: 'content_block_stop', index }, 'content_block_stop');
  }
  out.event(
    {
      type: 'message_delta',
      delta: { stop_reason: STOP[r.finishReason ?? 'stop'], stop_sequence: null },
      usage: usage(r),
      gearbox: gearboxInfo(r, toolsUse(params, r)),
    },
    'message_delta',
  );
  out.event({ type: 'message_stop' }, 'message_stop');
  out.end();
}
