// The code index in its worker thread, driven as the daemon drives it (FolderIndex): answers equal
// the in-process index's, both ends refuse malformed messages, a cancelled or timed-out build stops
// and keeps what it indexed, and a crashing worker fails its request clearly and is replaced on the
// next use, which reloads and rebuilds the index (or starts over when loading it was the crash).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { FolderIndex } from '../../daemon/codebase/folder-index';
import { IndexWorkerClient, startIndexWorker } from '../../daemon/codebase/index-worker-client';
import { toSearchHits } from '../../daemon/codebase/search-hits';
import { indexDirFor } from '../../daemon/codebase/store';
import { FromWorker, type WorkerInit } from '../../daemon/codebase/worker-protocol';
import { WorkspaceIndex, type ProgressEvent } from '../../daemon/codebase/workspace-index';
import { CodebaseIndexConfigSchema, type CodebaseIndexConfig } from '../../daemon/config';
import { createLogger } from '../../daemon/log';
import { ErrorCodes } from '../../shared/protocol';
import { CRASH_ON_LOAD, CRASH_QUERY, GARBAGE_QUERY, HANG_QUERY, HANGING_LOG } from '../fakes/faulty-index-worker';
import { FIXTURE_FILES, FIXTURE_QUERIES, writeFixtureRepo } from '../fixtures/code-search-repo';

const here = path.dirname(fileURLToPath(import.meta.url));
const REAL_WORKER = path.join(here, '..', '..', 'daemon', 'codebase', 'index-worker.ts');
const FAULTY_WORKER = path.join(here, '..', 'fakes', 'faulty-index-worker.ts');
const quiet = createLogger({ level: 'error', write: () => {} });
const never = () => new AbortController().signal;
const privacy = { privatePaths: [], privateCode: false };

/** Resolves with the first progress event that matches. */
function nextProgress(index: FolderIndex, match: (e: ProgressEvent) => boolean): Promise<ProgressEvent> {
  return new Promise((resolve) => {
    const off = index.onProgress((e) => {
      if (!match(e)) return;
      off();
      resolve(e);
    });
  });
}

function rejectsWith(code: number, message?: RegExp) {
  return (err: { code?: number; message?: string }) => {
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message ?? '', message);
    return true;
  };
}

