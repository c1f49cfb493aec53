// `gearbox models …` as a new user types it, against the built bundle, a real model host and a fake
// Hugging Face hub: with no local model, `gearbox complete` says which command fixes it; `gearbox
// models add <preset>` downloads it (a line per 10% when stderr is not a terminal); then `gearbox
// complete` is answered by that model.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ModelsListResult, RecommendResult, StatusResult } from '../../shared/protocol';
import { startFakeHfHub, type FakeHfHub } from '../fakes/fake-hf-hub';
import { makeTestModel } from '../fixtures/make-test-model';
import { tempDir } from '../helpers/daemon-harness';
import { buildBundles, type CliRun, runCli } from '../helpers/cli';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PRESETS = path.join(root, 'test', 'fixtures', 'test-presets.json');

function gearbox(args: string[], env: NodeJS.ProcessEnv): Promise<CliRun> {
  return runCli(args, { env });
}

describe('gearbox models (built CLI, fake hub, real model host)', function () {
  this.timeout(180_000);
  let hub: FakeHfHub;
  let env: NodeJS.ProcessEnv;
  let work: string;
  let source: string;

  before(async () => {
    await buildBundles();
    const model = makeTestModel({ shape: 'tiny' });
    hub = await startFakeHfHub();
    hub.add({ repo: 'gearbox-test/tiny-fim-GGUF', path: 'tiny-fim.gguf', file: model });
    work = tempDir('gearbox-cli-models-');
    const config = {
      modelEndpoint: hub.url,
      presetsFile: PRESETS,
      modelsDir: path.join(work, 'models'),
      autoDownload: false,
      threads: 1,
      gpu: false,
    };
    fs.writeFileSync(path.join(work, 'config.json'), `// written by the test\n${JSON.stringify(config, null, 2)}\n`);
    source = path.join(work, 'app.py');
    fs.writeFileSync(source, 'def add(a, b):\n    return \n');
    env = {
      PATH: process.env.PATH,
      HOME: work,
      GEARBOX_RUNTIME_DIR: path.join(work, 'run'),
      GEARBOX_CONFIG: path.join(work, 'config.json'),
      XDG_STATE_HOME: path.join(work, 'state'),
    };
    const start = await gearbox(['start', '--detach'], env);
    assert.equal(start.code, 0, start.stderr + start.stdout);
  });

  after(async () => {
    if (env) await gearbox(['stop'], env);
    await hub?.close();
  });

  it('with no local model, complete names the command that fixes it', async () => {
    const res = await gearbox(['complete', '--file', source, '--line', '2', '--col', '12'], env);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /no model can serve completion/);
    assert.match(res.stderr, /run `gearbox models add tiny-fim`/);
  });

  it('recommend shows what fits, with the reason on each line', async () => {
    const text = await gearbox(['models', 'recommend'], env);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^This machine: [\d.]+ GiB RAM/);
    assert.match(text.stdout, /\* +tiny-fim +[\d.]+ MiB +runs from RAM: needs ~/);
    assert.match(text.stdout, /- +huge-chat .*(needs|disk)/);
    assert.match(text.stdout, /Add one: gearbox models add tiny-fim/);
    const json = RecommendResult.parse(JSON.parse((await gearbox(['models', 'recommend', '--json'], env)).stdout));
    assert.equal(json.recommended.completion, 'tiny-fim');
    assert.equal(json.machine.gpu, null, 'gpu: false in the config');
  });

  it('models add <preset> downloads it with progress lines, then complete is answered by it', async () => {
    const add = await gearbox(['models', 'add', 'tiny-fim'], env);
    assert.equal(add.code, 0, add.stderr);
    assert.match(add.stderr, /^Added local\/tiny-fim \(hf:gearbox-test\/tiny-fim-GGUF\/tiny-fim\.gguf\)$/m);
    assert.match(add.stderr, /^local\/tiny-fim: 100% [\d.]+ MiB of [\d.]+ MiB/m, 'a plain line at the end');
    assert.ok(!add.stderr.includes('\r'), 'no carriage returns when stderr is not a terminal');
    assert.match(add.stdout, /^local\/tiny-fim: on-disk, [\d.]+ MiB, serves completion$/m);

    const list = ModelsListResult.parse(JSON.parse((await gearbox(['models', 'list', '--json'], env)).stdout));
    assert.deepEqual(
      list.models.map((m) => [m.id, m.state]),
      [['local/tiny-fim', 'on-disk']],
    );
    const config = fs.readFileSync(env.GEARBOX_CONFIG!, 'utf8');
    assert.ok(config.startsWith('// written by the test\n'), 'the comment survived the edit');

    const complete = await gearbox(['complete', '--file', source, '--line', '2', '--col', '12', '--json'], env);
    assert.equal(complete.code, 0, complete.stderr);
    assert.equal(typeof JSON.parse(complete.stdout).insertText, 'string');
    const status = StatusResult.parse(JSON.parse((await gearbox(['status', '--json'], env)).stdout));
    assert.deepEqual(
      status.loadedModels.map((m) => m.id),
      ['local/tiny-fim'],
      'the downloaded model answered',
    );
    assert.equal(status.loadedModels[0]!.path, list.models[0]!.path);
  });

  it('a second add is a no-op; remove --delete-file deletes the download', async () => {
    const again = await gearbox(['models', 'add', 'tiny-fim'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /Already configured: local\/tiny-fim/);
    assert.equal(hub.fileGets('gearbox-test/tiny-fim-GGUF', 'tiny-fim.gguf').length, 1, 'not fetched again');
    const file = path.join(work, 'models', 'hf', 'gearbox-test', 'tiny-fim-GGUF', 'tiny-fim.gguf');
    const removed = await gearbox(['models', 'remove', 'local/tiny-fim', '--delete-file'], env);
    assert.equal(removed.code, 0, removed.stderr);
    assert.equal(removed.stdout.trim(), `Removed local/tiny-fim; deleted ${file}`);
    assert.ok(!fs.existsSync(file));
  });

  it('bad usage exits 2 with help', async () => {
    const res = await gearbox(['models', 'download'], env);
    assert.equal(res.code, 2);
    assert.match(res.stderr, /download needs a model id/);
    assert.match(res.stderr, /gearbox models add <preset/);
  });
});
