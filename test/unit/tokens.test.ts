// The token counter without processes: which tokenizer each kind of model gets, that OpenAI models'
// counts are gpt-tokenizer's own, how stand-ins and chars / 4 are labelled, the cache's bound, and
// that the router checks and prices each model by its own count. Expected numbers come from the
// library, never from guesses.
import assert from 'node:assert/strict';
import { countTokens as cl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens as o200k } from 'gpt-tokenizer/encoding/o200k_base';
import { silentLogger } from '../../daemon/log';
import { streamChat } from '../../daemon/providers/stream-chat';
import { route } from '../../daemon/routing';
import { countBounded, LONG_RUN } from '../../daemon/tokens/bpe';
import { countRequestTokens } from '../../daemon/tokens/request-tokens';
import { TokenCache } from '../../daemon/tokens/token-cache';
import { chars4, leastExact, TokenCounter } from '../../daemon/tokens/token-counter';
import { STAND_IN_RATIO, tokenizerFor } from '../../daemon/tokens/tokenizers';
import type { ModelInfo } from '../../shared/protocol';
import { model } from '../helpers/catalog-models';

const TEXTS = [
  'The quick brown fox jumps over the lazy dog.',
  'def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\n',
  '数据库连接失败，请重试。',
];
const PLAIN = { disallowedSpecial: new Set<string>() };
const sum = (f: (t: string) => number, texts: readonly string[]) => texts.reduce((n, t) => n + f(t), 0);

