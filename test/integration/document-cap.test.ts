// Each connection holds at most server.maxOpenDocuments documents and server.maxOpenDocumentChars
// characters of them: a document over the cap is not kept, requests on it get DocumentLimit
// (-32017) with the reason, the user is told once, and nothing of it stays (no text, no snippet).
import assert from 'node:assert/strict';
import type { InlineCompletionList } from 'vscode-languageserver';
import type { DaemonClient } from '../../daemon/cli/client';
import { DocumentStore } from '../../daemon/documents';
import { DocumentLimitData, ErrorCodes } from '../../shared/protocol';
import { FakeModelHost } from '../fakes/fake-model-host';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon-harness';

const MAX_DOCS = 3;
const MAX_CHARS = 1000;

describe('open documents are capped per connection', function () {
  this.timeout(30_000);
  let d: TestDaemon;
  let host: FakeModelHost;

  before(async () => {
    host = new FakeModelHost();
    d = await startTestDaemon(
      {
        localModels: [{ id: 'local/tiny', source: '/nonexistent/tiny.gguf', tier: 0 }],
        server: { maxOpenDocuments: MAX_DOCS, maxOpenDocumentChars: MAX_CHARS },
      },
      { modelHost: host },
    );
  });
  after(async () => d?.stop());

  const open = (c: DaemonClient, uri: string, text: string) =>
    c.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'python', version: 1, text },
    });
  const complete = (c: DaemonClient, uri: string) =>
    c.connection.sendRequest('textDocument/inlineCompletion', {
      textDocument: { uri },
      position: { line: 0, character: 0 },
      context: { triggerKind: 1 },
    }) as Promise<InlineCompletionList | null>;
  const limited = (reason: DocumentLimitData['reason']) => (e: { code?: number; message?: string; data?: unknown }) => {
    assert.equal(e.code, ErrorCodes.DocumentLimit, e.message);
    assert.equal(DocumentLimitData.parse(e.data).reason, reason);
    assert.match(e.message ?? '', /limit of .*Close some editors/);
    return true;
  };

  it('refuses the document past the count, tells the user once, and takes one again after a close', async () => {
    const c = await d.connect();
    const warnings: string[] = [];
    c.connection.onNotification('window/showMessage', (p: { message: string }) => {
      warnings.push(p.message);
    });
    for (const name of ['a', 'b', 'c']) await open(c, `file:///w/${name}.py`, `${name} = 1\n`);
    await open(c, 'file:///w/d.py', 'd = 1\n');
    await open(c, 'file:///w/e.py', 'e = 1\n');
    await assert.rejects(complete(c, 'file:///w/d.py'), limited('too-many-documents'));
    await assert.rejects(
      c.request('gearbox/refactor', {
        kind: 'explain',
        uri: 'file:///w/e.py',
        range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } },
      }),
      limited('too-many-documents'),
    );
    assert.ok((await complete(c, 'file:///w/a.py')) !== undefined, 'the documents kept still work');
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /d\.py is not kept .* limit of 3 open documents/);
    // The refused documents take no room: closing one kept document makes room for exactly one.
    await c.connection.sendNotification('textDocument/didClose', { textDocument: { uri: 'file:///w/a.py' } });
    await open(c, 'file:///w/d.py', 'd = 1\n');
    await complete(c, 'file:///w/d.py');
    await assert.rejects(complete(c, 'file:///w/e.py'), limited('too-many-documents'));
    // A document never opened is still just not open.
    await assert.rejects(
      complete(c, 'file:///w/never.py'),
      (e: { code?: number }) => e.code === ErrorCodes.DocumentNotOpen,
    );
  });

  it('refuses text past the character cap, and drops a document a change takes over it, snippets too', async () => {
    const c = await d.connect();
    await open(c, 'file:///w/big.py', `${'x = 1\n'.repeat(150)}`); // 900 characters
    await open(c, 'file:///w/more.py', 'y = 2\n'.repeat(40)); // 240: over 1000 together
    await assert.rejects(complete(c, 'file:///w/more.py'), limited('too-much-text'));
    await open(c, 'file:///w/small.py', 'z = 3\n');
    await c.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri: 'file:///w/small.py', version: 2 },
      contentChanges: [{ range: { start: { line: 0, character: 4 }, end: { line: 0, character: 5 } }, text: '42' }],
    });
    await c.connection.sendNotification('textDocument/didChange', {
      textDocument: { uri: 'file:///w/small.py', version: 3 },
      contentChanges: [
        { range: { start: { line: 1, character: 0 }, end: { line: 1, character: 0 } }, text: 'w = 4\n'.repeat(30) },
      ],
    });
    await assert.rejects(complete(c, 'file:///w/small.py'), limited('too-much-text'));
    const before = host.calls.length;
    await complete(c, 'file:///w/big.py');
    const prompt = JSON.stringify(host.calls.slice(before));
    assert.ok(prompt.includes('x = 1'), prompt.slice(0, 200));
    assert.ok(!prompt.includes('z = 42'), 'a snippet of the dropped document was still sent as context');
  });
});

describe('document store cap', () => {
  it('keeps nothing of a refused document and counts what it holds', () => {
    const store = new DocumentStore({ maxDocuments: 2, maxChars: 10 });
    assert.equal(store.open('file:///a', 'text', 1, '12345'), undefined);
    assert.equal(store.open('file:///b', 'text', 1, '123456')?.reason, 'too-much-text');
    assert.equal(store.open('file:///b', 'text', 1, '1234')?.reason, undefined);
    assert.equal(store.open('file:///c', 'text', 1, '1')?.reason, 'too-many-documents');
    assert.deepEqual([store.size, store.totalChars, store.get('file:///c')], [2, 9, undefined]);
    assert.equal(store.refused('file:///c')?.reason, 'too-many-documents');
    store.close('file:///c');
    assert.equal(store.refused('file:///c'), undefined);
    // A change over the cap drops the document and its chunks in the completion context.
    const chunksOfA = () => store.contextRing.queued().filter((c) => c.uri === 'file:///a').length;
    store.change('file:///a', 2, [
      { range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: 'x' },
    ]);
    assert.ok(chunksOfA() > 0);
    const refused = store.change('file:///a', 3, [{ text: '1234567' }]);
    assert.equal(refused?.reason, 'too-much-text');
    assert.deepEqual([store.size, store.totalChars, store.get('file:///a'), chunksOfA()], [1, 4, undefined, 0]);
    // Reopening replaces the old text in the count.
    assert.equal(store.open('file:///b', 'text', 2, '123456789'), undefined);
    assert.equal(store.totalChars, 9);
  });
});
