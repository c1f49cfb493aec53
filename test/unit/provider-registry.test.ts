import assert from 'node:assert/strict';
import { GearboxError } from '../../daemon/gearbox-error';
import { silentLogger } from '../../daemon/log';
import { ProviderRegistry } from '../../daemon/providers/registry';
import { ErrorCodes } from '../../shared/protocol';

const registry = (
  env: NodeJS.ProcessEnv = {},
  configured: ConstructorParameters<typeof ProviderRegistry>[0]['configured'] = [],
) => new ProviderRegistry({ configured, env, logger: silentLogger });

describe('provider registry', () => {
  it('lists configured providers first, then the built-in ones that only need a key, each id once', () => {
    const r = registry({}, [
      { id: 'corp', kind: 'openai-compatible', baseUrl: 'http://corp.internal/v1', private: true },
      { id: 'openai', kind: 'openai', apiKeyEnv: 'CORP_OPENAI_KEY' },
    ]);
    const ids = r.all.map((p) => p.id);
    assert.deepEqual(ids.slice(0, 4), ['corp', 'openai', 'anthropic', 'gemini']);
    assert.ok(ids.includes('xai') && ids.includes('deepseek'));
    assert.equal(new Set(ids).size, ids.length);
    assert.equal(r.find('openai')?.apiKeyEnv, 'CORP_OPENAI_KEY', 'the configured entry wins');
  });

  it('finds keys in the environment (GOOGLE_API_KEY for Gemini too); keyless endpoints need none', () => {
    const r = registry({ ANTHROPIC_API_KEY: 'sk-ant-123', GOOGLE_API_KEY: 'g-123', XAI_API_KEY: '' }, [
      { id: 'vllm', kind: 'openai-compatible', baseUrl: 'http://localhost:8000/v1', noKey: true },
    ]);
    assert.deepEqual(r.providersWithKeys().sort(), ['anthropic', 'gemini', 'vllm']);
  });

  it('setKeys: sets and removes keys, and refuses unknown providers', () => {
    const r = registry();
    assert.deepEqual(r.setKeys({ openai: 'sk-test-1234567890' }), ['openai']);
    assert.deepEqual(r.setKeys({ openai: '' }), []);
    assert.throws(
      () => r.setKeys({ nosuch: 'k' }),
      (e: unknown) =>
        e instanceof GearboxError && e.code === ErrorCodes.InvalidParams && /Unknown provider "nosuch"/.test(e.message),
    );
  });

  it('setKeys: adds and replaces OpenAI-compatible endpoints, never over a native provider', () => {
    const r = registry();
    const endpoint = { id: 'lab', baseUrl: 'http://lab.example/v1', noKey: true, models: [{ name: 'm' }] };
    assert.ok(r.setKeys({}, [endpoint]).includes('lab'));
    const first = r.client(r.find('lab')!);
    assert.equal(r.client(r.find('lab')!), first, 'one client per provider');
    r.setKeys({}, [{ ...endpoint, baseUrl: 'http://lab2.example/v1' }]);
    assert.equal(r.find('lab')?.baseUrl, 'http://lab2.example/v1');
    assert.notEqual(r.client(r.find('lab')!), first, 'a replaced endpoint gets a new client');
    assert.throws(
      () => r.setKeys({}, [{ ...endpoint, id: 'anthropic' }]),
      /Endpoint id "anthropic" is taken by the anthropic provider/,
    );
  });

  it('a provider that keeps failing is cooling down; a success ends it', () => {
    const r = registry();
    for (let i = 0; i < 3; i++) r.health.recordFailure('openai');
    assert.deepEqual([...r.coolingDown()], ['openai']);
    r.health.recordSuccess('openai');
    assert.deepEqual([...r.coolingDown()], []);
  });
});
