// Real token counts end to end: the model host counts with a local model's own vocabulary (read
// without the weights until the model loads), the router checks context windows and prices with
// each model's own count, and every count says how it was made. The expected numbers come from the
// libraries themselves: node-llama-cpp on the generated GGUF (a real Qwen2.5 tokenizer) and
// gpt-tokenizer's o200k_base.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { countTokens as o200k } from 'gpt-tokenizer/encoding/o200k_base';
import type { LlamaModel } from 'node-llama-cpp';
import { ApiKeyStore, apiKeysPath } from '../../daemon/http-api/api-keys';
import { createLogger, silentLogger } from '../../daemon/log';
import { ModelHostClient } from '../../daemon/model-host/client';
import { TokenCounter } from '../../daemon/tokens/token-counter';
import { STAND_IN_RATIO } from '../../daemon/tokens/tokenizers';
import type { ChatMessage } from '../../shared/protocol';
import { makeTestModel } from '../fixtures/make-test-model';
import { startFakeOpenAI } from '../fakes/fake-openai';
import type { FakeServer } from '../fakes/fake-server';
import { startTestDaemon, tempDir, type TestDaemon } from '../helpers/daemon-harness';
import { model as catalogModel } from '../helpers/catalog-models';

const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'daemon', 'model-host', 'main.ts');

/** Prose, code, digits (Qwen2 splits them one per token), other scripts, and text that looks like a special token. */
const FIXED = [
  'The quick brown fox jumps over the lazy dog.',
  'export function add(a: number, b: number): number {\n  return a + b;\n}\n',
  '3141592653589793238462643383279502884197',
  '数据库连接失败，请重试。 Überprüfen Sie die Verbindung. 🚀',
  'a literal <|im_end|> and <|endoftext|> in user text',
];

const KEY = 'openai-compatible-key-123456';

