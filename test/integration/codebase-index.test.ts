// gearbox/index/* through a real daemon (in-process harness): build, search, progress, a file
// change re-indexing that file only, cancel, the index surviving a daemon restart, and embeddings
// from a generated embedding-shaped GGUF through the real model host.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { FileChangeType } from 'vscode-languageserver';
import { CancellationTokenSource, type DaemonClient } from '../../daemon/cli/client';
import { ErrorCodes, type IndexProgressParams } from '../../shared/protocol';
import { FakeModelHost } from '../fakes/fake-model-host';
import { FIXTURE_FILES, FIXTURE_QUERIES, writeFixtureRepo } from '../fixtures/code-search-repo';
import { makeTestModel } from '../fixtures/make-test-model';
import { startTestDaemon, tempDir, type TestDaemon } from '../helpers/daemon-harness';

/** The one folder of a single-folder workspace. */
const only = <F>(r: { folders: F[] }): F => {
  assert.equal(r.folders.length, 1);
  return r.folders[0]!;
};

/** Progress notifications as they come, and a way to wait for the next one that matches. */
function progressOf(c: DaemonClient) {
  const seen: IndexProgressParams[] = [];
  const waiters: { match: (p: IndexProgressParams) => boolean; resolve: (p: IndexProgressParams) => void }[] = [];
  c.onNotification('gearbox/index/progress', (p) => {
    seen.push(p);
    for (const w of [...waiters])
      if (w.match(p)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(p);
      }
  });
  return {
    seen,
    next: (match: (p: IndexProgressParams) => boolean) =>
      new Promise<IndexProgressParams>((resolve) => waiters.push({ match, resolve })),
  };
}

