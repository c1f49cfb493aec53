// Privacy on every path, through the daemon: privatePaths, privateCode, .env files and secrets keep
// code away from a cloud model for chat, refactors, inline completions and gearbox/route alike. The
// fake cloud provider records every request it gets: a refused request must leave it with none, and
// in 'redact' mode it must get the text with the secret replaced.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { InlineCompletionList } from 'vscode-languageserver';
import type { DaemonClient } from '../../daemon/cli/client';
import { ErrorCodes, type WorkspaceSettings } from '../../shared/protocol';
import { FakeModelHost } from '../fakes/fake-model-host';
import { startFakeOpenAI } from '../fakes/fake-openai';
import type { FakeServer } from '../fakes/fake-server';
import { startTestDaemon, tempDir, type TestDaemon } from '../helpers/daemon-harness';
import { localAndCloud } from '../helpers/local-and-cloud';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
// Split so that secret scanners of this repository do not flag the fixtures.
const AWS_KEY = 'AK' + 'IATXUNQSDBH9GWSYWR';
const DB_PASSWORD = 'pg' + 'Xy7qLm2Rt9';
const ENV_TEXT = `APP_NAME=billing\nDATABASE_URL=postgres://admin:${DB_PASSWORD}@db.internal:5432/app\n`;
const BILLING = 'def charge(customer, cents):\n    rate = lookup_rate(customer)\n    return cents * rate\n';
/** ~3,000 characters of harmless code. */
const FILLER = Array.from({ length: 60 }, (_, i) => `total_${i} = compute_total(items, ${i})  # step ${i}\n`).join('');

