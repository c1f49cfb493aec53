import { strict as assert } from 'node:assert';
import { buildCatalog, builtinModels, builtinProviders, costUsd, findModel } from '../../daemon/catalog/catalog';
import { ModelInfo } from '../../shared/protocol';
import { DEPRECATED_BEFORE, generateCatalog, tierFor, type PriceEntry } from '../../scripts/gen-catalog';

const byId = new Map(builtinModels().map((m) => [m.id, m]));

describe('catalog data (generated from LiteLLM prices)', () => {
  it('covers the current OpenAI, Anthropic and Gemini families', () => {
    for (const id of [
      'openai/gpt-5',
      'openai/gpt-5-mini',
      'openai/gpt-5-nano',
      'openai/gpt-4.1',
      'anthropic/claude-haiku-4-5',
      'anthropic/claude-sonnet-4-5',
      'anthropic/claude-opus-4-5',
      'gemini/gemini-2.5-pro',
      'gemini/gemini-2.5-flash',
      'gemini/gemini-2.5-flash-lite',
    ]) {
      assert.ok(byId.has(id), `missing ${id}`);
    }
  });

  it('carries the prices and context windows of model-prices.json', () => {
    // Values read from ../shared/data/model-prices.json (USD per token × 1e6).
    const expect: [string, number, number, number][] = [
      ['openai/gpt-5', 1.25, 10, 272_000],
      ['openai/gpt-4.1-nano', 0.1, 0.4, 1_047_576],
      ['anthropic/claude-sonnet-4-5', 3, 15, 200_000],
      ['anthropic/claude-haiku-4-5', 1, 5, 200_000],
      ['gemini/gemini-2.5-pro', 1.25, 10, 1_048_576],
      ['gemini/gemini-2.5-flash', 0.3, 2.5, 1_048_576],
    ];
    for (const [id, inP, outP, ctx] of expect) {
      const m = byId.get(id)!;
      assert.equal(m.inputPricePerMTok, inP, `${id} input price`);
      assert.equal(m.outputPricePerMTok, outP, `${id} output price`);
      assert.equal(m.contextWindow, ctx, `${id} context window`);
    }
  });

  it('assigns tiers by family: mini/nano/lite/haiku 1, sonnet/flash/gpt-5-mini 2, opus/pro/gpt-5 3', () => {
    const tiers: Record<string, number> = {
      'openai/gpt-5-nano': 1,
      'openai/gpt-4.1-mini': 1,
      'anthropic/claude-haiku-4-5': 1,
      'gemini/gemini-2.5-flash-lite': 1,
      'openai/gpt-5-mini': 2,
      'openai/gpt-4.1': 2,
      'anthropic/claude-sonnet-4-5': 2,
      'gemini/gemini-2.5-flash': 2,
      'openai/gpt-5': 3,
      'anthropic/claude-opus-4-5': 3,
      'gemini/gemini-2.5-pro': 3,
    };
    for (const [id, tier] of Object.entries(tiers)) assert.equal(byId.get(id)!.tier, tier, id);
  });

  it('leaves out deprecated, dated duplicates, non-chat and specialist variants', () => {
    for (const id of [
      'anthropic/claude-3-7-sonnet-20250219', // deprecated
      'gemini/gemini-2.0-flash', // deprecated
      'openai/gpt-5-2025-08-07', // snapshot of gpt-5
      'anthropic/claude-sonnet-4-5-20250929', // snapshot of claude-sonnet-4-5
      'openai/gpt-5-pro', // responses-only endpoint
      'openai/gpt-4o-audio-preview',
      'openai/gpt-realtime',
      'gemini/gemini-embedding-001',
    ]) {
      assert.ok(!byId.has(id), `${id} should not be listed`);
    }
  });

  it('has well-formed entries: provider/name ids, tiers 0..3, known provider kinds', () => {
    const providers = new Map(builtinProviders().map((p) => [p.id, p]));
    for (const m of builtinModels()) {
      assert.equal(m.id, `${m.provider}/${m.name}`);
      assert.ok(Number.isInteger(m.tier) && m.tier >= 0 && m.tier <= 3, m.id);
      assert.ok(m.inputPricePerMTok >= 0 && m.outputPricePerMTok >= 0, m.id);
      const p = providers.get(m.provider);
      assert.ok(p, `${m.id}: unknown provider`);
      assert.equal(p.kind, m.providerKind);
      if (p.kind === 'openai-compatible') assert.match(p.baseUrl ?? '', /^https:\/\//);
    }
    assert.equal(providers.get('xai')?.baseUrl, 'https://api.x.ai/v1');
    assert.equal(providers.get('deepseek')?.baseUrl, 'https://api.deepseek.com/v1');
  });
});

describe('gen-catalog', () => {
  const fixture: Record<string, PriceEntry> = {
    'gpt-5': {
      litellm_provider: 'openai',
      mode: 'chat',
      max_input_tokens: 272000,
      input_cost_per_token: 1.25e-6,
      output_cost_per_token: 1e-5,
    },
    'gpt-5-2025-08-07': {
      litellm_provider: 'openai',
      mode: 'chat',
      max_input_tokens: 272000,
      input_cost_per_token: 1.25e-6,
      output_cost_per_token: 1e-5,
    },
    'gpt-image-1': { litellm_provider: 'openai', mode: 'image_generation', input_cost_per_token: 5e-6 },
    'claude-old': {
      litellm_provider: 'anthropic',
      mode: 'chat',
      max_input_tokens: 200000,
      input_cost_per_token: 3e-6,
      output_cost_per_token: 1.5e-5,
      deprecation_date: '2026-05-01',
    },
    'claude-sonnet-9': {
      litellm_provider: 'anthropic',
      mode: 'chat',
      max_input_tokens: 200000,
      input_cost_per_token: 3e-6,
      output_cost_per_token: 1.5e-5,
      deprecation_date: '2027-05-01',
    },
    'gemini-9-pro': {
      litellm_provider: 'vertex_ai-language-models',
      mode: 'chat',
      max_input_tokens: 1048576,
      input_cost_per_token: 2e-6,
      output_cost_per_token: 1.2e-5,
    },
    'grok-9': {
      litellm_provider: 'xai',
      mode: 'chat',
      max_input_tokens: 256000,
      input_cost_per_token: 1e-6,
      output_cost_per_token: 3e-6,
    },
    'mystery-1': {
      litellm_provider: 'some-cloud',
      mode: 'chat',
      max_input_tokens: 1000,
      input_cost_per_token: 1e-6,
      output_cost_per_token: 1e-6,
    },
  };
  const out = generateCatalog(fixture);
  const ids = out.models.map((m) => m.id).sort();

  it('keeps chat models of known providers, maps Vertex Gemini to the Gemini API, drops the rest', () => {
    assert.deepEqual(ids, ['anthropic/claude-sonnet-9', 'gemini/gemini-9-pro', 'openai/gpt-5', 'xai/grok-9']);
    const gem = out.models.find((m) => m.id === 'gemini/gemini-9-pro')!;
    assert.equal(gem.providerKind, 'gemini');
    assert.equal(gem.name, 'gemini-9-pro');
    assert.equal(out.models.find((m) => m.id === 'xai/grok-9')!.providerKind, 'openai-compatible');
    assert.equal(out.deprecatedBefore, DEPRECATED_BEFORE);
  });

  it('converts per-token prices to per-million without float noise', () => {
    const gpt5 = out.models.find((m) => m.id === 'openai/gpt-5')!;
    assert.equal(gpt5.inputPricePerMTok, 1.25);
    assert.equal(gpt5.outputPricePerMTok, 10);
    assert.equal(gpt5.displayName, 'GPT-5');
    assert.equal(out.models.find((m) => m.id === 'anthropic/claude-sonnet-9')!.displayName, 'Claude Sonnet 9');
  });

  it('tierFor: family names first, then output-price bands', () => {
    assert.equal(tierFor('openai', 'gpt-5.4-nano', 1.25), 1);
    assert.equal(tierFor('openai', 'gpt-5.4-mini', 4.5), 2);
    assert.equal(tierFor('openai', 'o4-mini', 4.4), 2);
    assert.equal(tierFor('openai', 'gpt-5.2', 14), 3);
    assert.equal(tierFor('anthropic', 'claude-opus-4-6', 25), 3);
    assert.equal(tierFor('gemini', 'gemini-3.5-flash-lite', 2.5), 1);
    assert.equal(tierFor('gemini', 'gemini-3.1-pro-preview', 12), 3);
    // Unmatched names and other providers: by output price.
    assert.equal(tierFor('anthropic', 'claude-newname-5', 50), 3);
    assert.equal(tierFor('xai', 'grok-4.3', 2.5), 2);
    assert.equal(tierFor('deepseek', 'deepseek-v4-pro', 0.87), 1);
  });
});

describe('costUsd', () => {
  it('prices input and output tokens per million', () => {
    const m = { inputPricePerMTok: 1.25, outputPricePerMTok: 10 };
    assert.equal(costUsd(m, { inputTokens: 1_000_000, outputTokens: 0 }), 1.25);
    assert.ok(Math.abs(costUsd(m, { inputTokens: 1000, outputTokens: 500 }) - 0.00625) < 1e-12);
    assert.equal(
      costUsd({ inputPricePerMTok: 0, outputPricePerMTok: 0 }, { inputTokens: 5000, outputTokens: 5000 }),
      0,
    );
  });
});

describe('buildCatalog', () => {
  const none = new Set<string>();

  it('lists the default providers without keys as unavailable, and available once a key is set', () => {
    const cat = buildCatalog({ providers: [], localModels: [], providersWithKeys: none, loadedLocal: none });
    const gpt5 = findModel(cat, 'openai/gpt-5')!;
    assert.equal(gpt5.available, false);
    assert.equal(gpt5.unavailable, 'no-key');
    assert.equal(gpt5.unavailableReason, 'no API key for openai');
    assert.ok(cat.some((m) => m.provider === 'anthropic') && cat.some((m) => m.provider === 'gemini'));
    assert.ok(!cat.some((m) => m.provider === 'xai'), 'xai is listed only when configured');

    const withKey = buildCatalog({
      providers: [],
      localModels: [],
      providersWithKeys: new Set(['openai']),
      loadedLocal: none,
    });
    assert.equal(findModel(withKey, 'openai/gpt-5')!.available, true);
    assert.equal(findModel(withKey, 'openai/gpt-5')!.unavailable, undefined);
    assert.equal(findModel(withKey, 'anthropic/claude-sonnet-4-5')!.available, false);
    for (const m of withKey) ModelInfo.parse(m);
  });

  it('adds built-in models of configured openai-compatible providers; noKey providers need no key', () => {
    const cat = buildCatalog({
      providers: [
        { id: 'xai', kind: 'openai-compatible' },
        { id: 'deepseek', kind: 'openai-compatible', noKey: true },
      ],
      localModels: [],
      providersWithKeys: none,
      loadedLocal: none,
    });
    const grok = findModel(cat, 'xai/grok-4.3')!;
    assert.equal(grok.available, false);
    assert.equal(grok.providerKind, 'openai-compatible');
    assert.equal(findModel(cat, 'deepseek/deepseek-chat')!.available, true);
  });

  it('marks models of cooling-down providers (or single models) unavailable', () => {
    const keys = new Set(['openai', 'anthropic']);
    const cat = buildCatalog({
      providers: [],
      localModels: [],
      providersWithKeys: keys,
      loadedLocal: none,
      coolingDown: new Set(['openai', 'anthropic/claude-opus-4-5']),
    });
    assert.equal(findModel(cat, 'openai/gpt-5')!.unavailable, 'cooling-down');
    assert.equal(findModel(cat, 'openai/gpt-5')!.unavailableReason, 'cooling down after provider errors');
    assert.equal(findModel(cat, 'anthropic/claude-opus-4-5')!.available, false);
    assert.equal(findModel(cat, 'anthropic/claude-sonnet-4-5')!.available, true);
  });

  it('describes local models: free, private, available before loading, defaults for tier and window', () => {
    const cat = buildCatalog({
      providers: [],
      localModels: [
        { id: 'local/small', source: 'hf:x/small.gguf' },
        { id: 'local/big', source: '/m/big.gguf', displayName: 'Big', tier: 1, contextSize: 32768, tasks: ['chat'] },
      ],
      providersWithKeys: none,
      loadedLocal: new Set(['local/big']),
    });
    const small = findModel(cat, 'local/small')!;
    assert.deepEqual(
      {
        tier: small.tier,
        price: small.inputPricePerMTok + small.outputPricePerMTok,
        local: small.local,
        private: small.private,
        available: small.available,
        loaded: small.loaded,
        ctx: small.contextWindow,
      },
      { tier: 0, price: 0, local: true, private: true, available: true, loaded: false, ctx: 8192 },
    );
    assert.deepEqual(small.tasks, ['completion', 'chat', 'refactor']);
    const big = findModel(cat, 'big')!;
    assert.equal(big.displayName, 'Big');
    assert.equal(big.loaded, true);
    assert.equal(big.contextWindow, 32768);
    assert.deepEqual(big.tasks, ['chat']);
  });

  it('adds user-defined models of openai-compatible endpoints, carrying the private flag', () => {
    const cat = buildCatalog({
      providers: [
        {
          id: 'corp',
          kind: 'openai-compatible',
          baseUrl: 'http://gpu.corp:8000/v1',
          private: true,
          noKey: true,
          models: [{ name: 'llama-70b', tier: 2, contextWindow: 65536 }],
        },
        {
          id: 'pub',
          kind: 'openai-compatible',
          baseUrl: 'https://example.test/v1',
          models: [{ name: 'm1', id: 'pub-m1', inputPricePerMTok: 0.5, outputPricePerMTok: 1 }],
        },
        { id: 'openai', kind: 'openai', models: [{ name: 'gpt-5', tier: 2 }] },
      ],
      localModels: [],
      providersWithKeys: new Set(['openai']),
      loadedLocal: none,
    });
    const corp = findModel(cat, 'corp/llama-70b')!;
    assert.deepEqual(
      { private: corp.private, tier: corp.tier, ctx: corp.contextWindow, available: corp.available, local: corp.local },
      { private: true, tier: 2, ctx: 65536, available: true, local: false },
    );
    const pub = findModel(cat, 'pub-m1')!;
    assert.deepEqual(
      {
        private: pub.private,
        tier: pub.tier,
        ctx: pub.contextWindow,
        available: pub.available,
        reason: pub.unavailableReason,
      },
      { private: false, tier: 1, ctx: 8192, available: false, reason: 'no API key for pub' },
    );
    assert.equal(pub.outputPricePerMTok, 1);
    // A user entry with a built-in id overrides only what it says.
    const gpt5 = findModel(cat, 'openai/gpt-5')!;
    assert.equal(gpt5.tier, 2);
    assert.equal(gpt5.outputPricePerMTok, 10);
    assert.equal(cat.filter((m) => m.id === 'openai/gpt-5').length, 1);
  });
});

describe('findModel', () => {
  const cat = [
    { id: 'openai/gpt-5' },
    { id: 'azure/gpt-5' },
    { id: 'anthropic/claude-sonnet-4-5' },
    { id: 'vllm/meta-llama/Llama-3-8B' },
  ];
  it('accepts full ids and unambiguous bare names', () => {
    assert.equal(findModel(cat, 'openai/gpt-5')?.id, 'openai/gpt-5');
    assert.equal(findModel(cat, 'claude-sonnet-4-5')?.id, 'anthropic/claude-sonnet-4-5');
    assert.equal(findModel(cat, 'meta-llama/Llama-3-8B')?.id, 'vllm/meta-llama/Llama-3-8B');
  });
  it('returns undefined for ambiguous or unknown names', () => {
    assert.equal(findModel(cat, 'gpt-5'), undefined);
    assert.equal(findModel(cat, 'sonnet-4-5'), undefined);
    assert.equal(findModel(cat, 'nope'), undefined);
  });
});
