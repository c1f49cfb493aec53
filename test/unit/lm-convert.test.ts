// VS Code's language-model API mapped onto Gearbox's protocol (extension/lm/lm-convert.ts), with
// objects shaped as the API's part classes are (text, tool call, tool result, data).
import assert from 'node:assert/strict';
import type { ModelInfo } from '../../shared/protocol';
import { estimateTokens, lmModels, routingFor, toChatMessages, toTools } from '../../extension/lm/lm-convert';

const model = (m: Partial<ModelInfo> & Pick<ModelInfo, 'id'>): ModelInfo => ({
  provider: m.id.split('/')[0]!,
  providerKind: 'openai-compatible',
  displayName: m.id,
  tier: 2,
  contextWindow: 32000,
  inputPricePerMTok: 1,
  outputPricePerMTok: 2,
  local: false,
  private: false,
  tasks: ['chat'],
  available: true,
  ...m,
});

describe('vscode.lm provider mapping', () => {
  it('offers Gearbox Auto, Gearbox Local and the usable chat models, in the picker', () => {
    const list = lmModels([
      model({ id: 'local/tiny', local: true, contextWindow: 4096, providerKind: 'local', inputPricePerMTok: 0 }),
      model({ id: 'openai/gpt-5', displayName: 'GPT-5', contextWindow: 400000 }),
      model({ id: 'anthropic/claude', available: false }),
      model({ id: 'local/embed', local: true, tasks: ['completion'] }),
    ]);
    assert.deepEqual(
      list.map((m) => [m.id, m.name, m.capabilities.toolCalling]),
      [
        ['gearbox/auto', 'Gearbox Auto', true],
        ['gearbox/local', 'Gearbox Local', false],
        ['local/tiny', 'local/tiny', false],
        ['openai/gpt-5', 'GPT-5', true],
      ],
    );
    assert.ok(list.every((m) => m.isUserSelectable && m.maxInputTokens > 0 && m.maxOutputTokens > 0));
    assert.deepEqual(
      lmModels([]).map((m) => m.id),
      ['gearbox/auto'],
    );
  });

  it('turns messages into turns: tool calls on the assistant, each tool result a tool turn, data as text', () => {
    const json = new TextEncoder().encode('{"ok":true}');
    const turns = toChatMessages([
      { role: 1, content: [{ value: 'Weather in Paris?' }] },
      { role: 2, content: [{ value: 'Checking.' }, { callId: 'c1', name: 'get_weather', input: { city: 'Paris' } }] },
      {
        role: 1,
        content: [
          { callId: 'c1', content: [{ value: 'sunny' }, { mimeType: 'application/json', data: json }] },
          { value: 'Thanks' },
        ],
      },
      { role: 1, content: [{ mimeType: 'image/png', data: new Uint8Array([1, 2]) }, { value: 'and this?' }] },
    ]);
    assert.deepEqual(turns, [
      { role: 'user', content: 'Weather in Paris?' },
      {
        role: 'assistant',
        content: 'Checking.',
        toolCalls: [{ id: 'c1', name: 'get_weather', arguments: '{"city":"Paris"}' }],
      },
      { role: 'tool', toolCallId: 'c1', content: 'sunny{"ok":true}' },
      { role: 'user', content: 'Thanks' },
      { role: 'user', content: 'and this?' },
    ]);
  });

  it('maps tools and tool mode, and the picked model to routing', () => {
    assert.deepEqual(toTools([{ name: 't', description: 'd', inputSchema: { type: 'object' } }], 2), {
      tools: [{ name: 't', description: 'd', parameters: { type: 'object' } }],
      toolChoice: 'required',
    });
    assert.deepEqual(toTools([], 1), {});
    assert.deepEqual(routingFor('gearbox/auto'), {});
    assert.deepEqual(routingFor('gearbox/local'), { hint: 'local' });
    assert.deepEqual(routingFor('openai/gpt-5'), { model: 'openai/gpt-5' });
  });

  it('falls back to four characters a token while the daemon cannot count', () => {
    assert.equal(estimateTokens('12345678'), 2);
    assert.equal(estimateTokens({ role: 1, content: [{ value: '123456789' }] }), 3);
  });
});
