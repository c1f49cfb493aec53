// The Models view's and Add Local Model's logic, without VS Code: which rows, which actions each
// model offers in which state, the providers' key state, the presets in recommendation order with
// their reasons, and the messages around them (extension/core/models-tree.ts, add-model-items.ts).
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  buildAddModelItems,
  initialItemIndex,
  machineSummary,
  notAllowedMessage,
  validateHfUri,
} from '../../extension/core/add-model-items';
import { buildModelsTree, canDeleteFile, modelContextValue, modelDescription } from '../../extension/core/models-tree';
import type {
  LocalModelEntry,
  MachineInfo,
  ModelInfo,
  PresetFit,
  RecommendResult,
  TaskDefaults,
} from '../../shared/protocol';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const MODELS_DIR = '/home/u/.cache/gearbox/models';
const NO_DEFAULTS: TaskDefaults = { completion: null, chat: null, refactor: null };

function entry(over: Partial<LocalModelEntry> = {}): LocalModelEntry {
  return {
    id: 'local/qwen2.5-coder-1.5b',
    displayName: 'Qwen2.5 Coder 1.5B',
    source: 'hf:ggml-org/Qwen2.5-Coder-1.5B-Q8_0-GGUF/qwen2.5-coder-1.5b-q8_0.gguf',
    sourceKind: 'hf',
    presetId: 'qwen2.5-coder-1.5b',
    tasks: ['completion'],
    tier: 0,
    contextSize: 8192,
    state: 'on-disk',
    path: path.join(MODELS_DIR, 'hf/ggml-org/Qwen2.5-Coder-1.5B-Q8_0-GGUF/qwen2.5-coder-1.5b-q8_0.gguf'),
    sizeBytes: 1.6 * GiB,
    loadedBytes: null,
    partialBytes: 0,
    download: null,
    lastError: null,
    defaultFor: [],
    ...over,
  };
}

function flags(m: LocalModelEntry): string[] {
  return modelContextValue(m, MODELS_DIR).split(' ');
}

describe('Models view: local model rows', () => {
  it('says the state with the size, memory, progress or failure', () => {
    assert.equal(modelDescription(entry()), 'on disk · 1.6 GiB');
    assert.equal(modelDescription(entry({ state: 'loaded', loadedBytes: 1.8 * GiB })), 'loaded · 1.8 GiB in memory');
    assert.equal(modelDescription(entry({ state: 'not-downloaded' })), 'not downloaded · 1.6 GiB');
    assert.equal(
      modelDescription(entry({ state: 'not-downloaded', partialBytes: 0.4 * GiB })),
      'not downloaded · 1.6 GiB · 25% kept, resumable',
    );
    const running = { receivedBytes: 800 * MiB, totalBytes: 1600 * MiB, bytesPerSecond: 20 * MiB, etaSeconds: 41 };
    assert.equal(
      modelDescription(entry({ state: 'downloading', download: running })),
      'downloading 50% · 800.0 MiB of 1.6 GiB · 20.0 MiB/s · 41 s left',
    );
    const newer = { ...running, receivedBytes: 1200 * MiB };
    assert.match(modelDescription(entry({ state: 'downloading', download: running }), newer), /^downloading 75%/);
    assert.equal(
      modelDescription(
        entry({
          state: 'not-downloaded',
          lastError: { reason: 'offline', message: 'offline: …' },
          defaultFor: ['chat'],
        }),
      ),
      'not downloaded · 1.6 GiB · failed: offline · default for chat',
    );
    assert.equal(
      modelDescription(entry({ state: 'not-downloaded', lastError: { reason: 'cancelled', message: 'cancelled' } })),
      'not downloaded · 1.6 GiB',
      'a cancel is a pause, not a failure',
    );
    assert.equal(modelDescription(entry({ state: 'file-missing', sourceKind: 'file' })), 'file missing');
  });

  it('offers the actions that make sense in each state', () => {
    assert.deepEqual(flags(entry({ state: 'not-downloaded' })), [
      'gearboxModel',
      'state-not-downloaded',
      'canDownload',
      'canDelete',
      'canRemove',
      'canUseFor-completion',
    ]);
    const downloading = flags(entry({ state: 'downloading' }));
    assert.ok(downloading.includes('canCancel') && !downloading.includes('canDownload'));
    const onDisk = flags(entry());
    assert.ok(onDisk.includes('canLoad') && onDisk.includes('canReveal') && !onDisk.includes('canUnload'));
    const loaded = flags(entry({ state: 'loaded' }));
    assert.ok(loaded.includes('canUnload') && !loaded.includes('canLoad'));
    // A file model elsewhere: never deleted by the daemon, never downloaded.
    const file = flags(entry({ sourceKind: 'file', path: '/data/models/x.gguf', state: 'file-missing' }));
    assert.ok(!file.includes('canDelete') && !file.includes('canDownload') && !file.includes('canReveal'));
  });

  it('"Use for" only the tasks the model serves and is not the default for yet', () => {
    const chat = entry({ tasks: ['chat', 'refactor', 'embedding'], defaultFor: ['chat'] });
    const use = flags(chat).filter((f) => f.startsWith('canUseFor-'));
    assert.deepEqual(use, ['canUseFor-refactor']);
  });

  it('a file may be deleted only inside the models dir', () => {
    assert.equal(canDeleteFile(entry(), MODELS_DIR), true);
    assert.equal(canDeleteFile({ path: '/home/u/models/x.gguf' }, MODELS_DIR), false);
    assert.equal(canDeleteFile({ path: `${MODELS_DIR}/../evil.gguf` }, MODELS_DIR), false);
    assert.equal(canDeleteFile({ path: null }, MODELS_DIR), false);
  });
});