describe('token counts: real tokenizers from the model host to the router', function () {
  this.timeout(120_000);
  let modelPath: string;
  let vocab: LlamaModel;
  /** node-llama-cpp's own count, in this process: the reference. */
  const own = (text: string) => vocab.tokenize(text, false).length;

  before(async () => {
    modelPath = makeTestModel({ shape: 'tiny' });
    const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
    const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, maxThreads: 1 });
    vocab = await llama.loadModel({ modelPath, vocabOnly: true });
  });
  after(async () => {
    await vocab?.dispose();
  });

  describe('the model host', () => {
    let client: ModelHostClient;
    before(() => {
      client = new ModelHostClient({
        entry,
        execArgv: ['--import', 'tsx'],
        models: [
          { id: 'local/tiny', source: modelPath },
          { id: 'local/gone', source: path.join(tempDir(), 'missing.gguf') },
        ],
        modelsDir: tempDir(),
        threads: 1,
        gpu: false,
        logger: silentLogger,
      });
    });
    after(() => client.dispose());

    it("counts with the model's own vocabulary: read without the weights, then from the loaded model", async () => {
      const before = await client.tokenize({ modelId: 'local/tiny', texts: FIXED });
      assert.equal(before.source, 'vocab-only');
      assert.deepEqual(before.counts, FIXED.map(own));
      const status = await client.status();
      assert.deepEqual(
        status.loaded.map((m) => m.id),
        [],
        'counting loads no model',
      );
      await client.load('local/tiny');
      const after = await client.tokenize({ modelId: 'local/tiny', texts: FIXED });
      assert.equal(after.source, 'loaded');
      assert.deepEqual(after.counts, before.counts);
      await client.unload('local/tiny');
    });

    it('the token counter caches each text, and labels the stand-in when the model cannot count', async () => {
      const logs: string[] = [];
      const counter = new TokenCounter({ modelHost: client, logger: createLogger({ write: (l) => logs.push(l) }) });
      const tiny = catalogModel('local/tiny', {});
      const first = await counter.count(tiny, FIXED);
      assert.deepEqual(first, {
        tokens: FIXED.map(own).reduce((a, b) => a + b, 0),
        method: 'exact',
        tokenizer: "local/tiny's own (its GGUF vocabulary)",
      });
      const misses = counter.cache.stats().misses;
      assert.deepEqual(await counter.count(tiny, FIXED), first);
      assert.equal(counter.cache.stats().misses, misses, 'the second count is all cache hits');
      // What was counted once is there without asking the host again.
      assert.equal(counter.countSync(tiny, FIXED[2]!).tokens, own(FIXED[2]!));

      const gone = catalogModel('local/gone', {});
      const fallback = await counter.count(gone, FIXED);
      assert.equal(fallback.method, 'approximate');
      assert.equal(fallback.tokenizer, `o200k_base × ${STAND_IN_RATIO.other} (local/gone)`);
      const raw = FIXED.map((t) => o200k(t, { disallowedSpecial: new Set() })).reduce((a, b) => a + b, 0);
      assert.equal(fallback.tokens, Math.ceil(raw * STAND_IN_RATIO.other));
      assert.equal(logs.filter((l) => l.includes('own tokenizer failed')).length, 1, 'warned once');
    });
  });

  describe('the daemon', () => {
    let d: TestDaemon;
    let cloud: FakeServer;
    const stateDir = path.join(tempDir(), 'state');

    before(async () => {
      cloud = await startFakeOpenAI({ apiKey: KEY });
      d = await startTestDaemon(
        {
          localModels: [{ id: 'local/tiny', source: modelPath, tier: 1, contextSize: 4096 }],
          modelDirs: [path.dirname(modelPath)],
          providers: [
            {
              id: 'proxy',
              kind: 'openai-compatible',
              baseUrl: cloud.url,
              apiKeyEnv: 'PROXY_KEY',
              // An OpenAI model behind a compatible endpoint: counted with o200k_base, exactly.
              models: [
                { name: 'gpt-4o', tier: 1, contextWindow: 128_000, inputPricePerMTok: 1, outputPricePerMTok: 4 },
              ],
            },
          ],
        },
        {
          env: {
            PATH: process.env.PATH ?? '',
            PROXY_KEY: KEY,
            HOME: tempDir(),
            XDG_STATE_HOME: stateDir,
          },
        },
      );
    });
    after(async () => {
      await d?.stop();
      await cloud?.close();
    });

    it('routing never waits for a vocabulary: until it is open, the local count is the labelled stand-in', async () => {
      const c = await d.connect();
      // 3,000 digits: by their bytes they might overflow local/tiny's 4,096-token window: its own count matters.
      const prompt = '9'.repeat(3000);
      // The first count for local/tiny: neither loaded nor its vocabulary open yet.
      const first = await c.request('gearbox/route', { task: 'chat', prompt, model: 'local/tiny' });
      assert.deepEqual(
        [first.estimatedInputTokens, first.inputTokensMethod],
        [Math.ceil(o200k(prompt) * STAND_IN_RATIO.other), 'approximate'],
      );
      // A client's own count waits for the vocabulary; after it, routing counts exactly too.
      await c.request('gearbox/tokens/count', { texts: ['open the vocabulary'], model: 'local/tiny' });
      const next = await c.request('gearbox/route', { task: 'chat', prompt, model: 'local/tiny' });
      assert.deepEqual([next.estimatedInputTokens, next.inputTokensMethod], [own(prompt), 'exact']);
      // A request that fits the window by its bytes alone needs no count of its own: local models cost
      // nothing, so no number could change the decision.
      const short = await c.request('gearbox/route', { task: 'chat', prompt: FIXED[0]!, model: 'local/tiny' });
      assert.equal(short.inputTokensMethod, 'approximate');
    });

    it('a chat that fits the local window by chars / 4 but not in its own tokens is routed elsewhere', async () => {
      const c = await d.connect();
      // Its vocabulary is open (a count waited for it), so routing counts in local/tiny's own tokens.
      await c.request('gearbox/tokens/count', { texts: ['open the vocabulary'], model: 'local/tiny' });
      // 4,000 digits: 1,000 tokens by chars / 4, which with the 2,048 reserved for the answer fits the
      // 4,096-token window; Qwen2 reads one token per digit, so it does not.
      const digits = '0123456789'.repeat(400);
      const messages: ChatMessage[] = [
        { role: 'system', content: 'You answer briefly.' },
        { role: 'user', content: `Here are the readings:\n${digits}` },
        { role: 'assistant', content: 'Noted.' },
        { role: 'user', content: 'what is the last digit' },
      ];
      assert.ok(Math.ceil(messages.reduce((n, m) => n + m.content.length, 0) / 4) + 2048 <= 4096);
      const res = await c.request('gearbox/chat', { streamId: 's', messages });
      assert.equal(res.model, 'proxy/gpt-4o', res.route.summary);

      const local = res.route.rejected.find((r) => r.model === 'local/tiny');
      assert.equal(local?.reason, 'context-too-small', JSON.stringify(res.route.rejected));
      const ownTotal = messages.reduce((n, m) => n + own(m.content), 0);
      assert.equal(local?.detail, `${ownTotal} input (exact) + 2048 output tokens exceed its 4096-token window`);
      // The chosen model's count is its own too: o200k_base, exact.
      const o200kTotal = messages.reduce((n, m) => n + o200k(m.content), 0);
      assert.equal(res.route.estimatedInputTokens, o200kTotal);
      assert.equal(res.route.inputTokensMethod, 'exact');
    });

    it('a provider that reports no usage is counted with the model tokenizer, and the ledger says so', async () => {
      cloud.enqueue({ kind: 'reply', text: 'The last digit is nine.', usage: null });
      const c = await d.connect();
      const messages: ChatMessage[] = [
        { role: 'system', content: 'You answer briefly.' },
        { role: 'user', content: `${'9'.repeat(3000)} what is the last digit` },
      ];
      const res = await c.request('gearbox/chat', { streamId: 'u', messages, model: 'proxy/gpt-4o' });
      const expected = {
        inputTokens: messages.reduce((n, m) => n + o200k(m.content), 0),
        outputTokens: o200k('The last digit is nine.'),
        estimatedBy: 'exact',
      };
      assert.deepEqual(res.usage, expected);
      await d.engine.ledger.flush();
      const file = path.join(stateDir, 'gearbox', 'ledger.jsonl');
      const last = JSON.parse(fs.readFileSync(file, 'utf8').trim().split('\n').at(-1)!);
      assert.deepEqual(
        [last.inputTokens, last.outputTokens, last.estimated, last.estimatedBy],
        [expected.inputTokens, expected.outputTokens, true, 'exact'],
      );
    });

    it('gearbox/tokens/count: a named model counts its own way; Auto gives the largest of its choices', async () => {
      const c = await d.connect();
      const texts = [FIXED[1]!, FIXED[2]!];
      const local = await c.request('gearbox/tokens/count', { texts, model: 'local/tiny' });
      assert.deepEqual(local, {
        tokens: own(texts[0]!) + own(texts[1]!),
        method: 'exact',
        tokenizer: "local/tiny's own (its GGUF vocabulary)",
      });
      const cloudCount = await c.request('gearbox/tokens/count', { texts, model: 'proxy/gpt-4o' });
      assert.deepEqual(cloudCount, {
        tokens: o200k(texts[0]!) + o200k(texts[1]!),
        method: 'exact',
        tokenizer: 'o200k_base',
      });
      const auto = await c.request('gearbox/tokens/count', { texts });
      assert.equal(auto.tokens, Math.max(local.tokens, cloudCount.tokens));
      const onlyLocal = await c.request('gearbox/tokens/count', { texts, hint: 'local' });
      assert.deepEqual(onlyLocal, local);
    });

    it("the HTTP API's count_tokens counts in the named model's tokens and says how", async () => {
      const key = new ApiKeyStore(apiKeysPath(path.join(d.runtimeDir, 'unused-config.json'))).get();
      const res = await fetch(`http://127.0.0.1:${d.port}/v1/messages/count_tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key, 'anthropic-version': '2023-06-01' },
        body: JSON.stringify({ model: 'local/tiny', messages: [{ role: 'user', content: FIXED[2] }] }),
      });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { input_tokens: own(FIXED[2]!) });
      assert.equal(res.headers.get('x-gearbox-token-count'), 'exact');
    });
  });
});
