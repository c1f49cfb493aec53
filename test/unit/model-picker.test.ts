import { strict as assert } from 'node:assert';
import { buildCatalog } from '../../daemon/catalog/catalog';
import type { ModelInfo } from '../../shared/protocol';
import {
  AUTO_MODEL,
  buildModelItems,
  buildTaskItems,
  formatContextWindow,
  formatDetail,
  formatPrice,
  missingKeyProvider,
  type ModelItem,
} from '../../extension/core/model-items';

function model(over: Partial<ModelInfo> & { id: string }): ModelInfo {
  return {
    provider: over.id.split('/')[0]!,
    providerKind: 'openai',
    displayName: over.id,
    tier: 1,
    contextWindow: 128_000,
    inputPricePerMTok: 1,
    outputPricePerMTok: 2,
    local: false,
    private: false,
    tasks: ['completion', 'chat', 'refactor'],
    available: true,
    ...over,
  };
}

const modelsOnly = (items: ModelItem[]) =>
  items.filter((i): i is Extract<ModelItem, { kind: 'model' }> => i.kind === 'model');

describe('model picker items (extension/core/model-items)', () => {
  it('task items show the current choice', () => {
    const t = buildTaskItems({ completion: 'auto', chat: 'openai/gpt-5', refactor: undefined });
    assert.deepEqual(
      t.map((x) => [x.task, x.label, x.description]),
      [
        ['completion', 'Completion', 'current: Auto (router)'],
        ['chat', 'Chat', 'current: openai/gpt-5'],
        ['refactor', 'Refactor', 'current: Auto (router)'],
      ],
    );
  });

  it('puts Auto first, then Local, then providers in order, each behind a separator', () => {
    const items = buildModelItems({
      task: 'chat',
      models: [
        model({ id: 'zeta/x', providerKind: 'openai-compatible' }),
        model({ id: 'anthropic/claude', providerKind: 'anthropic' }),
        model({ id: 'openai/gpt', providerKind: 'openai' }),
        model({
          id: 'qwen-local',
          provider: 'local',
          providerKind: 'local',
          local: true,
          private: true,
          inputPricePerMTok: 0,
          outputPricePerMTok: 0,
          tier: 0,
        }),
        model({ id: 'deepseek/chat', providerKind: 'openai-compatible' }),
      ],
    });
    assert.equal(items[0]!.kind, 'model');
    assert.equal((items[0] as { value: string }).value, AUTO_MODEL);
    assert.match(items[0]!.label, /Auto \(router\)/);
    const seps = items.filter((i) => i.kind === 'separator').map((i) => i.label);
    assert.deepEqual(seps, ['Local', 'OpenAI', 'Anthropic', 'DeepSeek', 'zeta']);
    // Each model follows its own separator.
    const idx = (label: string) => items.findIndex((i) => i.kind === 'separator' && i.label === label);
    assert.equal((items[idx('Local') + 1] as { value: string }).value, 'qwen-local');
    assert.equal((items[idx('Anthropic') + 1] as { value: string }).value, 'anthropic/claude');
  });

  it('filters by task', () => {
    const items = buildModelItems({
      task: 'completion',
      models: [model({ id: 'openai/chat-only', tasks: ['chat'] }), model({ id: 'openai/all' })],
    });
    assert.deepEqual(
      modelsOnly(items).map((i) => i.value),
      ['auto', 'openai/all'],
    );
  });

  it('details: price per MTok (or free), context window, tier', () => {
    assert.equal(formatPrice({ inputPricePerMTok: 0, outputPricePerMTok: 0 }), 'free');
    assert.equal(formatPrice({ inputPricePerMTok: 1.25, outputPricePerMTok: 10 }), '$1.25 / $10.00 per MTok in/out');
    assert.equal(formatPrice({ inputPricePerMTok: 0.075, outputPricePerMTok: 0.3 }), '$0.075 / $0.30 per MTok in/out');
    assert.equal(formatPrice({ inputPricePerMTok: 0.4, outputPricePerMTok: 1.6 }), '$0.40 / $1.60 per MTok in/out');
    assert.equal(formatContextWindow(8192), '8K');
    assert.equal(formatContextWindow(128_000), '128K');
    assert.equal(formatContextWindow(131_072), '128K');
    assert.equal(formatContextWindow(1_048_576), '1M');
    assert.equal(formatContextWindow(200_000), '200K');
    const d = formatDetail(
      model({ id: 'openai/gpt-5', tier: 3, contextWindow: 400_000, inputPricePerMTok: 1.25, outputPricePerMTok: 10 }),
    );
    assert.match(d, /\$1\.25 \/ \$10\.00 per MTok in\/out/);
    assert.match(d, /400K context/);
    assert.match(d, /tier 3/);
    assert.match(
      formatDetail(model({ id: 'l', provider: 'local', local: true, inputPricePerMTok: 0, outputPricePerMTok: 0 })),
      /^free · /,
    );
  });

  it('unavailable models are shown with the reason, not selectable, with a key button when a key is missing', () => {
    const cat = buildCatalog({
      providers: [],
      localModels: [],
      providersWithKeys: new Set(['openai']),
      loadedLocal: new Set(),
    });
    const items = modelsOnly(buildModelItems({ task: 'chat', models: cat }));
    const claude = items.find((i) => i.value.startsWith('anthropic/'))!;
    assert.equal(claude.selectable, false);
    assert.match(claude.label, /unavailable: no API key for anthropic/);
    assert.equal(claude.keyProvider, 'anthropic');
    const gpt = items.find((i) => i.value.startsWith('openai/'))!;
    assert.equal(gpt.selectable, true);
    assert.equal(gpt.keyProvider, undefined);
    // Within a group, the available ones come first.
    const cooling = buildModelItems({
      task: 'chat',
      models: [
        model({
          id: 'openai/a',
          available: false,
          unavailable: 'cooling-down',
          unavailableReason: 'cooling down after provider errors',
          tier: 0,
        }),
        model({ id: 'openai/b', tier: 3 }),
      ],
    });
    const m = modelsOnly(cooling);
    assert.deepEqual(
      m.map((i) => i.value),
      ['auto', 'openai/b', 'openai/a'],
    );
    assert.equal(m[2]!.selectable, false);
    assert.equal(m[2]!.keyProvider, undefined, 'cooling down is not a key problem');
  });

  it('marks the current choice; Auto by default', () => {
    const ms = [model({ id: 'openai/gpt' })];
    let items = modelsOnly(buildModelItems({ task: 'chat', models: ms }));
    assert.equal(items.find((i) => i.current)!.value, 'auto');
    items = modelsOnly(buildModelItems({ task: 'chat', models: ms, current: 'openai/gpt' }));
    assert.deepEqual(
      items.filter((i) => i.current).map((i) => i.value),
      ['openai/gpt'],
    );
    assert.match(items.find((i) => i.current)!.label, /^\$\(check\) /);
  });

  it('keeps a pinned id the daemon does not know visible and selectable', () => {
    const items = buildModelItems({ task: 'chat', models: [model({ id: 'openai/gpt' })], current: 'gone/model' });
    const last = items.at(-1)!;
    assert.equal(last.kind, 'model');
    assert.equal((last as { value: string }).value, 'gone/model');
    assert.equal(items.at(-2)!.kind, 'separator');
  });

  it('respects gearbox.allowedModels', () => {
    const items = modelsOnly(
      buildModelItems({
        task: 'chat',
        models: [model({ id: 'openai/a' }), model({ id: 'openai/b' })],
        allowedModels: ['openai/b'],
      }),
    );
    assert.equal(items.find((i) => i.value === 'openai/a')!.selectable, false);
    assert.match(items.find((i) => i.value === 'openai/a')!.label, /allowedModels/);
    assert.equal(items.find((i) => i.value === 'openai/b')!.selectable, true);
    assert.equal(items[0]!.selectable, true, 'Auto stays selectable');
  });

  it('missingKeyProvider only for key problems on cloud models, by the reason code, never by its wording', () => {
    assert.equal(missingKeyProvider({ available: false, unavailable: 'no-key', provider: 'xai', local: false }), 'xai');
    assert.equal(missingKeyProvider({ available: true, provider: 'xai', local: false }), undefined);
    assert.equal(
      missingKeyProvider({ available: false, unavailable: 'cooling-down', provider: 'xai', local: false }),
      undefined,
    );
    // Text that mentions a key is for people: only the code says what is wrong.
    const worded = { available: false, provider: 'xai', local: false, unavailableReason: 'API key quota exceeded' };
    assert.equal(missingKeyProvider(worded), undefined);
  });
});
