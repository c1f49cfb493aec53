import { strict as assert } from 'node:assert';
import { buildCatalog, builtinProviders } from '../../daemon/catalog/catalog';
import { SetKeysParams } from '../../shared/protocol';
import {
  buildProviderItems,
  buildSetKeysParams,
  makeEndpoint,
  maskKey,
  NEW_ENDPOINT_LABEL,
  parseModelNames,
  parseStoredEndpoints,
  parseStoredProviders,
  secretName,
  upsertEndpoint,
  validateBaseUrl,
  validateEndpointId,
  validateModelNames,
} from '../../extension/core/keys-logic';

describe('API key logic (extension/core/keys-logic)', () => {
  it('masks keys without revealing them', () => {
    assert.equal(maskKey('sk-proj-abcdefghijklmnop1234'), 'sk-…1234');
    assert.equal(maskKey('sk-ant-api03-xxxxxxxxxxxxxxxxxxxxx9876'), 'sk-…9876');
    assert.equal(maskKey('AIzaSyDxxxxxxxxxxxxxxxxxxxxx5678'), '…5678');
    assert.equal(maskKey('short'), '••••');
    assert.equal(maskKey(''), '(empty)');
    const secret = 'sk-0123456789abcdefSECRETPART9999';
    assert.ok(!maskKey(secret).includes('SECRET'));
  });

  it('secret names are gearbox.apiKey.<provider>', () => {
    assert.equal(secretName('openai'), 'gearbox.apiKey.openai');
  });

  it('lists OpenAI, Anthropic, Gemini first, then the daemon providers, endpoints, then "new endpoint"', () => {
    const models = buildCatalog({
      providers: [
        ...builtinProviders().filter((p) => p.baseUrl),
        {
          id: 'ollama',
          kind: 'openai-compatible',
          baseUrl: 'http://localhost:11434/v1',
          noKey: true,
          models: [{ name: 'q' }],
        },
      ],
      localModels: [{ id: 'local/x', path: '/m.gguf' } as never],
      providersWithKeys: new Set(['anthropic']),
      loadedLocal: new Set(),
    });
    const endpoints = [
      makeEndpoint({
        id: 'work',
        baseUrl: 'https://llm.example.com/v1/',
        private: true,
        noKey: false,
        modelNames: ['m1'],
      }),
    ];
    const items = buildProviderItems({ models, storedMasked: new Map([['openai', 'sk-…1234']]), endpoints });
    const ids = items.map((i) => (i.kind === 'provider' ? i.provider : 'NEW'));
    assert.deepEqual(ids.slice(0, 3), ['openai', 'anthropic', 'gemini']);
    assert.ok(ids.includes('xai') && ids.includes('deepseek') && ids.includes('ollama'));
    assert.ok(!ids.includes('local'));
    assert.equal(ids.at(-2), 'work');
    assert.equal(ids.at(-1), 'NEW');
    assert.equal(items.at(-1)!.label, NEW_ENDPOINT_LABEL);
    const byId = new Map(items.flatMap((i) => (i.kind === 'provider' ? [[i.provider, i] as const] : [])));
    assert.equal(byId.get('openai')!.description, 'key set: sk-…1234');
    assert.equal(byId.get('anthropic')!.description, 'key from the daemon environment or config');
    assert.equal(byId.get('gemini')!.description, 'no key');
    assert.equal(byId.get('openai')!.label, 'OpenAI');
    assert.match(byId.get('work')!.description, /https:\/\/llm\.example\.com\/v1/);
    assert.equal(byId.get('work')!.endpoint, true);
  });

  it('works without a daemon (no models)', () => {
    const items = buildProviderItems({ models: [], storedMasked: new Map(), endpoints: [] });
    assert.deepEqual(
      items.map((i) => i.label),
      ['OpenAI', 'Anthropic', 'Google Gemini', NEW_ENDPOINT_LABEL],
    );
  });

  it('validates endpoint ids', () => {
    assert.equal(validateEndpointId('ollama', ['openai']), undefined);
    assert.equal(validateEndpointId('work.vllm_2-a', []), undefined);
    assert.ok(validateEndpointId('', []));
    assert.ok(validateEndpointId('has space', []));
    assert.ok(validateEndpointId('a/b', []));
    assert.match(validateEndpointId('openai', ['openai'])!, /already a provider/);
    assert.ok(validateEndpointId('local', []));
    assert.ok(validateEndpointId('x'.repeat(101), []));
  });

  it('validates base URLs', () => {
    assert.equal(validateBaseUrl('http://localhost:11434/v1'), undefined);
    assert.equal(validateBaseUrl('https://api.example.com/v1'), undefined);
    assert.ok(validateBaseUrl(''));
    assert.ok(validateBaseUrl('localhost:11434'));
    assert.ok(validateBaseUrl('ftp://host/v1'));
    assert.ok(validateBaseUrl('not a url'));
    assert.match(validateBaseUrl('https://user:pw@host/v1')!, /key/);
  });

  it('parses model names and builds endpoints that satisfy the protocol schema', () => {
    assert.deepEqual(parseModelNames(' a, b  c,,a '), ['a', 'b', 'c']);
    assert.ok(validateModelNames(' , '));
    assert.equal(validateModelNames('x'), undefined);
    const e = makeEndpoint({
      id: 'ollama',
      baseUrl: 'http://localhost:11434/v1/',
      private: true,
      noKey: true,
      modelNames: ['qwen2.5-coder:7b'],
    });
    assert.deepEqual(e, {
      id: 'ollama',
      baseUrl: 'http://localhost:11434/v1',
      private: true,
      noKey: true,
      models: [{ name: 'qwen2.5-coder:7b' }],
    });
    assert.throws(() =>
      makeEndpoint({ id: 'bad id', baseUrl: 'http://x', private: false, noKey: false, modelNames: [] }),
    );
  });

  it('reads stored state defensively', () => {
    assert.deepEqual(parseStoredProviders(undefined), []);
    assert.deepEqual(parseStoredProviders(['openai', 3, '', 'openai', 'xai']), ['openai', 'xai']);
    const good = { id: 'a', baseUrl: 'http://h/v1', models: [{ name: 'm' }] };
    assert.deepEqual(parseStoredEndpoints([good, { id: 'bad id' }, 'x']), [good]);
    assert.deepEqual(parseStoredEndpoints({}), []);
    const list = upsertEndpoint([good], { ...good, baseUrl: 'http://h2/v1' });
    assert.equal(list.length, 1);
    assert.equal(list[0]!.baseUrl, 'http://h2/v1');
  });

  it('builds the gearbox/setKeys payload (valid per the shared schema), nothing when empty', () => {
    assert.equal(buildSetKeysParams(new Map(), []), undefined);
    const p = buildSetKeysParams(
      new Map([
        ['openai', 'sk-x'],
        ['anthropic', ''],
      ]),
      [],
    );
    assert.deepEqual(p, { keys: { openai: 'sk-x', anthropic: '' } });
    assert.ok(SetKeysParams.safeParse(p).success);
    const e = makeEndpoint({
      id: 'ollama',
      baseUrl: 'http://localhost:11434/v1',
      private: true,
      noKey: true,
      modelNames: ['q'],
    });
    const p2 = buildSetKeysParams(new Map(), [e])!;
    assert.deepEqual(p2.endpoints, [e]);
    assert.ok(SetKeysParams.safeParse(p2).success);
  });
});