describe('code search through the daemon (gearbox/index/*)', function () {
  this.timeout(60_000);
  let home: string;
  let root: string;
  let d: TestDaemon | undefined;

  beforeEach(() => {
    home = tempDir('gearbox-index-it-');
    root = path.join(home, 'ws');
    writeFixtureRepo(root);
  });
  afterEach(async () => {
    await d?.stop();
    d = undefined;
    fs.rmSync(home, { recursive: true, force: true });
  });

  const start = (config: Record<string, unknown> = {}, real = false) =>
    startTestDaemon(
      { codebaseIndex: { updateDelayMs: 0 }, ...config },
      { runtimeDir: path.join(home, 'run'), ...(real ? {} : { modelHost: new FakeModelHost() }) },
    );
  const connect = (settings = {}) => d!.connect(settings, { rootUri: pathToFileURL(root).href });

  it('builds, searches with privacy flags, and reports progress', async () => {
    d = await start();
    const c = await connect({ privatePaths: ['src/auth/**'] });
    const progress = progressOf(c);
    await assert.rejects(c.request('gearbox/index/search', { query: 'slug' }), (e: { code: number }) => {
      assert.equal(e.code, ErrorCodes.IndexNotBuilt);
      return true;
    });
    const built = only(await c.request('gearbox/index/build', {}));
    assert.equal(built.state, 'ready');
    assert.equal(built.complete, true);
    assert.equal(built.files, Object.keys(FIXTURE_FILES).length);
    assert.equal(built.filesIndexed, built.files);
    assert.ok(built.chunks >= built.files);
    assert.equal(built.embeddings.state, 'no-model');
    const phases = progress.seen.map((p) => p.phase);
    assert.equal(phases[0], 'scanning');
    assert.ok(phases.includes('indexing') && phases.includes('saving'), phases.join(','));
    assert.equal(phases.at(-1), 'done');
    assert.ok(progress.seen.every((p) => p.root === root));

    for (const [query, expected] of FIXTURE_QUERIES) {
      const r = await c.request('gearbox/index/search', { query, k: 3 });
      assert.equal(r.ranking, 'bm25');
      assert.equal(r.results[0]?.path, expected, query);
    }
    const r = await c.request('gearbox/index/search', { query: 'hash a password with a salt' });
    const hit = r.results[0]!;
    assert.equal(hit.uri, pathToFileURL(path.join(root, 'src/auth/password.ts')).href);
    assert.deepEqual(hit.folder, { root, name: path.basename(root) });
    assert.equal(hit.privatePath, true);
    assert.ok(hit.snippet.includes('export function hashPassword'));
    assert.ok(hit.tokens > 0);
    const st = only(await c.request('gearbox/index/status', {}));
    assert.equal(st.state, 'ready');
    assert.ok(st.indexBytes > 0);
  });

  it('rejects bad input and clients without a workspace folder', async () => {
    d = await start();
    const c = await connect();
    await assert.rejects(c.connection.sendRequest('gearbox/index/search', { query: '' }), (e: { code: number }) => {
      assert.equal(e.code, ErrorCodes.InvalidParams);
      return true;
    });
    await assert.rejects(
      c.connection.sendRequest('gearbox/index/search', { query: 'x', k: 1000 }),
      (e: { code: number }) => e.code === ErrorCodes.InvalidParams,
    );
    const noFolder = await d.connect();
    await assert.rejects(noFolder.request('gearbox/index/status', {}), (e: { code: number }) => {
      assert.equal(e.code, ErrorCodes.NoWorkspaceFolder);
      return true;
    });
  });

  it('re-indexes only the file a change notification names', async () => {
    d = await start();
    const c = await connect();
    const progress = progressOf(c);
    await c.request('gearbox/index/build', {});
    fs.appendFileSync(
      path.join(root, 'src/cache/lru.go'),
      '\n// Capybara eviction statistics.\nfunc capybaraStats() {}\n',
    );
    const updated = progress.next((p) => p.phase === 'updated');
    await c.connection.sendNotification('workspace/didChangeWatchedFiles', {
      changes: [{ uri: pathToFileURL(path.join(root, 'src/cache/lru.go')).href, type: FileChangeType.Changed }],
    });
    const e = await updated;
    assert.equal(e.filesIndexed, 1);
    const r = await c.request('gearbox/index/search', { query: 'capybara statistics', k: 1 });
    assert.equal(r.results[0]?.path, 'src/cache/lru.go');
    // An explicit build after the notification finds nothing left to do.
    const again = only(await c.request('gearbox/index/build', {}));
    assert.deepEqual([again.filesIndexed, again.filesUnchanged], [0, Object.keys(FIXTURE_FILES).length]);
  });

  it('cancels a build; what was indexed stays, and the next build does the rest', async () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 400; i++)
      many[`gen/mod${i}.ts`] = `export function generated${i}(x: number) {\n  return x + ${i};\n}\n`;
    writeFixtureRepo(root, many);
    const total = Object.keys(FIXTURE_FILES).length + 400;
    d = await start();
    const c = await connect();
    const progress = progressOf(c);
    const cts = new CancellationTokenSource();
    const indexing = progress.next((p) => p.phase === 'indexing');
    const build = c.request('gearbox/index/build', {}, cts);
    await indexing;
    cts.cancel();
    await assert.rejects(build, (e: { code: number }) => {
      assert.equal(e.code, ErrorCodes.RequestCancelled);
      return true;
    });
    const cancelled = progress.seen.at(-1)!;
    assert.equal(cancelled.phase, 'cancelled');
    const st = only(await c.request('gearbox/index/status', {}));
    assert.notEqual(st.state, 'indexing');
    assert.equal(st.complete, false);
    assert.ok(st.files < total, `${st.files} of ${total} indexed before the cancel`);
    const rest = only(await c.request('gearbox/index/build', {}));
    assert.equal(rest.files, total);
    assert.equal(rest.filesIndexed, total - st.files);
    assert.equal(rest.complete, true);
  });

  it('keeps the index across a daemon restart', async () => {
    d = await start();
    let c = await connect();
    const built = only(await c.request('gearbox/index/build', {}));
    const before = await c.request('gearbox/index/search', { query: 'multiply two matrices' });
    await d.stop();
    d = await start();
    c = await connect();
    const st = only(await c.request('gearbox/index/status', {}));
    assert.equal(st.state, 'ready');
    assert.deepEqual([st.files, st.chunks], [built.files, built.chunks]);
    assert.deepEqual(await c.request('gearbox/index/search', { query: 'multiply two matrices' }), before);
  });

  it('embeds chunks with a local embedding model through the real model host (hybrid ranking)', async () => {
    const modelPath = makeTestModel({ shape: 'tiny-embedding' });
    d = await start(
      {
        modelDirs: [path.dirname(modelPath)],
        localModels: [{ id: 'local/embed', source: modelPath, tasks: ['embedding'] }],
      },
      true,
    );
    const c = await connect();
    const progress = progressOf(c);
    const built = only(await c.request('gearbox/index/build', {}));
    assert.deepEqual(built.embeddings, { model: 'local/embed', state: 'ready', chunks: built.chunks });
    assert.ok(progress.seen.some((p) => p.phase === 'embedding' && p.done === p.total && p.total === built.chunks));
    const r = await c.request('gearbox/index/search', { query: 'invoice total including tax', k: 5 });
    assert.equal(r.ranking, 'hybrid');
    assert.ok(r.results.some((h) => h.matchedBy.includes('embedding')));
    // Random weights make the embedding ranking noise; the fused ranking still holds BM25's answer.
    assert.ok(r.results.some((h) => h.path === 'src/billing/Invoice.java'));
    // An embedding-only model is never offered to the router.
    const models = await c.request('gearbox/models', {});
    assert.ok(!models.models.some((m) => m.id === 'local/embed'));
  });
});
