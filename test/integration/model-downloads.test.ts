// Local model downloads, as clients see them: the daemon fetches presets from a fake Hugging Face
// hub on loopback (the daemon's modelEndpoint), with progress to every client, resume after a
// cancel or a cut connection (the hub counts the bytes it serves: none twice), refusal before the
// first byte when the disk is too small, verification of size and sha256, one download for two
// clients, a clear one-line "offline" when the hub is down, and "no model can serve" errors that
// name the fix. The model host is faked: loading real models is model-host.test.ts's job.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import type { DaemonClient } from '../../daemon/cli/client';
import { AUTO_DOWNLOAD_MARKER } from '../../daemon/models/manager';
import { ErrorCodes, ModelErrorData, type LocalModelEntry } from '../../shared/protocol';
import { startFakeHfHub, type FakeHfHub, type HubRequest } from '../fakes/fake-hf-hub';
import { FakeModelHost } from '../fakes/fake-model-host';
import { startFakeOpenAI } from '../fakes/fake-openai';
import type { FakeServer } from '../fakes/fake-server';
import { makeTestModel } from '../fixtures/make-test-model';
import { startTestDaemon, tempDir, type TestDaemon } from '../helpers/daemon-harness';
import { recordNotifications, type Recorder } from '../helpers/notifications';

const here = path.dirname(fileURLToPath(import.meta.url));
const PRESETS = path.join(here, '..', 'fixtures', 'test-presets.json');
const FIM = { repo: 'gearbox-test/tiny-fim-GGUF', path: 'tiny-fim.gguf' };
const CHAT = { repo: 'gearbox-test/tiny-chat-GGUF', path: 'tiny-chat.gguf' };
const MiB = 1024 * 1024;

async function rejection(p: Promise<unknown>): Promise<Error & { code?: number; data?: unknown }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { code?: number; data?: unknown };
  }
  throw new Error('expected a rejection');
}