const closed = (provider: string, available: boolean): ModelInfo => ({
  id: `${provider}/m`,
  provider,
  providerKind: 'openai-compatible',
  displayName: 'M',
  tier: 2,
  contextWindow: 8192,
  inputPricePerMTok: 1,
  outputPricePerMTok: 2,
  local: false,
  private: false,
  tasks: ['chat'],
  available,
});

describe('Models view: the tree', () => {
  const base = {
    models: [] as LocalModelEntry[],
    defaults: NO_DEFAULTS,
    modelsDir: MODELS_DIR,
    configProblem: null,
    progress: new Map(),
    catalog: [] as ModelInfo[],
    providersWithKeys: [] as string[],
  };

  it('with no local model, the local section offers Add Local Model…', () => {
    const [local] = buildModelsTree(base);
    assert.equal(local?.kind === 'section' && local.label, 'Local models');
    const child = local?.kind === 'section' ? local.children[0] : undefined;
    assert.equal(child?.kind === 'action' && child.command, 'gearbox.addLocalModel');
  });

  it('lists local models with a state icon, and providers with their key state, keyed ones first', () => {
    const nodes = buildModelsTree({
      ...base,
      models: [entry(), entry({ id: 'local/b', displayName: 'B', state: 'downloading' })],
      catalog: [
        closed('openai', false),
        closed('anthropic', false),
        closed('team-vllm', true),
        closed('openai', false),
      ],
      providersWithKeys: ['gemini', 'anthropic'],
    });
    const [local, providers] = nodes;
    assert.ok(local?.kind === 'section' && providers?.kind === 'section');
    assert.deepEqual(
      local.children.map((c) => (c.kind === 'model' ? [c.label, c.icon] : [])),
      [
        ['Qwen2.5 Coder 1.5B', 'database'],
        ['B', 'sync~spin'],
      ],
    );
    assert.deepEqual(
      providers.children.map((c) => (c.kind === 'provider' ? [c.label, c.description, c.contextValue] : [])),
      [
        ['Anthropic', 'key set · 1 model', 'gearboxProvider hasKey'],
        ['Google Gemini', 'key set · 0 models', 'gearboxProvider hasKey'],
        ['OpenAI', 'no key · 2 models', 'gearboxProvider noKey'],
        ['team-vllm', 'no key needed · 1 model', 'gearboxProvider noKey'],
      ],
    );
  });

  it('a broken config.json comes first, naming the field, and opens the file', () => {
    const nodes = buildModelsTree({
      ...base,
      configProblem: {
        file: '/c/config.json',
        issues: [{ path: 'localModels.0.source', message: 'Required' }],
        keptLastGood: true,
      },
    });
    const first = nodes[0];
    assert.ok(first?.kind === 'action');
    assert.equal(first.label, 'config.json: localModels.0.source: Required');
    assert.equal(first.command, 'gearbox.openDaemonConfig');
  });
});

const machine: MachineInfo = {
  totalRamBytes: 16 * GiB,
  freeRamBytes: 9 * GiB,
  gpu: 'cuda',
  vramTotalBytes: 8 * GiB,
  vramFreeBytes: 7 * GiB,
  diskFreeBytes: 120.5 * GiB,
  modelsDir: MODELS_DIR,
};

function presetFit(id: string, role: 'completion' | 'chat', over: Partial<PresetFit> = {}): PresetFit {
  return {
    preset: {
      id,
      displayName: id,
      role,
      uri: `hf:o/${id}/${id}.gguf`,
      sizeBytes: 1.6 * GiB,
      paramsB: 1.5,
      contextSize: 8192,
      tier: 0,
      description: '',
    },
    usable: true,
    recommended: false,
    kind: 'fits-vram',
    neededBytes: 2 * GiB,
    availableBytes: 6 * GiB,
    text: 'fits in 6.1 GiB VRAM',
    configuredAs: null,
    ...over,
  };
}