describe('privacy on every path: chat, refactor, inline completion and route', function () {
  this.timeout(120_000); // a hang guard: the CLI and the model host are slower under load
  let cloud: FakeServer;
  let d: TestDaemon;
  const ws = tempDir('gearbox-privacy-ws-');
  const ws2 = tempDir('gearbox-privacy-ws2-');
  const uriOf = (dir: string, rel: string) => pathToFileURL(path.join(dir, rel)).href;
  const ONLY_CLOUD = { allowedModels: ['cloud/big'] };

  before(async () => {
    cloud = await startFakeOpenAI();
    // A refactor needs a code block in the answer.
    cloud.setScript(() => ({ kind: 'reply', text: 'Done.\n```python\nx = 2\n```\n' }));
    fs.mkdirSync(path.join(ws, '.git'));
    fs.mkdirSync(path.join(ws, 'secret'));
    fs.writeFileSync(path.join(ws, 'secret', 'billing.py'), BILLING);
    d = await startTestDaemon(
      {
        ...localAndCloud(cloud.url),
        // What the CLI (which sends no settings) gets: the scenario.
        defaults: { privatePaths: ['secret/**'], ...ONLY_CLOUD },
      },
      { modelHost: new FakeModelHost() },
    );
  });
  after(async () => {
    await d?.stop();
    await cloud?.close();
  });
  beforeEach(() => {
    cloud.requests.length = 0;
  });

  const connect = (settings: Partial<WorkspaceSettings>, folders = [pathToFileURL(ws).href]) =>
    d.connect(settings, { workspaceFolders: folders });
  const open = async (c: DaemonClient, uri: string, text: string, languageId = 'python') =>
    c.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
  const complete = async (c: DaemonClient, uri: string, line: number, character: number) =>
    (await c.connection.sendRequest('textDocument/inlineCompletion', {
      textDocument: { uri },
      position: { line, character },
      context: { triggerKind: 1 },
    })) as InlineCompletionList | null;
  /** The request is refused for lack of a model the privacy rules allow, and the cloud got nothing. */
  const refused = async (p: Promise<unknown>, why: RegExp) => {
    await assert.rejects(p, (e: { code?: number; message?: string }) => {
      assert.equal(e.code, ErrorCodes.NoModelAvailable, e.message);
      assert.match(e.message ?? '', why);
      return true;
    });
    assert.equal(cloud.requests.length, 0, 'the cloud provider received no request');
  };
  const sentToCloud = () => JSON.stringify(cloud.requests.map((r) => r.body.messages));
  const PRIVATE_PATH = /private path 'secret\/\*\*'/;

  describe('privatePaths', () => {
    const billing = () => uriOf(ws, 'secret/billing.py');
    const settings = { privatePaths: ['secret/**'], ...ONLY_CLOUD };

    it('a public file goes to the cloud model (the rules below are what stops the others)', async () => {
      const c = await connect(settings);
      const uri = uriOf(ws, 'src/app.py');
      await open(c, uri, 'x = 1\n');
      const r = await c.request('gearbox/refactor', {
        kind: 'simplify',
        uri,
        range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } },
      });
      assert.equal(r.model, 'cloud/big');
      assert.equal(cloud.requests.length, 1);
    });

    it('chat with the private file attached is refused', async () => {
      const c = await connect(settings);
      await refused(
        c.request('gearbox/chat', {
          streamId: 'p1',
          messages: [{ role: 'user', content: 'explain this' }],
          context: { uri: billing(), text: BILLING },
        }),
        PRIVATE_PATH,
      );
    });

    it('a refactor of the private file is refused, open or sent with its text', async () => {
      const c = await connect(settings);
      const range = { start: { line: 0, character: 0 }, end: { line: 3, character: 0 } };
      await refused(
        c.request('gearbox/refactor', { kind: 'simplify', uri: billing(), range, text: BILLING }),
        PRIVATE_PATH,
      );
      await open(c, billing(), BILLING);
      await refused(c.request('gearbox/refactor', { kind: 'document', uri: billing(), range }), PRIVATE_PATH);
    });

    it('an inline completion in the private file is refused', async () => {
      const c = await connect(settings);
      await open(c, billing(), BILLING);
      await refused(complete(c, billing(), 2, 4), PRIVATE_PATH);
    });

    it('gearbox/route for the private file shows no cloud model', async () => {
      const c = await connect(settings);
      for (const task of ['chat', 'refactor', 'completion'] as const) {
        const r = await c.request('gearbox/route', {
          task,
          prompt: 'simplify this',
          context: { uri: billing(), text: BILLING },
        });
        assert.equal(r.model, null, r.summary);
        assert.ok(
          r.rejected.some((x) => x.model === 'cloud/big' && x.reason === 'privacy'),
          r.summary,
        );
      }
    });

    it('a file in the second folder of a multi-root workspace is matched below that folder', async () => {
      const c = await connect(settings, [pathToFileURL(ws).href, pathToFileURL(ws2).href]);
      const uri = uriOf(ws2, 'secret/keys.py');
      await open(c, uri, BILLING);
      await refused(complete(c, uri, 2, 4), PRIVATE_PATH);
      const range = { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } };
      await refused(c.request('gearbox/refactor', { kind: 'simplify', uri, range }), PRIVATE_PATH);
    });

    it('a recent edit in a private file does not ride along with a completion sent to the cloud', async () => {
      const c = await connect(settings);
      await open(c, billing(), BILLING);
      await c.connection.sendNotification('textDocument/didChange', {
        textDocument: { uri: billing(), version: 2 },
        contentChanges: [{ range: { start: { line: 1, character: 4 }, end: { line: 1, character: 8 } }, text: 'fee' }],
      });
      const app = uriOf(ws, 'src/app.py');
      await open(c, app, 'def main():\n    \n');
      await complete(c, app, 1, 4);
      assert.equal(cloud.requests.length, 1, 'the public file is completed by the cloud model');
      const sent = sentToCloud();
      assert.ok(!sent.includes('lookup_rate'), `the private file's snippet was sent: ${sent}`);
      assert.ok(sent.includes('def main'), sent);
    });

    it("picked regions: a public file's ride along with a cloud completion, a private file's do not", async () => {
      const c = await connect(settings);
      // Line 45 is past the opened file's first chunk: only the pick brings it in.
      const lines = Array.from({ length: 60 }, (_, i) => (i === 45 ? 'def picked_helper():' : `x${i} = ${i}`));
      const lib = uriOf(ws, 'src/lib.py');
      await open(c, lib, `${lines.join('\n')}\n`);
      await open(c, billing(), BILLING);
      const at = (line: number) => ({ start: { line, character: 0 }, end: { line, character: 4 } });
      await c.connection.sendNotification('gearbox/completion/pickContext', {
        textDocument: { uri: lib },
        range: at(45),
        source: 'selected',
      });
      await c.connection.sendNotification('gearbox/completion/pickContext', {
        textDocument: { uri: billing() },
        range: at(1),
        source: 'viewed',
      });
      const app = uriOf(ws, 'src/app.py');
      await open(c, app, 'def main():\n    \n');
      await complete(c, app, 1, 4);
      assert.equal(cloud.requests.length, 1, 'the public file is completed by the cloud model');
      const sent = sentToCloud();
      assert.match(sent, /<\|file_sep\|>lib.py\\n(x\d+ = \d+\\n)*def picked_helper\(\):/, sent);
      assert.ok(!sent.includes('lookup_rate'), `the private file's chunk was sent: ${sent}`);
    });

    it('the CLI: gearbox route --explain --file on a private file shows the privacy rejection', async () => {
      execFileSync(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' });
      const out = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const child = execFile(
          process.execPath,
          [
            path.join(root, 'dist', 'daemon', 'gearbox.mjs'),
            'route',
            '--task',
            'chat',
            '--explain',
            '--file',
            'secret/billing.py',
          ],
          {
            cwd: ws,
            env: { PATH: process.env.PATH, GEARBOX_RUNTIME_DIR: d.runtimeDir, HOME: tempDir() },
            timeout: 120_000,
          },
          (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
        child.stdin!.end('simplify this function');
      });
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, /^chat: no model/, out.stdout);
      assert.match(out.stdout, /cloud\/big: privacy \(file matches private path 'secret\/\*\*'\)/, out.stdout);
    });
  });

  describe('privateCode', () => {
    const uri = () => uriOf(ws, 'src/app.py');
    const PRIVATE_CODE = /private code/;

    it('the workspace setting keeps chat, refactor, completion and route off the cloud', async () => {
      const c = await connect({ privateCode: true, ...ONLY_CLOUD });
      await open(c, uri(), BILLING);
      await refused(
        c.request('gearbox/chat', {
          streamId: 'pc',
          messages: [{ role: 'user', content: 'explain this' }],
          context: { uri: uri() },
        }),
        PRIVATE_CODE,
      );
      const range = { start: { line: 0, character: 0 }, end: { line: 3, character: 0 } };
      await refused(c.request('gearbox/refactor', { kind: 'simplify', uri: uri(), range }), PRIVATE_CODE);
      await refused(complete(c, uri(), 2, 4), PRIVATE_CODE);
      const r = await c.request('gearbox/route', { task: 'refactor', prompt: 'simplify', context: { uri: uri() } });
      assert.equal(r.model, null, r.summary);
    });

    it("the request's own private flag does the same for chat and route", async () => {
      const c = await connect({ ...ONLY_CLOUD });
      await refused(
        c.request('gearbox/chat', {
          streamId: 'pc2',
          messages: [{ role: 'user', content: 'explain this' }],
          context: { text: BILLING, private: true },
        }),
        PRIVATE_CODE,
      );
      const r = await c.request('gearbox/route', {
        task: 'chat',
        prompt: 'explain',
        context: { text: BILLING, private: true },
      });
      assert.equal(r.model, null, r.summary);
    });
  });

  describe('.env files', () => {
    const env = () => uriOf(ws, '.env');
    const range = { start: { line: 0, character: 0 }, end: { line: 2, character: 0 } };
    const SECRET = /secret \(env-file\)/;

    it('a refactor, a completion and a route of a .env file stay off the cloud', async () => {
      const c = await connect({ ...ONLY_CLOUD });
      await refused(c.request('gearbox/refactor', { kind: 'document', uri: env(), range, text: ENV_TEXT }), SECRET);
      await open(c, env(), ENV_TEXT, 'dotenv');
      await refused(complete(c, env(), 2, 0), SECRET);
      const r = await c.request('gearbox/route', { task: 'refactor', prompt: 'tidy', context: { uri: env() } });
      assert.equal(r.model, null, r.summary);
      assert.equal(cloud.requests.length, 0);
    });

    it("with secrets: 'redact' the cloud model gets the .env file without the password", async () => {
      const c = await connect({ ...ONLY_CLOUD, secrets: 'redact' });
      await c.request('gearbox/refactor', { kind: 'explain', uri: env(), range, text: ENV_TEXT });
      assert.equal(cloud.requests.length, 1);
      const sent = sentToCloud();
      assert.ok(!sent.includes(DB_PASSWORD), `the password was sent: ${sent}`);
      assert.match(sent, /\[REDACTED:env-file\]/);
      assert.match(sent, /APP_NAME=billing/, 'the rest of the file is sent as it is');
    });
  });

  describe('secrets in what a completion sends', () => {
    const app = () => uriOf(ws, 'src/settings.py');
    const SECRET = /secret \(aws-access-key\)/;
    const above = `aws_access_key_id = "${AWS_KEY}"\n${FILLER}def load():\n    `;
    const below = `def load():\n    \n    key = "${AWS_KEY}"\n`;

    it('a key 3,000 characters above the cursor, or just below it, keeps the completion off the cloud', async () => {
      const c = await connect({ ...ONLY_CLOUD });
      await open(c, app(), above);
      const lines = above.split('\n');
      await refused(complete(c, app(), lines.length - 1, 4), SECRET);
      const other = uriOf(ws, 'src/other.py');
      await open(c, other, below);
      await refused(complete(c, other, 1, 4), SECRET);
    });

    it("with secrets: 'redact' the cloud model gets the completion prompt with the key replaced", async () => {
      const c = await connect({ ...ONLY_CLOUD, secrets: 'redact' });
      await open(c, app(), above);
      await complete(c, app(), above.split('\n').length - 1, 4);
      const other = uriOf(ws, 'src/other.py');
      await open(c, other, below);
      await complete(c, other, 1, 4);
      assert.equal(cloud.requests.length, 2);
      const sent = sentToCloud();
      assert.ok(!sent.includes(AWS_KEY), `the key was sent: ${sent.slice(0, 400)}`);
      // Each file's own key, and settings.py's again in other.py's prompt: its opened head rides along as context.
      assert.equal(sent.match(/\[REDACTED:aws-access-key\]/g)?.length, 3, sent);
      assert.match(sent, /<\|file_sep\|>settings.py\\naws_access_key_id = \\"\[REDACTED:aws-access-key\]\\"/);
    });

    it('a key the cursor sits in is found whole', async () => {
      const c = await connect({ ...ONLY_CLOUD });
      const text = `key = "${AWS_KEY}"\n`;
      await open(c, app(), text);
      await refused(complete(c, app(), 0, text.indexOf(AWS_KEY) + 8), SECRET);
      const redacting = await connect({ ...ONLY_CLOUD, secrets: 'redact' });
      await open(redacting, app(), text);
      await complete(redacting, app(), 0, text.indexOf(AWS_KEY) + 8);
      const sent = sentToCloud();
      assert.ok(!sent.includes(AWS_KEY.slice(0, 8)) && !sent.includes(AWS_KEY.slice(8)), sent);
      assert.match(sent, /key = \\"\[REDACTED:aws-access-key\]<CURSOR>\\"/);
    });

    it('a recent edit in another file that holds a key is left out of a cloud completion, or redacted', async () => {
      for (const secrets of ['force-local', 'redact'] as const) {
        cloud.requests.length = 0;
        const c = await connect({ ...ONLY_CLOUD, secrets });
        const keys = uriOf(ws, 'src/keys.py');
        await open(c, keys, 'KEYS = {}\n');
        await c.connection.sendNotification('textDocument/didChange', {
          textDocument: { uri: keys, version: 2 },
          contentChanges: [
            {
              range: { start: { line: 0, character: 7 }, end: { line: 0, character: 9 } },
              text: `{"aws": "${AWS_KEY}"}`,
            },
          ],
        });
        const main = uriOf(ws, 'src/main.py');
        await open(c, main, 'def main():\n    \n');
        await complete(c, main, 1, 4);
        assert.equal(cloud.requests.length, 1, secrets);
        const sent = sentToCloud();
        assert.ok(!sent.includes(AWS_KEY), `${secrets}: the key in the other file was sent`);
        assert.equal(sent.includes('KEYS = {\\"aws\\": \\"[REDACTED:aws-access-key]'), secrets === 'redact', sent);
      }
    });

    it('chat and refactor with a key in the attached code are refused, or redacted in redact mode', async () => {
      const code = `s3 = boto3.client("s3", aws_access_key_id="${AWS_KEY}")\n`;
      const c = await connect({ ...ONLY_CLOUD });
      const range = { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } };
      await refused(c.request('gearbox/refactor', { kind: 'simplify', uri: app(), range, text: code }), SECRET);
      const r = await c.request('gearbox/route', { task: 'chat', prompt: 'why', context: { text: code } });
      assert.equal(r.model, null, r.summary);
      const redacting = await connect({ ...ONLY_CLOUD, secrets: 'redact' });
      await redacting.request('gearbox/refactor', { kind: 'explain', uri: app(), range, text: code });
      await redacting.request('gearbox/chat', {
        streamId: 'sr',
        messages: [{ role: 'user', content: 'why' }],
        context: { uri: app(), text: code },
      });
      assert.equal(cloud.requests.length, 2);
      assert.ok(!sentToCloud().includes(AWS_KEY));
    });
  });
});
