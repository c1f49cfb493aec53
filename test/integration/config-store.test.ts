// The daemon owns config.json: edits keep the user's comments and formatting, are validated before
// anything is written and land atomically; edits from two clients at once both survive; a hand
// edit while the daemon runs is reloaded, and a broken one is reported with its field while the
// last good config stays in force.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseJsonc } from 'jsonc-parser';
import { ConfigStore } from '../../daemon/config-store';
import { ApiKeyStore, apiKeysPath } from '../../daemon/http-api/api-keys';
import type { GearboxError } from '../../daemon/gearbox-error';
import { ErrorCodes } from '../../shared/protocol';
import { FakeModelHost } from '../fakes/fake-model-host';
import { startTestDaemon, tempDir, type TestDaemon } from '../helpers/daemon-harness';
import { recordNotifications } from '../helpers/notifications';

const here = path.dirname(fileURLToPath(import.meta.url));
const PRESETS = path.join(here, '..', 'fixtures', 'test-presets.json');

const HAND_WRITTEN = `{
    // Models I use at work.
    "localModels": [
        { "id": "local/mine", "source": "/models/mine.gguf", "tasks": ["chat"] } // keep this one
    ],
    /* Nothing leaves the machine by default. */
    "logLevel": "info",
    "autoDownload": false
}
`;

async function rejection(p: Promise<unknown>): Promise<GearboxError> {
  try {
    await p;
  } catch (err) {
    return err as GearboxError;
  }
  throw new Error('expected a rejection');
}

describe('config store', () => {
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = tempDir('gearbox-config-');
    file = path.join(dir, 'config.json');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('edits keep comments and formatting, and land atomically', async () => {
    fs.writeFileSync(file, HAND_WRITTEN);
    const store = new ConfigStore({ file });
    await store.edit(() => [
      { op: 'append', path: ['localModels'], value: { id: 'local/new', source: '/models/new.gguf' } },
      { op: 'set', path: ['defaults', 'models', 'chat'], value: 'local/mine' },
    ]);
    const text = fs.readFileSync(file, 'utf8');
    for (const kept of ['// Models I use at work.', '// keep this one', '/* Nothing leaves the machine by default. */'])
      assert.ok(text.includes(kept), `kept: ${kept}`);
    assert.ok(
      text.includes(
        '        { "id": "local/mine", "source": "/models/mine.gguf", "tasks": ["chat"] }, // keep this one\n',
      ),
      'the line before is untouched but for its new comma',
    );
    assert.ok(
      text.includes('\n        { "id": "local/new", "source": "/models/new.gguf" }\n    ],'),
      'the new entry is on its own line, indented and written like the one before it',
    );
    assert.deepEqual(
      store.current.localModels.map((m) => m.id),
      ['local/mine', 'local/new'],
    );
    assert.equal(store.current.defaults.models.chat, 'local/mine');
    assert.deepEqual(fs.readdirSync(dir), ['config.json'], 'no temp file left behind');

    await store.edit(() => [{ op: 'remove', path: ['localModels', 1] }]);
    assert.equal(
      fs.readFileSync(file, 'utf8').split('"defaults"')[0],
      `${HAND_WRITTEN.split('"autoDownload": false')[0]}"autoDownload": false,\n    `,
      'removing the new entry gives back the lines as the user wrote them',
    );
    store.close();
  });

  it('validates before writing: a change that would break the config is refused, the file untouched', async () => {
    fs.writeFileSync(file, HAND_WRITTEN);
    const store = new ConfigStore({ file });
    const err = await rejection(
      store.edit(() => [{ op: 'append', path: ['localModels'], value: { id: 'local/bad', source: '' } }]),
    );
    assert.equal(err.code, ErrorCodes.InvalidParams);
    assert.match(err.message, /^That change would make the config invalid: localModels\.1\.source: /);
    assert.equal(fs.readFileSync(file, 'utf8'), HAND_WRITTEN);
    store.close();
  });

  it('names the line and column of a JSON syntax error', async () => {
    fs.writeFileSync(file, '{\n  "logLevel": "info"\n  "autoDownload": false\n}\n');
    assert.throws(() => new ConfigStore({ file }), /not valid JSON: CommaExpected at line 3, column 3/);
  });
});