describe('local model downloads (fake Hugging Face hub)', function () {
  this.timeout(60_000);
  let model: string;
  let modelSha: string;
  let modelSize: number;
  let hub: FakeHfHub;
  let work: string;
  let d: TestDaemon;
  let a: DaemonClient;
  let events: Recorder;

  before(() => {
    model = makeTestModel({ shape: 'tiny' });
    const bytes = fs.readFileSync(model);
    modelSha = createHash('sha256').update(bytes).digest('hex');
    modelSize = bytes.length;
  });

  const start = async (extra: Record<string, unknown> = {}, host = new FakeModelHost()) => {
    d = await startTestDaemon(
      {
        modelEndpoint: hub.url,
        modelsDir: path.join(work, 'models'),
        presetsFile: PRESETS,
        downloads: { retryDelayMs: 10, retries: 2 },
        ...extra,
      },
      { modelHost: host },
    );
    a = await d.connect();
    events = recordNotifications(a, ['gearbox/models/progress', 'gearbox/models/changed']);
  };

  const fimPath = () => path.join(work, 'models', 'hf', 'gearbox-test', 'tiny-fim-GGUF', 'tiny-fim.gguf');
  /** For each GET of the FIM file, as it arrives: the bytes of it already on disk (in the .partial). */
  const bytesOnDiskAtEachGet = () => {
    const onDisk: number[] = [];
    hub.on('get', (key) => {
      if (key !== `${FIM.repo}/${FIM.path}`) return;
      onDisk.push(fs.existsSync(`${fimPath()}.partial`) ? fs.statSync(`${fimPath()}.partial`).size : 0);
    });
    return onDisk;
  };
  /** Every GET asked for exactly the bytes not on disk yet: none that were kept is fetched again. */
  const assertResumesAt = (gets: HubRequest[], onDisk: number[]) =>
    assert.deepEqual(
      gets.map((g) => g.range),
      onDisk.map((n) => (n > 0 ? `bytes=${n}-` : undefined)),
    );
  const entryOf = async (c: DaemonClient, id: string): Promise<LocalModelEntry> => {
    const list = await c.request('gearbox/models/list', {});
    const m = list.models.find((x) => x.id === id);
    assert.ok(m, `${id} is listed`);
    return m;
  };

  beforeEach(async () => {
    work = tempDir('gearbox-downloads-');
    hub = await startFakeHfHub();
    hub.add({ ...FIM, file: model });
    hub.add({ ...CHAT, file: model });
  });
  afterEach(async () => {
    await d?.stop();
    await hub.close();
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('tells every client the catalog changed: the config edit that adds a model, its download, its end', async () => {
    await start();
    const b = await d.connect();
    const seen = recordNotifications(b, [
      'gearbox/catalogChanged',
      'gearbox/models/changed',
      'gearbox/models/progress',
    ]);
    hub.nextGet(FIM.repo, FIM.path, { pauseAt: 1 * MiB });
    await a.request('gearbox/models/add', { source: { kind: 'preset', id: 'tiny-fim' } });
    await seen.waitFor('gearbox/catalogChanged', (p) => p.reasons.includes('config'));
    await seen.waitFor('gearbox/catalogChanged', (p) => p.reasons.includes('download'));
    const startedAt = seen.all('gearbox/catalogChanged').length;
    // Released only once the hub holds the download at its pause (an earlier release is lost).
    await seen.waitFor('gearbox/models/progress', (p) => p.receivedBytes === 1 * MiB);
    hub.release();
    await seen.waitFor('gearbox/models/changed', (p) =>
      p.models.some((m) => m.id === 'local/tiny-fim' && m.state === 'on-disk'),
    );
    // The download's end is a change of its own: the model is available now.
    const after = await seen.waitFor(
      'gearbox/catalogChanged',
      (p) => seen.all('gearbox/catalogChanged').indexOf(p) >= startedAt && p.reasons.includes('download'),
    );
    assert.ok(after);
    const { models } = await b.request('gearbox/models', {});
    assert.equal(models.find((m) => m.id === 'local/tiny-fim')?.available, true);
  });

  it('adds a preset and downloads it with progress to every client, verified, then it can serve', async () => {
    await start();
    const b = await d.connect();
    const seenByB = recordNotifications(b, ['gearbox/models/progress', 'gearbox/models/changed']);
    hub.nextGet(FIM.repo, FIM.path, { pauseAt: 4 * MiB });
    const added = await a.request('gearbox/models/add', { source: { kind: 'preset', id: 'tiny-fim' } });
    assert.equal(added.added, true);
    assert.equal(added.model.id, 'local/tiny-fim');
    assert.deepEqual(added.model.tasks, ['completion']);
    assert.equal(added.model.source, 'hf:gearbox-test/tiny-fim-GGUF/tiny-fim.gguf');

    // Mid-download: the model is listed as downloading and the router passes it over, saying why.
    await seenByB.waitFor('gearbox/models/progress', (p) => p.receivedBytes === 4 * MiB);
    const mid = await entryOf(a, 'local/tiny-fim');
    assert.equal(mid.state, 'downloading');
    assert.equal(mid.download?.totalBytes, modelSize);
    assert.ok(!fs.existsSync(fimPath()), 'no file with the final name before it is verified');
    assert.ok(fs.existsSync(`${fimPath()}.partial`));
    const catalog = await a.request('gearbox/models', {});
    const listed = catalog.models.find((m) => m.id === 'local/tiny-fim');
    assert.equal(listed?.available, false);
    assert.equal(listed?.unavailable, 'not-downloaded');
    assert.match(listed?.unavailableReason ?? '', /^downloading \(\d+%\)$/);

    hub.release();
    const done = await seenByB.waitFor('gearbox/models/changed', (p) =>
      p.models.some((m) => m.id === 'local/tiny-fim' && m.state === 'on-disk'),
    );
    assert.match(done.event, /local\/tiny-fim: downloaded and verified/);
    const progress = seenByB.all('gearbox/models/progress').filter((p) => p.id === 'local/tiny-fim');
    assert.ok(progress.length >= 2, 'progress reached the other client');
    for (let i = 1; i < progress.length; i++)
      assert.ok(progress[i]!.receivedBytes >= progress[i - 1]!.receivedBytes, 'progress never goes back');
    assert.ok(progress.every((p) => p.totalBytes === modelSize));

    const bytes = fs.readFileSync(fimPath());
    assert.equal(createHash('sha256').update(bytes).digest('hex'), modelSha);
    assert.ok(!fs.existsSync(`${fimPath()}.partial`), 'no partial file left');
    assert.equal(hub.bytesServed(FIM.repo, FIM.path), modelSize, 'each byte served once');
    const after = await a.request('gearbox/models', {});
    assert.equal(after.models.find((m) => m.id === 'local/tiny-fim')?.available, true);
    const entry = await entryOf(a, 'local/tiny-fim');
    assert.equal(entry.state, 'on-disk');
    assert.equal(entry.sizeBytes, modelSize);
    assert.equal(entry.presetId, 'tiny-fim');
  });

  it('cancel keeps the bytes; the next download resumes without fetching any of them again', async () => {
    await start();
    hub.nextGet(FIM.repo, FIM.path, { pauseAt: 3 * MiB });
    await a.request('gearbox/models/add', { source: { kind: 'preset', id: 'tiny-fim' } });
    await events.waitFor('gearbox/models/progress', (p) => p.receivedBytes === 3 * MiB);
    const cancelled = await a.request('gearbox/models/cancelDownload', { id: 'local/tiny-fim' });
    assert.equal(cancelled.cancelled, true);
    assert.equal(cancelled.model.state, 'not-downloaded');
    assert.equal(cancelled.model.partialBytes, 3 * MiB);
    assert.equal(cancelled.model.lastError?.reason, 'cancelled');
    assert.match(cancelled.model.lastError?.message ?? '', /kept and the next download resumes there/);

    const resumed = await a.request('gearbox/models/download', { id: 'local/tiny-fim', wait: true });
    assert.equal(resumed.model.state, 'on-disk');
    assert.equal(resumed.model.lastError, null);
    const gets = hub.fileGets(FIM.repo, FIM.path);
    assert.equal(gets.length, 2);
    assert.equal(gets[1]!.range, `bytes=${3 * MiB}-`);
    assert.equal(hub.bytesServed(FIM.repo, FIM.path), modelSize, 'no byte fetched twice');
    assert.equal(createHash('sha256').update(fs.readFileSync(fimPath())).digest('hex'), modelSha);
  });

  it('a connection cut mid-file is resumed from where it stopped', async () => {
    await start();
    const onDisk = bytesOnDiskAtEachGet();
    hub.nextGet(FIM.repo, FIM.path, { cutAt: 5 * MiB + 123 });
    const cut = new Promise((resolve) => hub.once('cut', resolve));
    await a.request('gearbox/models/add', { source: { kind: 'preset', id: 'tiny-fim' }, download: false });
    const res = await a.request('gearbox/models/download', { id: 'local/tiny-fim', wait: true });
    await cut;
    assert.equal(res.model.state, 'on-disk');
    const gets = hub.fileGets(FIM.repo, FIM.path);
    assert.equal(gets[0]!.served, 5 * MiB + 123, 'the hub cut the first connection there');
    assert.equal(gets[1]?.range, `bytes=${5 * MiB + 123}-`, 'every byte sent before the cut was kept');
    assertResumesAt(gets, onDisk);
    assert.equal(hub.bytesServed(FIM.repo, FIM.path), modelSize, 'no byte fetched twice');
    assert.equal(createHash('sha256').update(fs.readFileSync(fimPath())).digest('hex'), modelSha);
  });

  it('a connection that stalls is dropped and the download resumes on a new one', async () => {
    // A busy machine can make a healthy connection look stalled for 0.2 s too, and drop it: that may
    // add GETs (and retries, hence 5), each of which must still resume at exactly the bytes on disk.
    await start({ downloads: { stallSeconds: 0.2, retryDelayMs: 10, retries: 5 } });
    const onDisk = bytesOnDiskAtEachGet();
    // At 2 MiB the hub sends nothing more, the connection open, until the daemon hangs up.
    hub.stallAt(FIM.repo, FIM.path, 2 * MiB);
    const dropped = new Promise<HubRequest>((resolve) => hub.once('dropped', (_key, req) => resolve(req)));
    await a.request('gearbox/models/add', { source: { kind: 'preset', id: 'tiny-fim' }, download: false });
    const res = await a.request('gearbox/models/download', { id: 'local/tiny-fim', wait: true });
    const stalled = await dropped;
    assert.equal(res.model.state, 'on-disk');
    assert.equal(stalled.offset + stalled.served, 2 * MiB, 'the daemon dropped the silent connection');
    const gets = hub.fileGets(FIM.repo, FIM.path);
    assert.equal(gets[gets.indexOf(stalled) + 1]?.range, `bytes=${2 * MiB}-`, 'and resumed where it stopped');
    assertResumesAt(gets, onDisk);
    assert.equal(createHash('sha256').update(fs.readFileSync(fimPath())).digest('hex'), modelSha);
    const why = d.logs.filter((l) => l.includes('download interrupted; resuming') && l.includes(`"at":${2 * MiB}`));
    assert.ok(
      why.some((l) => l.includes('no data for 0.2 s')),
      why.join('\n'),
    );
  });

  it('two clients asking for the same model share one download', async () => {
    await start();
    const b = await d.connect();
    await a.request('gearbox/models/add', { source: { kind: 'preset', id: 'tiny-fim' }, download: false });
    hub.nextGet(FIM.repo, FIM.path, { pauseAt: MiB });
    const paused = new Promise((resolve) => hub.once('paused', resolve));
    const fromA = a.request('gearbox/models/download', { id: 'local/tiny-fim', wait: true });
    await paused;
    const fromB = b.request('gearbox/models/download', { id: 'local/tiny-fim', wait: true });
    // B's request is in: it joined (the listing shows one download running), then the hub goes on.
    assert.equal((await entryOf(b, 'local/tiny-fim')).state, 'downloading');
    hub.release();
    const [ra, rb] = await Promise.all([fromA, fromB]);
    assert.equal(ra.model.state, 'on-disk');
    assert.equal(rb.model.state, 'on-disk');
    assert.equal(hub.fileGets(FIM.repo, FIM.path).length, 1, 'one GET of the file');
    assert.equal(hub.bytesServed(FIM.repo, FIM.path), modelSize);
  });

  it('a closed window does not stop a download; a cancelled wait does not either', async () => {
    await start();
    const b = await d.connect();
    await a.request('gearbox/models/add', { source: { kind: 'preset', id: 'tiny-fim' }, download: false });
    hub.nextGet(FIM.repo, FIM.path, { pauseAt: MiB });
    const paused = new Promise((resolve) => hub.once('paused', resolve));
    const cts = new CancellationTokenSource();
    const waiting = b.request('gearbox/models/download', { id: 'local/tiny-fim', wait: true }, cts);
    await paused;
    cts.cancel();
    const err = await rejection(waiting);
    assert.equal(err.code, ErrorCodes.RequestCancelled);
    await b.close();
    hub.release();
    await events.waitFor('gearbox/models/changed', (p) =>
      p.models.some((m) => m.id === 'local/tiny-fim' && m.state === 'on-disk'),
    );
    assert.equal(hub.bytesServed(FIM.repo, FIM.path), modelSize);
  });

  it('hub down: "offline", at once, in one line; closed models still serve', async () => {
    const provider: FakeServer = await startFakeOpenAI();
    try {
      await hub.close();
      await start({
        providers: [
          {
            id: 'fake',
            kind: 'openai-compatible',
            baseUrl: provider.url,
            noKey: true,
            models: [{ name: 'm', tier: 1 }],
          },
        ],
      });
      await a.request('gearbox/models/add', { source: { kind: 'preset', id: 'tiny-fim' }, download: false });
      const err = await rejection(a.request('gearbox/models/download', { id: 'local/tiny-fim', wait: true }));
      assert.equal(err.code, ErrorCodes.Offline);
      assert.match(
        err.message,
        new RegExp(
          '^offline: local/tiny-fim is not on disk and http://127\\.0\\.0\\.1:\\d+ cannot be reached \\(.*\\); ' +
            'closed models still serve; run "gearbox models download local/tiny-fim" once online$',
        ),
      );
      assert.ok(!err.message.includes('\n'), 'one line');
      const data = ModelErrorData.parse(err.data);
      assert.equal(data.reason, 'offline');
      assert.equal((await entryOf(a, 'local/tiny-fim')).lastError?.reason, 'offline');
      assert.ok(
        d.logs.some((l) => l.includes('offline: local/tiny-fim is not on disk')),
        'the log says it too',
      );
      const chat = await a.request('gearbox/chat', { streamId: 's1', messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(chat.model, 'fake/m');
    } finally {
      await provider.close();
    }
  });

  it('not enough disk space: refused before any byte is written', async () => {
    hub.add({ ...FIM, file: model, announcedSize: 2 ** 50 });
    await start();
    await a.request('gearbox/models/add', { source: { kind: 'preset', id: 'tiny-fim' }, download: false });
    const err = await rejection(a.request('gearbox/models/download', { id: 'local/tiny-fim', wait: true }));
    assert.equal(err.code, ErrorCodes.DownloadFailed);
    assert.match(
      err.message,
      /^Not enough disk space for local\/tiny-fim: it needs 1048576\.0 GiB more in .*, which has .* free$/,
    );
    assert.equal(ModelErrorData.parse(err.data).reason, 'not-enough-disk');
    assert.equal(hub.fileGets(FIM.repo, FIM.path).length, 0, 'the file was never requested');
    assert.ok(!fs.existsSync(`${fimPath()}.partial`) && !fs.existsSync(fimPath()), 'nothing written');
  });

  it('a wrong sha256 is rejected and the bytes removed: nothing that looks usable is left', async () => {
    hub.add({ ...FIM, file: model, announcedSha256: 'ab'.repeat(32) });
    await start();
    await a.request('gearbox/models/add', { source: { kind: 'preset', id: 'tiny-fim' }, download: false });
    const err = await rejection(a.request('gearbox/models/download', { id: 'local/tiny-fim', wait: true }));
    assert.equal(err.code, ErrorCodes.DownloadFailed);
    assert.match(err.message, /the sha256 of the download \([0-9a-f]{64}\) is not the one the hub publishes/);
    assert.equal(ModelErrorData.parse(err.data).reason, 'checksum-mismatch');
    assert.deepEqual(fs.readdirSync(path.dirname(fimPath())), [], 'no file, no partial');
    const entry = await entryOf(a, 'local/tiny-fim');
    assert.equal(entry.state, 'not-downloaded');
    assert.equal(entry.partialBytes, 0);
    assert.equal(entry.lastError?.reason, 'checksum-mismatch');
  });

  it('a wrong size is rejected and the bytes removed', async () => {
    hub.add({ ...FIM, file: model, announcedSize: modelSize - 1000 });
    await start();
    await a.request('gearbox/models/add', { source: { kind: 'preset', id: 'tiny-fim' }, download: false });
    const err = await rejection(a.request('gearbox/models/download', { id: 'local/tiny-fim', wait: true }));
    assert.equal(ModelErrorData.parse(err.data).reason, 'size-mismatch');
    assert.match(err.message, /sent more than the \d+ bytes it announced/);
    assert.deepEqual(fs.readdirSync(path.dirname(fimPath())), []);
  });

  it('adds an hf: URI by quantization tag, a GGUF on disk, and refuses a file that is not a GGUF', async () => {
    hub.add({ repo: 'gearbox-test/quant-GGUF', path: 'model-Q8_0.gguf', file: model });
    hub.add({ repo: 'gearbox-test/quant-GGUF', path: 'model-Q4_K_M.gguf', file: model });
    await start({ modelDirs: [work, path.dirname(model)] });
    const byTag = await a.request('gearbox/models/add', {
      source: { kind: 'hf', uri: 'hf:gearbox-test/quant-GGUF:q8_0' },
      download: false,
    });
    assert.equal(byTag.model.source, 'hf:gearbox-test/quant-GGUF/model-Q8_0.gguf');
    assert.equal(byTag.model.id, 'local/model-q8_0');
    const onDisk = await a.request('gearbox/models/add', { source: { kind: 'file', path: model }, id: 'local/disk' });
    assert.equal(onDisk.model.state, 'on-disk');
    assert.equal(onDisk.model.sourceKind, 'file');
    const junk = path.join(work, 'junk.gguf');
    fs.writeFileSync(junk, 'not a model at all, just text that is long enough to read');
    const err = await rejection(a.request('gearbox/models/add', { source: { kind: 'file', path: junk } }));
    assert.equal(err.code, ErrorCodes.InvalidParams);
    assert.match(err.message, /junk\.gguf cannot be used: it is not a GGUF file/);
    const again = await a.request('gearbox/models/add', { source: { kind: 'preset', id: 'nope' } }).catch((e) => e);
    assert.match((again as Error).message, /Unknown preset "nope". Presets: tiny-fim, tiny-chat, huge-chat/);
  });

  it('remove takes the model out of the config and, when asked, deletes its download', async () => {
    await start();
    await a.request('gearbox/models/add', { source: { kind: 'preset', id: 'tiny-fim' } });
    await events.waitFor('gearbox/models/changed', (p) => p.models.some((m) => m.state === 'on-disk'));
    await a.request('gearbox/models/setDefaults', { defaults: { completion: 'local/tiny-fim' } });
    assert.deepEqual((await entryOf(a, 'local/tiny-fim')).defaultFor, ['completion']);
    const res = await a.request('gearbox/models/remove', { id: 'local/tiny-fim', deleteFile: true });
    assert.deepEqual(res, { removed: true, deletedFiles: [fimPath()] });
    const list = await a.request('gearbox/models/list', {});
    assert.deepEqual(list.models, []);
    assert.equal(list.defaults.completion, null, 'a default naming it is cleared too');
    assert.ok(!fs.existsSync(fimPath()));
  });

  it('a per-task default reaches every client whose workspace leaves the choice to the router', async () => {
    const host = new FakeModelHost();
    await start(
      {
        localModels: [
          { id: 'local/a', source: '/nonexistent/a.gguf', tier: 0, tasks: ['completion'] },
          { id: 'local/b', source: '/nonexistent/b.gguf', tier: 0, tasks: ['completion'] },
        ],
      },
      host,
    );
    const auto = await d.connect({ models: { completion: 'auto' } });
    const pinned = await d.connect({ models: { completion: 'local/a' } });
    const completeWith = async (c: DaemonClient) => {
      const doc = { uri: `file:///w/${Math.random()}.py`, languageId: 'python', version: 1, text: 'x = ' };
      await c.connection.sendNotification('textDocument/didOpen', { textDocument: doc });
      await c.connection.sendRequest('textDocument/inlineCompletion', {
        textDocument: { uri: doc.uri },
        position: { line: 0, character: 4 },
        context: { triggerKind: 1 },
      });
      return host.calls.at(-1)!.req.modelId;
    };
    assert.equal(await completeWith(auto), 'local/a', "the router's own pick");
    const bad = await rejection(a.request('gearbox/models/setDefaults', { defaults: { completion: 'local/nope' } }));
    assert.equal(bad.code, ErrorCodes.InvalidParams);
    const set = await a.request('gearbox/models/setDefaults', { defaults: { completion: 'local/b' } });
    assert.deepEqual(set.defaults, { completion: 'local/b', chat: null, refactor: null });
    assert.equal(await completeWith(auto), 'local/b');
    assert.equal(await completeWith(pinned), 'local/a', "a workspace's own pin still wins");
    await a.request('gearbox/models/setDefaults', { defaults: { completion: null } });
    assert.equal((await a.request('gearbox/models/list', {})).defaults.completion, null);
  });

  it('when no model can serve, the error names the one fix: the preset to add, or the model to download', async () => {
    await start();
    const doc = { uri: 'file:///w/a.py', languageId: 'python', version: 1, text: 'def f(' };
    await a.connection.sendNotification('textDocument/didOpen', { textDocument: doc });
    const complete = () =>
      a.connection.sendRequest('textDocument/inlineCompletion', {
        textDocument: { uri: doc.uri },
        position: { line: 0, character: 6 },
        context: { triggerKind: 1 },
      });
    const none = await rejection(complete());
    assert.equal(none.code, ErrorCodes.NoModelAvailable);
    assert.match(none.message, /^no model can serve completion: /);
    assert.match(none.message, /run `gearbox models add tiny-fim` or use "Gearbox: Add Local Model…"/);
    assert.match(none.message, /"Gearbox: Set API Key"/);
    const data = ModelErrorData.parse(none.data);
    assert.deepEqual(
      data.fixes.map((f) => [f.action, f.presetId, f.cliCommand, f.editorCommand]),
      [
        ['add-local-model', 'tiny-fim', 'gearbox models add tiny-fim', 'gearbox.addLocalModel'],
        ['set-api-key', undefined, undefined, 'gearbox.setApiKey'],
      ],
    );

    await a.request('gearbox/models/add', { source: { kind: 'preset', id: 'tiny-fim' }, download: false });
    const notYet = await rejection(complete());
    assert.equal(notYet.code, ErrorCodes.NoModelAvailable);
    assert.match(
      notYet.message,
      /local\/tiny-fim is not downloaded yet \(`gearbox models download local\/tiny-fim` fetches it\)/,
    );
    const fix = ModelErrorData.parse(notYet.data).fixes[0]!;
    assert.deepEqual(
      [fix.action, fix.modelId, fix.cliCommand],
      ['download-local-model', 'local/tiny-fim', 'gearbox models download local/tiny-fim'],
    );
  });

  it('recommends presets with the reason for each, as fields and as text', async () => {
    await start();
    const rec = await a.request('gearbox/models/recommend', {});
    assert.ok(rec.machine.totalRamBytes > 0);
    assert.equal(rec.machine.gpu, null, 'the fake host reports no GPU');
    assert.equal(rec.machine.modelsDir, path.join(work, 'models'));
    assert.equal(rec.recommended.completion, 'tiny-fim');
    assert.equal(rec.recommended.chat, 'tiny-chat');
    const huge = rec.presets.find((f) => f.preset.id === 'huge-chat')!;
    assert.equal(huge.usable, false);
    assert.ok(['needs-more-ram', 'not-enough-disk'].includes(huge.kind));
    assert.ok(huge.neededBytes > huge.availableBytes);
    const fim = rec.presets.find((f) => f.preset.id === 'tiny-fim')!;
    assert.deepEqual([fim.usable, fim.recommended, fim.kind], [true, true, 'fits-ram']);
    assert.match(fim.text, /^runs from RAM: needs ~[\d.]+ MiB, you have [\d.]+ GiB$/);
    assert.equal(rec.presets[0]!.recommended, true, 'recommended ones first');
    const chatOnly = await a.request('gearbox/models/recommend', { role: 'chat' });
    assert.ok(chatOnly.presets.every((f) => f.preset.role === 'chat'));
  });

  it('first start with no local model fetches the recommended completion preset; a removal sticks', async () => {
    await start({ autoDownload: true });
    // It may have finished before this client connected: the event, or the listing, says so.
    const done = events.waitFor('gearbox/models/changed', (p) =>
      p.models.some((m) => m.id === 'local/tiny-fim' && m.state === 'on-disk'),
    );
    const now = (await a.request('gearbox/models/list', {})).models.find((m) => m.id === 'local/tiny-fim');
    if (now?.state !== 'on-disk') await done;
    assert.ok(d.logs.some((l) => l.includes('no local model configured: fetching Tiny FIM test model')));
    assert.ok(fs.existsSync(path.join(work, 'models', AUTO_DOWNLOAD_MARKER)));
    await a.request('gearbox/models/remove', { id: 'local/tiny-fim' });
    await d.stop();
    await start({ autoDownload: true });
    const list = await a.request('gearbox/models/list', {});
    assert.deepEqual(list.models, [], 'not fetched again after the user removed it');
  });
});
