// Loading and unloading local models on request (the editor's Models view: Load / Unload), and
// adding a GGUF from outside the allowed model dirs, refused with the dirs as data so the editor
// can explain the fix. The model host is faked: it records what is loaded.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { DaemonClient } from '../../daemon/cli/client';
import { ErrorCodes, ModelErrorData, ModelFileNotAllowedData } from '../../shared/protocol';
import { FakeModelHost } from '../fakes/fake-model-host';
import { makeTestModel } from '../fixtures/make-test-model';
import { startTestDaemon, tempDir, type TestDaemon } from '../helpers/daemon-harness';
import { recordNotifications } from '../helpers/notifications';

async function rejection(p: Promise<unknown>): Promise<Error & { code?: number; data?: unknown }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: number; data?: unknown };
  }
  throw new Error('expected a rejection');
}

describe('local models: load, unload, and files outside the model dirs', function () {
  this.timeout(60_000);
  let work: string;
  let modelFile: string;
  let d: TestDaemon;
  let client: DaemonClient;
  let host: FakeModelHost;

  beforeEach(async () => {
    work = tempDir('gearbox-model-load-');
    const modelsDir = path.join(work, 'models');
    fs.mkdirSync(modelsDir, { recursive: true });
    modelFile = path.join(modelsDir, 'tiny.gguf');
    fs.copyFileSync(makeTestModel({ shape: 'tiny' }), modelFile);
    host = new FakeModelHost();
    d = await startTestDaemon(
      {
        modelsDir,
        modelDirs: [modelsDir],
        localModels: [
          { id: 'local/tiny', source: modelFile, tasks: ['completion'] },
          { id: 'local/remote', source: 'hf:gearbox-test/tiny-fim-GGUF/tiny-fim.gguf', tasks: ['completion'] },
        ],
      },
      { modelHost: host, confineModels: true },
    );
    client = await d.connect();
  });
  afterEach(async () => {
    await d?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('Load puts an on-disk model in memory and says so to every client; Unload frees it', async () => {
    const other = await d.connect();
    const events = recordNotifications(other, ['gearbox/models/changed']);
    const loaded = await client.request('gearbox/models/load', { id: 'local/tiny' });
    assert.equal(loaded.model.state, 'loaded');
    assert.equal(loaded.model.loadedBytes, 1, 'the memory the model host reports');
    assert.ok(host.loaded.has('local/tiny'));
    const seen = await events.waitFor('gearbox/models/changed', (p) => p.event === 'local/tiny: loaded');
    assert.equal(seen.models.find((m) => m.id === 'local/tiny')?.state, 'loaded');

    const unloaded = await client.request('gearbox/models/unload', { id: 'local/tiny' });
    assert.equal(unloaded.model.state, 'on-disk');
    assert.equal(unloaded.model.loadedBytes, null);
    assert.ok(!host.loaded.has('local/tiny'));
    await events.waitFor('gearbox/models/changed', (p) => p.event === 'local/tiny: unloaded');
  });

  it('Load of a model not downloaded yet names the download as the fix; an unknown id is refused', async () => {
    const err = await rejection(client.request('gearbox/models/load', { id: 'local/remote' }));
    assert.equal(err.code, ErrorCodes.ModelNotDownloaded);
    const data = ModelErrorData.parse(err.data);
    assert.equal(data.modelId, 'local/remote');
    assert.equal(data.fixes[0]?.action, 'download-local-model');
    assert.equal(data.fixes[0]?.modelId, 'local/remote');
    assert.ok(!host.loaded.has('local/remote'));

    const unknown = await rejection(client.request('gearbox/models/unload', { id: 'local/nope' }));
    assert.equal(unknown.code, ErrorCodes.InvalidParams);
    assert.match(unknown.message, /No local model "local\/nope"/);
  });

  it('a GGUF outside the allowed dirs is refused with the dirs as data, and the config is untouched', async () => {
    const elsewhere = path.join(work, 'elsewhere');
    fs.mkdirSync(elsewhere);
    const outside = path.join(elsewhere, 'other.gguf');
    fs.copyFileSync(modelFile, outside);
    const err = await rejection(client.request('gearbox/models/add', { source: { kind: 'file', path: outside } }));
    assert.equal(err.code, ErrorCodes.ModelFileNotAllowed);
    const data = ModelFileNotAllowedData.parse(err.data);
    assert.equal(data.file, fs.realpathSync(outside));
    assert.deepEqual(data.allowedDirs, [path.join(work, 'models')]);
    assert.equal(data.configPath, d.config.file);
    const ids = (await client.request('gearbox/models/list', {})).models.map((m) => m.id);
    assert.deepEqual(ids, ['local/tiny', 'local/remote']);

    // A symlink inside the allowed dir that points outside is the same file: refused too.
    const link = path.join(work, 'models', 'link.gguf');
    fs.symlinkSync(outside, link);
    const viaLink = await rejection(client.request('gearbox/models/add', { source: { kind: 'file', path: link } }));
    assert.equal(viaLink.code, ErrorCodes.ModelFileNotAllowed);

    const inside = path.join(work, 'models', 'copy.gguf');
    fs.copyFileSync(modelFile, inside);
    const added = await client.request('gearbox/models/add', { source: { kind: 'file', path: inside } });
    assert.equal(added.model.state, 'on-disk');
  });
});
