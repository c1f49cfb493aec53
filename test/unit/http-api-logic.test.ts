// The HTTP API's pure parts: request shapes mapped onto the engine's turns, tool turns flattened for
// local models, header-safe route text, stop sequences, and validation messages that name the field.
import assert from 'node:assert/strict';
import { flattenToolTurns, messageText } from '../../daemon/chat-tools';
import { MessagesRequest, messagesOf, toolsOf } from '../../daemon/http-api/anthropic-schemas';
import { ApiError, errorBody, formatZod } from '../../daemon/http-api/errors';
import { headerText } from '../../daemon/http-api/gearbox-info';
import { cutAtStop } from '../../daemon/http-api/openai-completions';
import { ChatCompletionRequest, chatMessages, chatTools } from '../../daemon/http-api/openai-schemas';

describe('HTTP API request mapping', () => {
  it('maps OpenAI turns: developer → system, text parts joined, tool calls and results kept', () => {
    const req = ChatCompletionRequest.parse({
      model: 'gearbox/auto',
      messages: [
        {
          role: 'developer',
          content: [
            { type: 'text', text: 'Be ' },
            { type: 'text', text: 'brief.' },
          ],
        },
        { role: 'user', content: 'Weather?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c', type: 'function', function: { name: 'w', arguments: '{}' } }],
        },
        { role: 'tool', tool_call_id: 'c', content: 'sunny' },
      ],
      tools: [{ type: 'function', function: { name: 'w', parameters: { type: 'object' } } }],
      tool_choice: { type: 'function', function: { name: 'w' } },
      user: 'dropped',
    });
    assert.deepEqual(chatMessages(req), [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: '', toolCalls: [{ id: 'c', name: 'w', arguments: '{}' }] },
      { role: 'tool', toolCallId: 'c', content: 'sunny' },
    ]);
    assert.deepEqual(chatTools(req), {
      tools: [{ name: 'w', parameters: { type: 'object' } }],
      toolChoice: { name: 'w' },
    });
  });

  it('maps Anthropic turns: system blocks, tool_use as calls, each tool_result a tool turn, thinking dropped', () => {
    const req = MessagesRequest.parse({
      model: 'gearbox/auto',
      max_tokens: 10,
      system: [{ type: 'text', text: 'Sys' }],
      messages: [
        { role: 'user', content: 'Weather in Rome and Oslo?' },
        {
          role: 'assistant',
          content: [
            { type: 'thinking', thinking: 'hmm', signature: 's' },
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 't1', name: 'w', input: { city: 'Rome' } },
            { type: 'tool_use', id: 't2', name: 'w', input: { city: 'Oslo' } },
          ],
        },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 't1', content: 'rain' },
            { type: 'tool_result', tool_use_id: 't2', content: [{ type: 'text', text: 'snow' }], is_error: true },
            { type: 'text', text: 'And?' },
          ],
        },
      ],
      tool_choice: { type: 'any' },
      tools: [{ name: 'w', input_schema: { type: 'object' } }],
    });
    assert.deepEqual(messagesOf(req), [
      { role: 'system', content: 'Sys' },
      { role: 'user', content: 'Weather in Rome and Oslo?' },
      {
        role: 'assistant',
        content: 'Checking.',
        toolCalls: [
          { id: 't1', name: 'w', arguments: '{"city":"Rome"}' },
          { id: 't2', name: 'w', arguments: '{"city":"Oslo"}' },
        ],
      },
      { role: 'tool', toolCallId: 't1', content: 'rain' },
      { role: 'tool', toolCallId: 't2', content: 'Error: snow' },
      { role: 'user', content: 'And?' },
    ]);
    assert.deepEqual(toolsOf(req).toolChoice, 'required');
  });

  it('refuses images, server tools and n > 1 with messages that name the field', () => {
    const image = MessagesRequest.safeParse({
      model: 'm',
      max_tokens: 1,
      messages: [{ role: 'user', content: [{ type: 'image', source: {} }] }],
    });
    assert.ok(!image.success);
    assert.match(formatZod(image.error), /^messages\.0\.content\.0\.type: only text, tool_use, tool_result/);
    const server = MessagesRequest.safeParse({
      model: 'm',
      max_tokens: 1,
      messages: [{ role: 'user', content: 'x' }],
      tools: [{ type: 'web_search_20250305', name: 'web_search', input_schema: {} }],
    });
    assert.ok(!server.success);
    assert.match(formatZod(server.error), /tools\.0\.type: only custom tools/);
    const n = ChatCompletionRequest.safeParse({ model: 'm', messages: [{ role: 'user', content: 'x' }], n: 2 });
    assert.ok(!n.success);
    assert.match(formatZod(n.error), /^n: only 1 choice/);
  });

  it('gives local models tool turns as text, and the router all the text a turn sends', () => {
    const turns = [
      { role: 'user' as const, content: 'Weather?' },
      { role: 'assistant' as const, content: '', toolCalls: [{ id: 'a', name: 'w', arguments: '{"c":1}' }] },
      { role: 'tool' as const, toolCallId: 'a', content: 'sunny' },
      { role: 'tool' as const, toolCallId: 'b', content: 'rain' },
    ];
    assert.deepEqual(flattenToolTurns(turns), [
      { role: 'user', content: 'Weather?' },
      { role: 'assistant', content: 'Called tool w (call a) with {"c":1}' },
      { role: 'user', content: 'Result of tool call a:\nsunny\n\nResult of tool call b:\nrain' },
    ]);
    assert.equal(messageText(turns[1]!), 'w({"c":1})');
  });
});

describe('HTTP API responses', () => {
  it('spells the route summary in printable ASCII for a header, cut at 500 characters', () => {
    assert.equal(
      headerText('m: expected 0.81 ≥ target 0.75 — difficulty 0.2\n'),
      'm: expected 0.81 >= target 0.75 - difficulty 0.2?',
    );
    assert.equal(headerText('x'.repeat(600)).length, 500);
  });

  it('cuts a completion at the first stop sequence', () => {
    assert.deepEqual(cutAtStop('a + b\n\nprint()', ['```', '\n\n']), { text: 'a + b', stopped: true });
    assert.deepEqual(cutAtStop('a + b', ['\n']), { text: 'a + b', stopped: false });
  });

  it('shapes errors as each API does', () => {
    const e = new ApiError('over-budget', 'daily budget reached', 3600);
    assert.equal(e.status, 429);
    assert.deepEqual(errorBody('openai', e), {
      error: { message: 'daily budget reached', type: 'insufficient_quota', param: null, code: 'budget_exceeded' },
    });
    assert.deepEqual(errorBody('anthropic', e), {
      type: 'error',
      error: { type: 'rate_limit_error', message: 'daily budget reached' },
    });
  });
});
