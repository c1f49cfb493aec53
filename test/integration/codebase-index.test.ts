// gearbox/index/* through a real daemon (in-process harness): build, search, progress, a file
// change re-indexing that file only, cancel, the index surviving a daemon restart, embeddings
// from a generated embedding-shaped GGUF through the real model host, every folder of a
// multi-root workspace, and a crashing index worker that leaves the daemon serving.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { countTokens as o200k } from 'gpt-tokenizer/encoding/o200k_base';
import { FileChangeType } from 'vscode-languageserver';
import { CancellationTokenSource, type DaemonClient } from '../../daemon/cli/client';
import { ErrorCodes, type IndexProgressParams } from '../../shared/protocol';
import type { DaemonOptions } from '../../daemon/daemon';
import { FakeModelHost } from '../fakes/fake-model-host';
import { CRASH_QUERY } from '../fakes/faulty-index-worker';
import { FIXTURE_FILES, FIXTURE_QUERIES, writeFixtureRepo } from '../fixtures/code-search-repo';
import { makeTestModel } from '../fixtures/make-test-model';
import { startTestDaemon, tempDir, type TestDaemon } from '../helpers/daemon-harness';

const FAULTY_WORKER = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fakes', 'faulty-index-worker.ts');

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
  this.timeout(180_000); // a hang guard: the real model host's embedding test took 50 s under load
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

  const start = (config: Record<string, unknown> = {}, real = false, opts: Partial<DaemonOptions> = {}) =>
    startTestDaemon(
      { codebaseIndex: { updateDelayMs: 0 }, ...config },
      { runtimeDir: path.join(home, 'run'), ...(real ? {} : { modelHost: new FakeModelHost() }), ...opts },
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
    // Sized by the daemon with o200k_base, a stand-in for whichever model will read it, and labelled so.
    assert.deepEqual([hit.tokens, hit.tokensMethod], [o200k(hit.snippet), 'approximate']);
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

  it('indexes every folder of a multi-root workspace; results say which folder', async () => {
    const tools = path.join(home, 'tools');
    fs.mkdirSync(path.join(tools, 'lib'), { recursive: true });
    fs.writeFileSync(
      path.join(tools, 'lib', 'geometry.py'),
      'def polygon_area(points):\n    """Area of a polygon by the shoelace formula."""\n    return 0\n',
    );
    d = await start();
    const c = await d.connect(
      {},
      {
        workspaceFolders: [
          { uri: pathToFileURL(root).href, name: 'app' },
          { uri: pathToFileURL(tools).href, name: 'tools' },
        ],
        capabilities: { workspace: { workspaceFolders: true } },
      },
    );
    const progress = progressOf(c);
    const built = await c.request('gearbox/index/build', {});
    assert.deepEqual(
      built.folders.map((f) => [f.name, f.root, f.state, f.filesIndexed]),
      [
        ['app', root, 'ready', Object.keys(FIXTURE_FILES).length],
        ['tools', tools, 'ready', 1],
      ],
    );
    assert.ok(progress.seen.some((p) => p.root === tools && p.phase === 'done'));

    const area = await c.request('gearbox/index/search', { query: 'area of a polygon', k: 3 });
    assert.deepEqual(area.results[0]?.folder, { root: tools, name: 'tools' });
    assert.equal(area.results[0]?.path, 'lib/geometry.py');
    assert.equal(area.results[0]?.uri, pathToFileURL(path.join(tools, 'lib/geometry.py')).href);
    assert.deepEqual(
      area.folders.map((f) => [f.name, f.state]),
      [
        ['app', 'ready'],
        ['tools', 'ready'],
      ],
    );
    const salt = await c.request('gearbox/index/search', { query: 'hash a password with a salt', k: 1 });
    assert.deepEqual(salt.results[0]?.folder, { root, name: 'app' });
    // One folder, by URI or path.
    const inTools = await c.request('gearbox/index/search', { query: 'hash a password', folder: tools });
    assert.ok(inTools.results.every((h) => h.folder.name === 'tools'));
    assert.deepEqual(
      inTools.folders.map((f) => f.name),
      ['tools'],
    );
    const st = await c.request('gearbox/index/status', { folder: pathToFileURL(root).href });
    assert.deepEqual(
      st.folders.map((f) => f.name),
      ['app'],
    );
    await assert.rejects(
      c.request('gearbox/index/status', { folder: path.join(home, 'elsewhere') }),
      (e: { code: number }) => {
        assert.equal(e.code, ErrorCodes.InvalidParams);
        return true;
      },
    );

    // A change in the second folder goes to its index.
    fs.appendFileSync(path.join(tools, 'lib', 'geometry.py'), '\ndef hexagon_perimeter(side):\n    return 6 * side\n');
    const updated = progress.next((p) => p.phase === 'updated');
    await c.connection.sendNotification('workspace/didChangeWatchedFiles', {
      changes: [{ uri: pathToFileURL(path.join(tools, 'lib', 'geometry.py')).href, type: FileChangeType.Changed }],
    });
    assert.equal((await updated).root, tools);
    const hexagon = await c.request('gearbox/index/search', { query: 'hexagon perimeter', k: 1 });
    assert.deepEqual([hexagon.results[0]?.folder.name, hexagon.results[0]?.path], ['tools', 'lib/geometry.py']);

    // The editor adds a folder and removes one: the next status and build follow.
    const docs = path.join(home, 'docs');
    fs.mkdirSync(docs);
    fs.writeFileSync(path.join(docs, 'guide.md'), '# Installing the capybara daemon\n');
    await c.connection.sendNotification('workspace/didChangeWorkspaceFolders', {
      event: {
        added: [{ uri: pathToFileURL(docs).href, name: 'docs' }],
        removed: [{ uri: pathToFileURL(root).href, name: 'app' }],
      },
    });
    const after = await c.request('gearbox/index/status', {});
    assert.deepEqual(
      after.folders.map((f) => [f.name, f.state]),
      [
        ['tools', 'ready'],
        ['docs', 'none'],
      ],
    );
    const rebuilt = await c.request('gearbox/index/build', {});
    assert.deepEqual(
      rebuilt.folders.map((f) => [f.name, f.filesIndexed]),
      [
        ['tools', 0],
        ['docs', 1],
      ],
    );
  });

  it('a crashing index worker is a clear error; the daemon serves on and the index comes back', async () => {
    d = await start({}, false, { indexWorkerEntry: FAULTY_WORKER });
    const c = await connect();
    const built = only(await c.request('gearbox/index/build', {}));
    await assert.rejects(
      c.request('gearbox/index/search', { query: CRASH_QUERY }),
      (e: { code: number; message: string }) => {
        assert.equal(e.code, ErrorCodes.IndexWorkerFailed);
        assert.match(e.message, /code index worker .* crashed: injected crash/);
        return true;
      },
    );
    // The daemon itself answers as before.
    assert.equal((await c.request('gearbox/status', {})).pid, process.pid);
    const st = only(await c.request('gearbox/index/status', {}));
    assert.equal(st.problem?.reason, 'worker-crashed');
    assert.deepEqual([st.files, st.chunks], [built.files, built.chunks]);
    const r = await c.request('gearbox/index/search', { query: 'hash a password with a salt', k: 1 });
    assert.equal(r.results[0]?.path, 'src/auth/password.ts');
  });
});
