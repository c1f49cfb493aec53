// `gearbox index build|status|search` as a user types it, against the built bundle and a detached
// daemon, so the index worker runs from dist/daemon/index-worker.mjs as it does once packaged.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { IndexBuildResult, IndexSearchResult, IndexStatusResult } from '../../shared/protocol';
import { writeFixtureRepo } from '../fixtures/code-search-repo';
import { tempDir } from '../helpers/daemon-harness';
import { buildBundles, type CliRun, runCli } from '../helpers/cli';

describe('gearbox index (CLI, built bundle)', function () {
  this.timeout(120_000);
  let work: string;
  let app: string;
  let tools: string;
  let env: NodeJS.ProcessEnv;

  const gearbox = (args: string[], cwd = work): Promise<CliRun> => runCli(args, { env, cwd, timeoutMs: 90_000 });

  before(async () => {
    await buildBundles();
    work = tempDir('gearbox-cli-index-');
    app = path.join(work, 'app');
    tools = path.join(work, 'tools');
    writeFixtureRepo(app);
    fs.mkdirSync(tools);
    fs.writeFileSync(
      path.join(tools, 'geometry.py'),
      'def polygon_area(points):\n    """Area of a polygon by the shoelace formula."""\n    return 0\n',
    );
    fs.writeFileSync(path.join(work, 'config.json'), JSON.stringify({ logLevel: 'debug' }));
    env = {
      PATH: process.env.PATH,
      HOME: work,
      XDG_CACHE_HOME: path.join(work, 'cache'),
      XDG_STATE_HOME: path.join(work, 'state'),
      GEARBOX_RUNTIME_DIR: path.join(work, 'run'),
      GEARBOX_CONFIG: path.join(work, 'config.json'),
    };
    const start = await gearbox(['start', '--detach']);
    assert.equal(start.code, 0, start.stderr + start.stdout);
  });

  after(async () => {
    if (env) await gearbox(['stop']);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it('search before a build says to build first', async () => {
    const r = await gearbox(['index', 'search', 'slug'], app);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no code index yet: build it first/);
  });

  it('builds the current folder, with progress, then reports its status', async () => {
    const built = await gearbox(['index', 'build'], app);
    assert.equal(built.code, 0, built.stderr);
    assert.match(built.stdout, /^app: 10 files, \d+ chunks in [\d.]+ s \(10 indexed, 0 removed, 0 unchanged\)/);
    assert.match(built.stderr, /app: indexing\n[\s\S]*app: done/);
    const st = await gearbox(['index', 'status'], app);
    assert.equal(st.code, 0, st.stderr);
    assert.match(st.stdout, new RegExp(`^app \\(${app.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\): ready, 10 files`));
  });

  it('builds and searches several folders as one workspace (--json is the protocol result)', async () => {
    const folders = ['--folder', app, '--folder', tools];
    const built = IndexBuildResult.parse(JSON.parse((await gearbox(['index', 'build', ...folders, '--json'])).stdout));
    assert.deepEqual(
      built.folders.map((f) => [f.name, f.filesIndexed, f.filesUnchanged]),
      [
        ['app', 0, 10],
        ['tools', 1, 0],
      ],
    );
    const found = await gearbox(['index', 'search', 'area of a polygon', '-k', '2', ...folders, '--json']);
    assert.equal(found.code, 0, found.stderr);
    const res = IndexSearchResult.parse(JSON.parse(found.stdout));
    assert.deepEqual([res.results[0]?.folder.name, res.results[0]?.path], ['tools', 'geometry.py']);
    const text = await gearbox(['index', 'search', 'hash a password with a salt', '-k', '1', ...folders]);
    assert.match(text.stdout, /^1\. app\/src\/auth\/password\.ts:\d+-\d+ {2}\([\d.]+, bm25\)\n {5}/);
    const st = IndexStatusResult.parse(JSON.parse((await gearbox(['index', 'status', ...folders, '--json'])).stdout));
    assert.deepEqual(
      st.folders.map((f) => [f.name, f.state, f.files]),
      [
        ['app', 'ready', 10],
        ['tools', 'ready', 1],
      ],
    );
  });

  it('refuses a bad command line with the usage text (exit 2)', async () => {
    for (const args of [['index'], ['index', 'rebuild'], ['index', 'search'], ['index', 'search', 'x', '-k', '0']]) {
      const r = await gearbox(args, app);
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.stderr, /gearbox index search "query"/);
    }
    const missing = await gearbox(['index', 'status', '--folder', path.join(work, 'nowhere')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /nowhere is not a folder/);
  });
});