describe('token counts', () => {
  const counter = () => new TokenCounter({ logger: silentLogger });

  it('picks each model its tokenizer: OpenAI encodings by model, stand-ins labelled approximate', () => {
    const of = (id: string, over: Partial<ModelInfo> = {}) => tokenizerFor(model(id, over));
    assert.deepEqual(of('openai/gpt-5'), {
      kind: 'bpe',
      encoding: 'o200k_base',
      ratio: 1,
      method: 'exact',
      name: 'o200k_base',
    });
    assert.equal(of('openai/gpt-4').kind === 'bpe' && of('openai/gpt-4').name, 'cl100k_base');
    // An OpenAI model behind a router or an OpenAI-compatible endpoint is still OpenAI's encoding.
    const routed = of('openrouter/openai/gpt-4o', { providerKind: 'openai-compatible' });
    assert.deepEqual([routed.name, routed.kind === 'bpe' && routed.method], ['o200k_base', 'exact']);
    const claude = of('anthropic/claude-sonnet-5', { providerKind: 'anthropic' });
    assert.deepEqual(claude.kind === 'bpe' && [claude.encoding, claude.ratio, claude.method], [
      'o200k_base',
      STAND_IN_RATIO.anthropic,
      'approximate',
    ]);
    const gemini = of('gemini/gemini-3-flash', { providerKind: 'gemini' });
    assert.equal(gemini.kind === 'bpe' && gemini.ratio, STAND_IN_RATIO.gemini);
    const deepseek = of('deepseek/deepseek-chat', { providerKind: 'openai-compatible' });
    assert.equal(deepseek.kind === 'bpe' && deepseek.method, 'approximate');
    assert.deepEqual(of('local/qwen'), {
      kind: 'model-host',
      modelId: 'local/qwen',
      name: "local/qwen's own (its GGUF vocabulary)",
    });
  });

  it("counts OpenAI models with gpt-tokenizer's encodings, special-token text as plain text", async () => {
    const c = counter();
    const withSpecial = [...TEXTS, 'ends here <|endoftext|> or does it'];
    assert.deepEqual(await c.count(model('openai/gpt-5', {}), withSpecial), {
      tokens: sum((t) => o200k(t, PLAIN), withSpecial),
      method: 'exact',
      tokenizer: 'o200k_base',
    });
    assert.deepEqual(await c.count(model('openai/gpt-4', {}), TEXTS), {
      tokens: sum(cl100k, TEXTS),
      method: 'exact',
      tokenizer: 'cl100k_base',
    });
  });

  it('counts a run of one character class in pieces: 1 MiB of one letter, dashes or spaces', async () => {
    // BPE within one pre-token is quadratic: unsplit, the first of these would hold the daemon for minutes.
    const count = (t: string) => o200k(t, PLAIN);
    for (const ch of ['a', '-', ' ']) {
      const run = ch.repeat(1024 * 1024);
      const pieces = Math.ceil(run.length / LONG_RUN);
      const last = run.length - (pieces - 1) * LONG_RUN;
      const expected = (pieces - 1) * count(ch.repeat(LONG_RUN)) + count(ch.repeat(last));
      const [before, after] = ch === ' ' ? ['x', 'y'] : ['x ', ' y'];
      assert.equal(countBounded(before + run + after, count), count(before) + expected + count(after), `'${ch}'`);
    }
    // Ordinary text has no such run and keeps its exact count.
    const code = TEXTS.join('\n').repeat(50);
    assert.equal(countBounded(code, count), count(code));
    assert.equal((await counter().count(model('openai/gpt-5', {}), [code])).tokens, count(code));
  });

  it('counts Claude and Gemini with the o200k_base stand-in times its ratio, and says so', async () => {
    const c = counter();
    const claude = await c.count(model('anthropic/claude-sonnet-5', { providerKind: 'anthropic' }), TEXTS);
    assert.deepEqual(claude, {
      tokens: Math.ceil(sum(o200k, TEXTS) * STAND_IN_RATIO.anthropic),
      method: 'approximate',
      tokenizer: `o200k_base × ${STAND_IN_RATIO.anthropic} (Claude)`,
    });
    // A local model with no model host to ask: the stand-in, labelled; chars / 4 only with no tokenizer at all.
    const local = await c.count(model('local/qwen', {}), TEXTS);
    assert.deepEqual(
      [local.tokens, local.method],
      [Math.ceil(sum(o200k, TEXTS) * STAND_IN_RATIO.other), 'approximate'],
    );
    assert.deepEqual(chars4(['12345678', '9']), { tokens: 3, method: 'chars4', tokenizer: 'chars / 4' });
    assert.equal(leastExact('exact', 'approximate'), 'approximate');
    assert.equal(leastExact('chars4', 'exact'), 'chars4');
  });

  it('caches counts by tokenizer and text, within its bound, least recently used out first', async () => {
    const cache = new TokenCache(3);
    const key = (t: string) => TokenCache.key('o200k_base', t);
    for (const t of ['a', 'b', 'c']) cache.set(key(t), t.length);
    assert.equal(cache.get(key('a')), 1); // 'a' is now the most recently used
    cache.set(key('d'), 1);
    assert.equal(cache.get(key('b')), undefined, 'the least recently used entry went');
    assert.deepEqual([cache.get(key('a')), cache.get(key('c')), cache.get(key('d'))], [1, 1, 1]);
    assert.equal(cache.stats().entries, 3);
    assert.notEqual(TokenCache.key('o200k_base', 'x'), TokenCache.key('local:m', 'x'), 'one entry per tokenizer');
    cache.set(TokenCache.key('local:m', 'x'), 5);
    cache.forget('local:');
    assert.equal(cache.get(TokenCache.key('local:m', 'x')), undefined);

    const c = new TokenCounter({ logger: silentLogger, cacheEntries: 2 });
    const gpt = model('openai/gpt-5', {});
    await c.count(gpt, TEXTS);
    assert.equal(c.cache.stats().entries, 2, 'never more than the bound');
    const before = c.cache.stats();
    await c.count(gpt, TEXTS.slice(1));
    assert.equal(c.cache.stats().hits, before.hits + 2, 'the last two texts were still cached');
  });

  it('routes by each model’s own count: a window is checked, and a price set, with that model’s tokens', () => {
    const catalog = [
      model('local/small', { contextWindow: 8192, inputPricePerMTok: 0, outputPricePerMTok: 0 }),
      model('cloud/big', { contextWindow: 200_000 }),
    ];
    const settings = { routing: { quality: 5 } } as Parameters<typeof route>[0]['settings'];
    const prompt = 'x'.repeat(20_000); // 5,000 tokens by chars / 4: fits 8192 with the 2,048 reserve
    const byChars = route({ task: 'chat', prompt, settings }, catalog);
    assert.equal(byChars.inputTokensMethod, 'chars4', 'no counts given: labelled chars4');
    assert.ok(!byChars.rejected.some((r) => r.reason === 'context-too-small'));
    const tokens = new Map([
      ['local/small', { input: 7000, selection: 0, method: 'exact' as const }],
      ['cloud/big', { input: 4000, selection: 0, method: 'exact' as const }],
    ]);
    const counted = route({ task: 'chat', prompt, settings, tokens }, catalog);
    assert.deepEqual(
      counted.rejected.find((r) => r.model === 'local/small'),
      {
        model: 'local/small',
        reason: 'context-too-small',
        detail: '7000 input (exact) + 2048 output tokens exceed its 8192-token window',
      },
    );
    assert.equal(counted.model, 'cloud/big');
    assert.deepEqual([counted.estimatedInputTokens, counted.inputTokensMethod], [4000, 'exact']);
    assert.equal(counted.chosen?.priceUsd, (4000 * 1 + 600 * 4) / 1e6, 'priced with its own count');
  });

  it('counts a request per candidate before routing; local models by the stand-in when their bytes fit', async () => {
    const c = counter();
    const catalog = [
      model('openai/gpt-5', {}),
      model('anthropic/claude-sonnet-5', { providerKind: 'anthropic' }),
      model('local/small', { contextWindow: 8192 }),
    ];
    const req = { task: 'chat' as const, prompt: TEXTS[0]!, selectionText: TEXTS[1]!, extraTexts: [TEXTS[2]!] };
    const counts = await countRequestTokens(c, req, catalog);
    const raw = sum((t) => o200k(t, PLAIN), TEXTS);
    assert.deepEqual(counts.get('openai/gpt-5'), { input: raw, selection: o200k(TEXTS[1]!), method: 'exact' });
    assert.deepEqual(counts.get('anthropic/claude-sonnet-5'), {
      input: Math.ceil(raw * STAND_IN_RATIO.anthropic),
      selection: Math.ceil(o200k(TEXTS[1]!) * STAND_IN_RATIO.anthropic),
      method: 'approximate',
    });
    // A few hundred bytes cannot overflow an 8k window: no model host is asked (there is none here).
    assert.equal(counts.get('local/small')?.method, 'approximate');
    // Inline completions are not counted: the router's chars / 4 is labelled as such.
    assert.equal((await countRequestTokens(c, { task: 'completion', prompt: TEXTS[1]! }, catalog)).size, 0);
  });

  it('a stream without usage is counted by the model tokenizer it was given, and marked', async () => {
    const c = counter();
    const gpt = model('openai/gpt-5', {});
    await c.count(gpt, ['warm up']);
    const events = [{ delta: 'Hello there' }, { finished: true }];
    const res = await streamChat({
      providerId: 'openai',
      apiKey: 'k',
      logger: silentLogger,
      req: {
        model: 'gpt-5',
        messages: [{ role: 'user', content: TEXTS[1]! }],
        countTokens: (t) => c.countSync(gpt, t),
      },
      open: async () =>
        (async function* () {
          yield* events;
        })(),
      read: (e) => e,
      onDelta: () => {},
    });
    assert.deepEqual(res.usage, {
      inputTokens: o200k(TEXTS[1]!),
      outputTokens: o200k('Hello there'),
      estimatedBy: 'exact',
    });
  });
});