describe('Add Local Model: the Quick Pick', () => {
  const rec: RecommendResult = {
    machine,
    presets: [
      presetFit('chat-14b', 'chat', { recommended: true, text: 'fits in 6.1 GiB VRAM' }),
      presetFit('coder-1.5b', 'completion', { recommended: true, configuredAs: 'local/coder-1.5b' }),
      presetFit('coder-0.5b', 'completion'),
      presetFit('coder-32b', 'chat', {
        usable: false,
        kind: 'needs-more-ram',
        text: 'needs 21.0 GiB RAM, you have 16.0 GiB',
      }),
    ],
    recommended: { completion: 'coder-1.5b', chat: 'chat-14b' },
  };

  it('recommended first (completion before chat), then what fits, then what does not, then other sources', () => {
    const items = buildAddModelItems(rec, [entry({ id: 'local/coder-1.5b', state: 'downloading' })]);
    assert.deepEqual(
      items.map((i) => (i.kind === 'separator' ? `-- ${i.label}` : i.kind === 'preset' ? i.presetId : i.kind)),
      [
        '-- Recommended for this machine',
        'coder-1.5b',
        'chat-14b',
        '-- Also fits',
        'coder-0.5b',
        '-- Too large or too slow here',
        'coder-32b',
        '-- Other sources',
        'hf',
        'file',
      ],
    );
    const rows = items.filter((i) => i.kind === 'preset');
    assert.deepEqual(
      rows.map((r) => [r.label, r.description, r.detail]),
      [
        [
          '$(star-full) coder-1.5b',
          'completion · 1.6 GiB',
          'Recommended: fits in 6.1 GiB VRAM · added as local/coder-1.5b (downloading)',
        ],
        ['$(star-full) chat-14b', 'chat and refactors · 1.6 GiB', 'Recommended: fits in 6.1 GiB VRAM'],
        ['coder-0.5b', 'completion · 1.6 GiB', 'fits in 6.1 GiB VRAM'],
        ['coder-32b', 'chat and refactors · 1.6 GiB', 'needs 21.0 GiB RAM, you have 16.0 GiB'],
      ],
    );
    assert.equal(rows[3]?.kind === 'preset' && rows[3].warning, 'needs 21.0 GiB RAM, you have 16.0 GiB');
    assert.equal(rows[0]?.kind === 'preset' && rows[0].warning, undefined);
    assert.equal(items[initialItemIndex(items)]?.kind === 'preset' && items[initialItemIndex(items)], rows[0]);
  });

  it('with nothing recommended, starts on the first row that is not a separator', () => {
    const items = buildAddModelItems({ ...rec, presets: [], recommended: { completion: null, chat: null } }, []);
    assert.equal(items[initialItemIndex(items)]?.kind, 'hf');
  });

  it('summarises the machine for the placeholder', () => {
    assert.equal(machineSummary(machine), 'This machine: 16.0 GiB RAM · CUDA, 8.0 GiB VRAM · 120.5 GiB free on disk');
    assert.equal(
      machineSummary({ ...machine, gpu: null, vramTotalBytes: null, diskFreeBytes: null }),
      'This machine: 16.0 GiB RAM · no GPU (CPU)',
    );
  });

  it('checks an hf: URI before the daemon sees it', () => {
    assert.equal(validateHfUri('hf:ggml-org/Qwen2.5-Coder-1.5B-Q8_0-GGUF/qwen2.5-coder-1.5b-q8_0.gguf'), undefined);
    assert.equal(validateHfUri('hf:unsloth/Qwen3-Coder-30B-A3B-Instruct-GGUF:Q4_K_M'), undefined);
    assert.equal(validateHfUri('hf:owner/repo'), undefined);
    assert.match(validateHfUri('') ?? '', /Paste/);
    assert.match(validateHfUri('https://huggingface.co/x/y') ?? '', /starts with hf:/);
    assert.match(validateHfUri('hf:justone') ?? '', /hf:owner\/repo/);
    assert.match(validateHfUri('hf:o/r/file.bin') ?? '', /hf:owner\/repo/);
  });

  it('explains a file outside the model folders with the folders and the two fixes', () => {
    const { message, detail } = notAllowedMessage({
      file: '/data/x.gguf',
      allowedDirs: ['/home/u/.config/gearbox', MODELS_DIR],
      configPath: '/home/u/.config/gearbox/config.json',
    });
    assert.equal(message, 'Gearbox cannot use /data/x.gguf: the daemon only loads models from its model folders.');
    assert.match(
      detail,
      /^Model folders:\n {2}\/home\/u\/\.config\/gearbox\n {2}\/home\/u\/\.cache\/gearbox\/models\n/,
    );
    assert.match(detail, /Move the file into one of them/);
    assert.match(detail, /"modelDirs" in the daemon configuration \(\/home\/u\/\.config\/gearbox\/config\.json\)/);
  });
});