describe('config.json owned by the running daemon', function () {
  this.timeout(30_000);
  let dir: string;
  let file: string;
  let d: TestDaemon;

  beforeEach(async () => {
    dir = tempDir('gearbox-config-daemon-');
    file = path.join(dir, 'config.json');
    const models = path.join(dir, 'models');
    fs.writeFileSync(
      file,
      HAND_WRITTEN.replace(
        '"logLevel": "info",',
        `"logLevel": "info",\n    "presetsFile": ${JSON.stringify(PRESETS)},`,
      ).replace('"autoDownload": false', `"autoDownload": false,\n    "modelsDir": ${JSON.stringify(models)}`),
    );
    d = await startTestDaemon({}, { configPath: file, config: undefined, modelHost: new FakeModelHost() });
  });
  afterEach(async () => {
    await d.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('two clients adding models at the same time: both land, comments intact', async () => {
    const a = await d.connect();
    const b = await d.connect();
    await Promise.all([
      a.request('gearbox/models/add', { source: { kind: 'preset', id: 'tiny-fim' }, download: false }),
      b.request('gearbox/models/add', { source: { kind: 'preset', id: 'tiny-chat' }, download: false }),
    ]);
    const text = fs.readFileSync(file, 'utf8');
    const ids = (parseJsonc(text) as { localModels: { id: string }[] }).localModels.map((m) => m.id).sort();
    assert.deepEqual(ids, ['local/mine', 'local/tiny-chat', 'local/tiny-fim']);
    assert.ok(text.includes('// keep this one') && text.includes('// Models I use at work.'));
    const listed = (await a.request('gearbox/models/list', {})).models.map((m) => m.id).sort();
    assert.deepEqual(listed, ids);
  });

  it('a hand edit is reloaded while the daemon runs', async () => {
    const a = await d.connect();
    const events = recordNotifications(a, ['gearbox/models/changed']);
    const edited = HAND_WRITTEN.replace(
      '// keep this one',
      '// keep this one\n        , { "id": "local/hand", "source": "/models/hand.gguf", "tier": 1 }',
    );
    fs.writeFileSync(file, edited);
    const changed = await events.waitFor('gearbox/models/changed', (p) => p.models.some((m) => m.id === 'local/hand'));
    assert.equal(changed.event, 'config.json changed on disk');
    const catalog = await a.request('gearbox/models', {});
    assert.equal(catalog.models.find((m) => m.id === 'local/hand')?.tier, 1, 'the router sees it');
  });

  it("a hand edit of the defaults applies to the HTTP API's next request and to open connections", async () => {
    const a = await d.connect();
    const events = recordNotifications(a, ['gearbox/models/changed']);
    const key = new ApiKeyStore(apiKeysPath(file)).get();
    const ask = () =>
      fetch(`http://127.0.0.1:${d.port}/v1/chat/completions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'local/mine', messages: [{ role: 'user', content: 'hi' }] }),
      });
    const before = await ask();
    assert.equal(before.status, 200, await before.clone().text());
    fs.writeFileSync(
      file,
      HAND_WRITTEN.replace(
        '"autoDownload": false',
        '"autoDownload": false, "defaults": { "allowedModels": ["local/other"] }',
      ),
    );
    await events.waitFor('gearbox/models/changed', (p) => p.event === 'config.json changed on disk');
    const after = await ask();
    assert.equal(after.status, 403, await after.clone().text());
    assert.equal(((await after.json()) as { error: { code: string } }).error.code, 'model_not_allowed');
    // The connection opened before the edit routes under the new defaults too.
    const routed = await a.request('gearbox/route', { task: 'chat', prompt: 'hi', model: 'local/mine' });
    assert.equal(routed.model, null);
    assert.equal(routed.rejected[0]?.reason, 'not-allowed');
  });

  it('a broken hand edit is reported with its field; the last good config stays in force', async () => {
    const a = await d.connect();
    const events = recordNotifications(a, ['gearbox/config/problem']);
    fs.writeFileSync(file, HAND_WRITTEN.replace('"tasks": ["chat"]', '"tasks": ["chat", "poetry"]'));
    const reported = await events.waitFor('gearbox/config/problem', (p) => p.problem !== null);
    assert.equal(reported.problem?.file, file);
    assert.equal(reported.problem?.keptLastGood, true);
    assert.equal(reported.problem?.issues[0]?.path, 'localModels.0.tasks.1');
    assert.ok(d.logs.some((l) => l.includes('config has an error; keeping the last good one: localModels.0.tasks.1')));

    const list = await a.request('gearbox/models/list', {});
    assert.equal(list.configProblem?.issues[0]?.path, 'localModels.0.tasks.1');
    assert.deepEqual(list.models[0]?.tasks, ['chat'], 'the last good config is still in force');
    const refused = await rejection(
      a.request('gearbox/models/add', { source: { kind: 'preset', id: 'tiny-fim' }, download: false }),
    );
    assert.equal(refused.code, ErrorCodes.ConfigInvalid);
    assert.match(refused.message, /config\.json has an error \(localModels\.0\.tasks\.1: .*\); fix it by hand first/);
    assert.ok(fs.readFileSync(file, 'utf8').includes('"poetry"'), "the user's broken text is not overwritten");

    fs.writeFileSync(file, HAND_WRITTEN.replace('"tasks": ["chat"]', '"tasks": ["chat", "refactor"]'));
    await events.waitFor('gearbox/config/problem', (p) => p.problem === null);
    const fixed = await a.request('gearbox/models/list', {});
    assert.equal(fixed.configProblem, null);
    assert.deepEqual(fixed.models[0]?.tasks, ['chat', 'refactor']);
  });
});
