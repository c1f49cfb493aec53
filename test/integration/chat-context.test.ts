// The chat's chips reach the daemon as context items (uri + text + kind), and the privacy rules apply
// to each by its own file: a chip from a private path, or one holding a secret (a .env file by its
// name), keeps the request on the local model and the route explanation names that chip; a public chip
// goes to the cloud model inside the prompt; in 'redact' mode each chip is redacted by its own rules.
// The fake cloud provider and the fake model host record exactly what each received.
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ChatParams, ContextItem, WorkspaceSettings } from '../../shared/protocol';
import { FakeModelHost } from '../fakes/fake-model-host';
import { startFakeOpenAI } from '../fakes/fake-openai';
import type { FakeServer } from '../fakes/fake-server';
import { startTestDaemon, tempDir, type TestDaemon } from '../helpers/daemon-harness';
import { localAndCloud } from '../helpers/local-and-cloud';

// Split so that secret scanners of this repository do not flag the fixtures.
const DB_PASSWORD = 'pg' + 'Xy7qLm2Rt9';
const ENV_TEXT = `APP_NAME=billing\nDATABASE_URL=postgres://admin:${DB_PASSWORD}@db.internal:5432/app\n`;
const PUBLIC = 'export function parseDate(s: string): Date {\n  return new Date(s);\n}\n';
const PRIVATE = 'def charge(customer, cents):\n    return cents * lookup_rate(customer)\n';

describe('chat context items: privacy per chip, through the engine', function () {
  this.timeout(60_000);
  let cloud: FakeServer;
  let host: FakeModelHost;
  let d: TestDaemon;
  const ws = tempDir('gearbox-chips-ws-');
  const uriOf = (rel: string) => pathToFileURL(path.join(ws, rel)).href;
  const SETTINGS: Partial<WorkspaceSettings> = { privatePaths: ['secret/**'], routing: { mode: 'auto', quality: 10 } };

  const item = (kind: ContextItem['kind'], rel: string | undefined, text: string, label: string): ContextItem => ({
    kind,
    label,
    text,
    ...(rel ? { uri: uriOf(rel) } : {}),
  });

  before(async () => {
    cloud = await startFakeOpenAI();
    cloud.setScript(() => ({ kind: 'reply', text: 'cloud answer' }));
    host = new FakeModelHost();
    host.reply = () => 'local answer';
    d = await startTestDaemon(localAndCloud(cloud.url, 32_768), { modelHost: host });
  });
  after(async () => {
    await d?.stop();
    await cloud?.close();
  });
  beforeEach(() => {
    cloud.requests.length = 0;
    host.calls.length = 0;
  });

  const chat = async (items: ContextItem[], settings = SETTINGS, text = 'How do these fit together? @best') => {
    const c = await d.connect(settings, { workspaceFolders: [pathToFileURL(ws).href] });
    const params: ChatParams = { streamId: 's', messages: [{ role: 'user', content: text }], contextItems: items };
    return c.request('gearbox/chat', params);
  };
  const localPrompt = () => JSON.stringify(host.calls.map((call) => call.req));

  it('a public chip goes to the cloud model inside the prompt, under its label', async () => {
    const r = await chat([item('file', 'src/dates.ts', PUBLIC, '@file src/dates.ts')]);
    assert.equal(r.model, 'cloud/big', r.route.summary);
    assert.equal(cloud.requests.length, 1);
    const sent = JSON.stringify(cloud.requests[0]!.body.messages);
    assert.ok(sent.includes('Context @file src/dates.ts:'), sent);
    assert.ok(sent.includes('return new Date(s);'), sent);
  });

  it('a chip from a private path keeps the request local, and the explanation names the chip', async () => {
    const r = await chat([
      item('file', 'src/dates.ts', PUBLIC, '@file src/dates.ts'),
      item('open', 'secret/billing.py', PRIVATE, '@open secret/billing.py'),
    ]);
    assert.equal(r.model, 'local/tiny', r.route.summary);
    assert.equal(cloud.requests.length, 0, 'the cloud provider received nothing');
    assert.match(r.route.summary, /chip '@open secret\/billing\.py' matches private path 'secret\/\*\*'/);
    const rejected = r.route.rejected.find((x) => x.model === 'cloud/big');
    assert.equal(rejected?.reason, 'privacy');
    assert.match(rejected?.detail ?? '', /chip '@open secret\/billing\.py'/);
    // The local model got both chips.
    assert.ok(localPrompt().includes('lookup_rate'), localPrompt());
    assert.ok(localPrompt().includes('parseDate'), localPrompt());
  });

  it('a chip of a .env file is secret by its name: local, and the explanation names the chip', async () => {
    const r = await chat([item('file', '.env', ENV_TEXT, '@file .env')]);
    assert.equal(r.model, 'local/tiny', r.route.summary);
    assert.equal(cloud.requests.length, 0);
    assert.match(r.route.summary, /chip '@file \.env' contains a secret/);
    assert.deepEqual(
      r.route.secrets?.map((s) => s.source),
      r.route.secrets?.map(() => '@file .env'),
    );
  });

  it('the same text without a file name is not .env content: it may go to the cloud', async () => {
    const r = await chat([item('terminal', undefined, 'APP_NAME=billing\nDEBUG=1\n', '@terminal')]);
    assert.equal(r.model, 'cloud/big', r.route.summary);
  });

  it("'redact': each chip goes to the cloud with its own secrets redacted, the others untouched", async () => {
    const r = await chat(
      [item('file', 'config/.env', ENV_TEXT, '@file config/.env'), item('file', 'src/dates.ts', PUBLIC, '@file dates')],
      { ...SETTINGS, secrets: 'redact' },
    );
    assert.equal(r.model, 'cloud/big', r.route.summary);
    const sent = JSON.stringify(cloud.requests[0]!.body.messages);
    assert.ok(!sent.includes(DB_PASSWORD), `the password was sent: ${sent}`);
    assert.ok(sent.includes('return new Date(s);'), sent);
  });
});