describe('code index worker thread', function () {
  this.timeout(60_000);
  let tmp: string;
  let root: string;
  let store: string;
  const open: FolderIndex[] = [];

  const folderIndex = (
    config: Partial<CodebaseIndexConfig> = {},
    workerEntry = REAL_WORKER,
    logger = quiet,
  ): FolderIndex => {
    const index = new FolderIndex({
      root,
      dir: indexDirFor(store, root),
      config: CodebaseIndexConfigSchema.parse({ updateDelayMs: 0, ...config }),
      logger,
      workerEntry,
    });
    open.push(index);
    return index;
  };

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gearbox-index-worker-'));
    root = path.join(tmp, 'ws');
    store = path.join(tmp, 'index');
    writeFixtureRepo(root);
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((i) => i.dispose()));
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('builds and searches in the worker with the same answers as the index in-process', async () => {
    const index = folderIndex();
    const { status, outcome } = await index.build({ exclude: [], signal: never() });
    assert.equal(status.state, 'ready');
    assert.equal(outcome.filesIndexed, Object.keys(FIXTURE_FILES).length);
    const local = new WorkspaceIndex({
      root,
      dir: path.join(tmp, 'local-index'),
      config: CodebaseIndexConfigSchema.parse({ updateDelayMs: 0 }),
      logger: quiet,
    });
    await local.build({ exclude: [], signal: never() });
    for (const [query, expected] of FIXTURE_QUERIES) {
      const remote = await index.search(query, 5, privacy, never());
      assert.equal(remote.hits[0]?.path, expected, query);
      const mine = await toSearchHits(root, (await local.search(query, 5, never())).hits, privacy);
      assert.deepEqual(remote.hits, mine, query);
    }
    await local.dispose();
  });

  it('refuses malformed messages at both ends', async () => {
    // The worker's end: a request that breaks its schema is answered as a failure, by its id.
    const init: WorkerInit = {
      root,
      dir: indexDirFor(store, root),
      config: CodebaseIndexConfigSchema.parse({}),
      embeddingModel: null,
      discardSaved: false,
    };
    const worker: Worker = startIndexWorker(REAL_WORKER, init, 256);
    try {
      const answer = new Promise<unknown>((resolve) =>
        worker.on('message', (m: { type?: string }) => m.type === 'failed' && resolve(m)),
      );
      worker.postMessage({ type: 'search', id: 7, query: '', k: 0, privacy });
      const failed = FromWorker.parse(await answer);
      assert.equal(failed.type, 'failed');
      assert.ok(failed.type === 'failed' && failed.id === 7 && failed.code === ErrorCodes.InternalError);
      assert.match((failed as { message: string }).message, /invalid message from the daemon/);
    } finally {
      await worker.terminate();
    }
    // The daemon's end: an answer that breaks its schema stops that worker; the request fails clearly.
    assert.equal(FromWorker.safeParse({ type: 'search', id: 1, hits: 'not a list' }).success, false);
    const index = folderIndex({}, FAULTY_WORKER);
    await index.build({ exclude: [], signal: never() });
    await assert.rejects(
      index.search(GARBAGE_QUERY, 5, privacy, never()),
      rejectsWith(ErrorCodes.IndexWorkerFailed, /sent an invalid message/),
    );
    // The next use has a new worker, on the saved index.
    assert.equal((await index.search('hash a password with a salt', 1, privacy, never())).hits.length, 1);
  });

  it('cancels a build: it stops, keeps what it indexed, and the next build does the rest', async () => {
    const many: Record<string, string> = {};
    for (let i = 0; i < 400; i++)
      many[`gen/mod${i}.ts`] = `export function generated${i}(x: number) {\n  return x + ${i};\n}\n`;
    writeFixtureRepo(root, many);
    const total = Object.keys(FIXTURE_FILES).length + 400;
    const index = folderIndex();
    const events: ProgressEvent[] = [];
    index.onProgress((e) => events.push(e));
    const ctrl = new AbortController();
    const indexing = nextProgress(index, (e) => e.phase === 'indexing');
    const build = index.build({ exclude: [], signal: ctrl.signal });
    await indexing;
    ctrl.abort();
    await assert.rejects(build, rejectsWith(ErrorCodes.RequestCancelled));
    // The worker answered the cancel once it had stopped: nothing was indexed after it said so.
    const cancelledAt = events.findIndex((e) => e.phase === 'cancelled');
    assert.ok(cancelledAt >= 0, events.map((e) => e.phase).join(','));
    const status = await index.status();
    assert.ok(events.slice(cancelledAt + 1).every((e) => e.phase !== 'indexing'));
    assert.equal(status.state, 'ready');
    assert.equal(status.complete, false);
    assert.ok(status.files > 0 && status.files < total, `${status.files} of ${total}`);
    const rest = await index.build({ exclude: [], signal: never() });
    assert.equal(rest.outcome.filesIndexed, total - status.files);
    assert.equal(rest.status.files, total);
  });

  it('a build past its deadline is cancelled in the worker and reported as a timeout', async () => {
    // Starting a worker thread alone takes longer than a millisecond.
    const index = folderIndex({ buildTimeoutMs: 1 });
    await assert.rejects(
      index.build({ exclude: [], signal: never() }),
      rejectsWith(ErrorCodes.Timeout, /Indexing timed out/),
    );
    const status = await index.status();
    assert.notEqual(status.state, 'indexing');
    assert.equal(status.complete, false);
  });

  it('a crash fails its request clearly; the next use reloads the saved index and rebuilds it', async () => {
    const index = folderIndex({}, FAULTY_WORKER);
    const built = await index.build({ exclude: [], signal: never() });
    await assert.rejects(
      index.search(CRASH_QUERY, 5, privacy, never()),
      rejectsWith(ErrorCodes.IndexWorkerFailed, /crashed: injected crash in the index worker.*the daemon is fine/),
    );
    // A file changed while no worker ran: the rebuild on next use finds it.
    fs.appendFileSync(path.join(root, 'src/cache/lru.go'), '\nfunc wombatStatistics() {}\n');
    const rebuilt = nextProgress(index, (e) => e.phase === 'done');
    const after = await index.status();
    assert.equal(after.problem?.reason, 'worker-crashed');
    assert.equal(after.files, built.status.files, 'the saved index was loaded');
    const done = await rebuilt;
    assert.equal(done.filesIndexed, 1);
    assert.equal((await index.search('wombat statistics', 1, privacy, never())).hits[0]?.path, 'src/cache/lru.go');
    assert.equal((await index.status()).problem, undefined);
  });

  it('a crash while loading the saved index drops it: the next use starts from nothing', async () => {
    const first = folderIndex();
    await first.build({ exclude: [], signal: never() });
    await first.dispose();
    fs.writeFileSync(path.join(indexDirFor(store, root), CRASH_ON_LOAD), '');
    const index = folderIndex({}, FAULTY_WORKER);
    await assert.rejects(index.status(), rejectsWith(ErrorCodes.IndexWorkerFailed, /crashed/));
    const st = await index.status();
    assert.equal(st.state, 'none');
    assert.equal(st.problem?.reason, 'worker-crashed');
    const rebuilt = await index.build({ exclude: [], signal: never() });
    assert.equal(rebuilt.outcome.filesIndexed, Object.keys(FIXTURE_FILES).length);
    assert.equal(rebuilt.status.problem, undefined);
  });

  it('an idle worker stops after saving; the next use starts one on the saved index', async () => {
    let stopped!: () => void;
    const stop = new Promise<void>((resolve) => (stopped = resolve));
    const logger = createLogger({
      level: 'info',
      write: (line) => JSON.parse(line).msg === 'idle code index worker stopped' && stopped(),
    });
    const index = folderIndex({ workerIdleMinutes: 0.001 }, REAL_WORKER, logger);
    await index.build({ exclude: [], signal: never() });
    // A change after the build: unsaved in the worker until it stops.
    fs.appendFileSync(path.join(root, 'src/cache/lru.go'), '\nfunc quokkaCounter() {}\n');
    const updated = nextProgress(index, (e) => e.phase === 'updated');
    index.notifyChanges([{ rel: 'src/cache/lru.go', deleted: false }]);
    await updated;
    await stop;
    assert.equal(index.running, false);
    const found = await index.search('quokka counter', 1, privacy, never());
    assert.equal(index.running, true);
    assert.equal(found.hits[0]?.path, 'src/cache/lru.go');
  });

  it('a worker that does not stop after a cancel is stopped as hung; its requests fail clearly', async () => {
    let hanging!: () => void;
    const hung = new Promise<void>((resolve) => (hanging = resolve));
    const crashes: Error[] = [];
    const client = new IndexWorkerClient({
      entry: FAULTY_WORKER,
      init: {
        root,
        dir: indexDirFor(store, root),
        config: CodebaseIndexConfigSchema.parse({}),
        embeddingModel: null,
        discardSaved: false,
      },
      logger: createLogger({ level: 'warn', write: (line) => JSON.parse(line).msg === HANGING_LOG && hanging() }),
      onProgress: () => {},
      onLoaded: () => {},
      onCrash: (err) => crashes.push(err),
      maxHeapMb: 256,
      // The worker never comes back: any grace ends the same way.
      cancelGraceMs: 100,
    });
    const ctrl = new AbortController();
    const search = client.request(
      { type: 'search', query: HANG_QUERY, k: 1, privacy },
      { signal: ctrl.signal, timeoutMs: 3_600_000, what: 'Code search' },
    );
    await hung;
    ctrl.abort();
    await assert.rejects(search, rejectsWith(ErrorCodes.IndexWorkerFailed, /did not stop within 0.1 s of a cancel/));
    assert.equal(client.alive, false);
    assert.equal(crashes.length, 1);
    await assert.rejects(
      client.request({ type: 'status' }, { timeoutMs: 60_000, what: 'Index status' }),
      rejectsWith(ErrorCodes.IndexWorkerFailed),
    );
  });
});
