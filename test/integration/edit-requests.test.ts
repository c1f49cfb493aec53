// The daemon's side of the inline edit and of Apply to File: an inline edit without a selection is a
// refactor of an empty range, answered with code to insert there (the prompt shows the file around
// <CURSOR>); a merge of a chat code block into a file asks for the whole merged file, and stays on a
// local model when the editor says 'local'. Both go through routing and privacy like any request.
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { LocalChatRequest } from '../../daemon/model-host-api';
import { ErrorCodes } from '../../shared/protocol';
import { FakeModelHost } from '../fakes/fake-model-host';
import { startFakeOpenAI } from '../fakes/fake-openai';
import type { FakeServer } from '../fakes/fake-server';
import { startTestDaemon, tempDir, type TestDaemon } from '../helpers/daemon-harness';
import { localAndCloud } from '../helpers/local-and-cloud';

const FILE = 'def add(a, b):\n    return a + b\n\n\ndef main():\n    print(add(1, 2))\n';

describe('edit requests: insert at the cursor, merge a block into a file', function () {
  this.timeout(60_000);
  let cloud: FakeServer;
  let host: FakeModelHost;
  let d: TestDaemon;
  const ws = tempDir('gearbox-edits-ws-');
  const uri = pathToFileURL(path.join(ws, 'calc.py')).href;

  before(async () => {
    cloud = await startFakeOpenAI();
    cloud.setScript(() => ({ kind: 'reply', text: '```python\ndef sub(a, b):\n    return a - b\n```\nAdded sub.' }));
    host = new FakeModelHost();
    host.reply = () => `\`\`\`python\n${FILE.replace('a + b', 'b + a')}\`\`\``;
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
  const connect = () => d.connect({}, { workspaceFolders: [pathToFileURL(ws).href] });

  it('an empty range asks for code to insert at <CURSOR>, with the file around it, and edits that range', async () => {
    const c = await connect();
    const at = { line: 3, character: 0 };
    const r = await c.request('gearbox/refactor', {
      kind: 'refactor',
      instruction: 'add a sub function',
      uri,
      range: { start: at, end: at },
      text: FILE,
      languageId: 'python',
      model: 'cloud/big',
    });
    assert.deepEqual(r.edits, [{ range: { start: at, end: at }, newText: 'def sub(a, b):\n    return a - b' }]);
    const prompt = JSON.stringify(cloud.requests[0]!.body.messages);
    assert.ok(prompt.includes('insert at <CURSOR>'), prompt);
    assert.ok(prompt.includes('return a + b\\n\\n<CURSOR>\\ndef main()'), prompt);
  });

  it('a merge asks for the whole file with the block merged, and hint local keeps it local', async () => {
    const c = await connect();
    const whole = { start: { line: 0, character: 0 }, end: { line: 6, character: 0 } };
    const block = 'def add(a, b):\n    return b + a';
    const r = await c.request('gearbox/refactor', {
      kind: 'merge',
      instruction: block,
      uri,
      range: whole,
      text: FILE,
      languageId: 'python',
      hint: 'local',
    });
    assert.equal(r.model, 'local/tiny', r.route.summary);
    assert.equal(cloud.requests.length, 0);
    assert.deepEqual(r.edits, [{ range: whole, newText: FILE.replace('a + b', 'b + a').trimEnd() }]);
    const sent = (host.calls[0]!.req as LocalChatRequest).messages.map((m) => m.content).join('\n');
    assert.match(sent, /complete merged file/);
    assert.ok(sent.includes(block) && sent.includes('def main():'), sent);
  });

  it('a merge without its block is refused', async () => {
    const c = await connect();
    const at = { line: 0, character: 0 };
    await assert.rejects(
      c.request('gearbox/refactor', { kind: 'merge', uri, range: { start: at, end: at }, text: FILE }),
      (e: { code?: number }) => e.code === ErrorCodes.InvalidParams,
    );
  });
});
