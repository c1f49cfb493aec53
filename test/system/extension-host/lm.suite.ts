// Runs inside the extension host: Gearbox as a vscode.lm chat provider (VS Code 1.104+). Another
// extension's view of it: select {vendor: 'gearbox'}, send a request, read the stream, count tokens,
// and get a tool call back from a closed model (the harness's fake provider answers any request
// that offers tools with a get_weather call). The LM API types are declared here: @types/vscode is 1.91.
import assert from 'node:assert/strict';
import { countTokens as o200k } from 'gpt-tokenizer/encoding/o200k_base';
import * as vscode from 'vscode';
import { STAND_IN_RATIO } from '../../../daemon/tokens/tokenizers';

interface LmChat {
  id: string;
  vendor: string;
  name: string;
  maxInputTokens: number;
  sendRequest(
    messages: unknown[],
    options: unknown,
    token?: vscode.CancellationToken,
  ): Promise<{ stream: AsyncIterable<unknown> }>;
  countTokens(text: string, token?: vscode.CancellationToken): Promise<number>;
}
interface LmHost {
  selectChatModels(selector: { vendor?: string; id?: string }): Promise<LmChat[]>;
}
interface Parts {
  LanguageModelChatMessage: { User(content: string): unknown };
  LanguageModelTextPart: new (value: string) => { value: string };
  LanguageModelToolCallPart: new (...args: never[]) => { callId: string; name: string; input: object };
  LanguageModelChatToolMode: { Required: number };
}

const lm = () => (vscode as unknown as { lm: LmHost }).lm;
const parts = () => vscode as unknown as Parts;

async function gearboxModels(): Promise<LmChat[]> {
  await vscode.extensions.getExtension('gearbox.gearbox')?.activate();
  // The catalog comes from the daemon: the list fills once the connection is up.
  for (let i = 0; i < 200; i++) {
    const models = await lm().selectChatModels({ vendor: 'gearbox' });
    if (models.some((m) => m.id === 'fake/fake-large')) return models;
    await new Promise((r) => setTimeout(r, 100));
  }
  return lm().selectChatModels({ vendor: 'gearbox' });
}

describe('Gearbox as a vscode.lm chat model provider', function () {
  this.timeout(120_000);

  it('offers Gearbox Auto, Gearbox Local and the configured models for {vendor: "gearbox"}', async () => {
    const models = await gearboxModels();
    const byId = new Map(models.map((m) => [m.id, m]));
    assert.equal(byId.get('gearbox/auto')?.name, 'Gearbox Auto');
    assert.equal(byId.get('gearbox/local')?.name, 'Gearbox Local');
    assert.ok(byId.has('local/tiny'), [...byId.keys()].join(', '));
    assert.ok(byId.has('fake/fake-large'), [...byId.keys()].join(', '));
    assert.ok(models.every((m) => m.vendor === 'gearbox' && m.maxInputTokens > 0));
  });

  it('streams an answer and counts tokens', async () => {
    const [model] = (await gearboxModels()).filter((m) => m.id === 'fake/fake-large');
    assert.ok(model);
    const P = parts();
    const res = await model.sendRequest([P.LanguageModelChatMessage.User('Say hello to the tests')], {});
    const texts: string[] = [];
    for await (const part of res.stream) if (part instanceof P.LanguageModelTextPart) texts.push(part.value);
    assert.ok(texts.length > 1, `streamed in ${texts.length} part(s)`);
    assert.equal(texts.join(''), 'Fake OpenAI answer to "Say hello to the tests".');
    // fake-large is an OpenAI-compatible endpoint's model: the daemon counts it with the o200k_base stand-in.
    const expected = Math.ceil(o200k('twelve chars') * STAND_IN_RATIO.other);
    assert.equal(await model.countTokens('twelve chars'), expected);
  });

  it('passes tools to the model and returns its tool call as a LanguageModelToolCallPart', async () => {
    const [model] = (await gearboxModels()).filter((m) => m.id === 'fake/fake-large');
    assert.ok(model);
    const P = parts();
    const tools = [
      {
        name: 'get_weather',
        description: 'Weather for a city',
        inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
    ];
    const res = await model.sendRequest([P.LanguageModelChatMessage.User('Weather in Paris?')], {
      tools,
      toolMode: P.LanguageModelChatToolMode.Required,
    });
    const calls: { callId: string; name: string; input: object }[] = [];
    for await (const part of res.stream) if (part instanceof P.LanguageModelToolCallPart) calls.push(part);
    assert.equal(calls.length, 1);
    assert.equal(calls[0]?.name, 'get_weather');
    assert.deepEqual(calls[0]?.input, { city: 'Paris' });
  });
});
