// A long conversation must be routed by everything it sends, not by its last message: 40 long
// turns do not fit an 8k-context local model even when the last question is an easy one.
import assert from 'node:assert/strict';
import type { ChatMessage } from '../../shared/protocol';
import { FakeModelHost } from '../fakes/fake-model-host';
import { startFakeOpenAI } from '../fakes/fake-openai';
import type { FakeServer } from '../fakes/fake-server';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon-harness';

const KEY = 'bigctx-key-123456789';

/** ~1,300 characters (~330 tokens) of ordinary prose per turn: 40 of them are ~13k tokens. */
function turn(i: number): string {
  const sentence = `Turn ${i}: we talked about the shape of the user list, how the table is sorted and paged. `;
  return sentence.repeat(14);
}

describe('long chats: every turn counts toward the context window', function () {
  this.timeout(60_000);
  let cloud: FakeServer;
  let d: TestDaemon;
  let host: FakeModelHost;

  before(async () => {
    cloud = await startFakeOpenAI({ apiKey: KEY });
    host = new FakeModelHost();
    d = await startTestDaemon(
      {
        localModels: [{ id: 'local/small', source: '/nonexistent/small.gguf', tier: 1, contextSize: 8192 }],
        providers: [
          {
            id: 'bigctx',
            kind: 'openai-compatible',
            baseUrl: cloud.url,
            apiKeyEnv: 'BIGCTX_KEY',
            models: [
              { name: 'long-1', tier: 1, contextWindow: 200_000, inputPricePerMTok: 0.1, outputPricePerMTok: 0.4 },
            ],
          },
        ],
      },
      { modelHost: host, env: { PATH: process.env.PATH ?? '', BIGCTX_KEY: KEY } },
    );
  });
  after(async () => {
    await d?.stop();
    await cloud?.close();
  });

  it('a 40-turn chat with an easy last question is not sent to the 8k local model', async () => {
    const chat = (content: (i: number) => string): ChatMessage[] => [
      ...Array.from(
        { length: 39 },
        (_, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: content(i) }) as const,
      ),
      { role: 'user', content: 'rename this variable' },
    ];
    const messages = chat(turn);
    const c = await d.connect();
    const res = await c.request('gearbox/chat', { streamId: 'long', messages });

    assert.equal(res.model, 'bigctx/long-1', res.route.summary);
    const sentChars = messages.reduce((n, m) => n + m.content.length, 0);
    assert.ok(
      res.route.estimatedInputTokens >= sentChars / 4,
      `estimate ${res.route.estimatedInputTokens} counts every turn (${sentChars} chars)`,
    );
    const local = res.route.rejected.find((r) => r.model === 'local/small');
    assert.equal(local?.reason, 'context-too-small', JSON.stringify(res.route.rejected));
    assert.equal(host.calls.length, 0, 'the local model never saw the conversation');
    assert.equal(cloud.requests.length, 1);
    // Difficulty is still the request's own: the same chat with short turns is exactly as hard.
    const short = await c.request('gearbox/chat', { streamId: 'short', messages: chat((i) => `turn ${i}`) });
    assert.equal(short.model, 'local/small', short.route.summary);
    assert.equal(res.route.difficulty, short.route.difficulty);
  });
});
