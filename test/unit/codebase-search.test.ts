// Code search over a small fixture workspace: BM25 puts the right file first for described
// queries, embeddings fuse in by rank, the walk respects .gitignore, excludes and caps, results
// carry their privacy, and the index survives a restart and recovers from a corrupt one.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { reciprocalRankFusion } from '../../daemon/codebase/rank-fusion';
import { toSearchHits } from '../../daemon/codebase/search-hits';
import { indexDirFor } from '../../daemon/codebase/store';
import { terms } from '../../daemon/codebase/terms';
import {
  WorkspaceIndex,
  type Embedder,
  type ProgressEvent,
  type WorkspaceIndexOptions,
} from '../../daemon/codebase/workspace-index';
import { CodebaseIndexConfigSchema, type CodebaseIndexConfig } from '../../daemon/config';
import { createLogger } from '../../daemon/log';
import { FIXTURE_FILES, FIXTURE_QUERIES, writeFixtureRepo } from '../fixtures/code-search-repo';

const never = () => new AbortController().signal;
const quiet = createLogger({ level: 'error', write: () => {} });

function makeIndex(
  root: string,
  store: string,
  config: Partial<CodebaseIndexConfig> = {},
  extra: Partial<WorkspaceIndexOptions> = {},
): WorkspaceIndex {
  return new WorkspaceIndex({
    root,
    dir: indexDirFor(store, root),
    config: CodebaseIndexConfigSchema.parse({ updateDelayMs: 0, ...config }),
    logger: quiet,
    ...extra,
  });
}

/** Resolves with the first progress event of `phase`. */
function nextEvent(index: WorkspaceIndex, phase: ProgressEvent['phase']): Promise<ProgressEvent> {
  return new Promise((resolve) => {
    const off = index.onProgress((e) => {
      if (e.phase !== phase) return;
      off();
      resolve(e);
    });
  });
}

/**
 * A toy "semantic" embedder: one dimension per concept, counting the concept's words, so that a
 * query shares a direction with text that uses other words for the same thing.
 */
const CONCEPTS = [
  ['car', 'truck', 'vehicle', 'automobile', 'fleet'],
  ['password', 'salt', 'hash', 'credential'],
  ['cache', 'evict', 'lru'],
  ['money', 'invoice', 'tax', 'price'],
];
function toyEmbedder(calls: string[][] = []): Embedder {
  return {
    model: 'toy',
    embed: async (texts) => {
      calls.push(texts);
      return texts.map((t) => {
        const words = t.toLowerCase().split(/[^a-z]+/);
        const v = CONCEPTS.map((c) => words.filter((w) => c.includes(w)).length + 0.01);
        const norm = Math.hypot(...v);
        return v.map((x) => x / norm);
      });
    },
  };
}

describe('code search: index and ranking', function () {
  this.timeout(30_000);
  let tmp: string;
  let root: string;
  let store: string;

  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gearbox-codesearch-'));
    root = path.join(tmp, 'ws');
    store = path.join(tmp, 'index');
    writeFixtureRepo(root);
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('terms: identifiers whole and by word, stemmed, without stop words', () => {
    assert.deepEqual(terms('parseConfigFile'), ['parseconfigfile', 'pars', 'config', 'file']);
    const t = terms('const parseConfigFile = (the_paths) => retries;');
    assert.ok(t.includes('parseconfigfile'), t.join(' '));
    for (const w of ['pars', 'config', 'file', 'path', 'retri']) assert.ok(t.includes(w), `${w} in ${t.join(' ')}`);
    assert.ok(!t.includes('the'));
    assert.deepEqual(terms('parsing configs'), ['pars', 'config']);
  });

  it('ranks the right file first for each described query (BM25)', async () => {
    const index = makeIndex(root, store);
    const built = await index.build({ exclude: [], signal: never() });
    assert.equal(built.filesIndexed, Object.keys(FIXTURE_FILES).length);
    for (const [query, expected] of FIXTURE_QUERIES) {
      const { hits, ranking } = await index.search(query, 5, never());
      assert.equal(ranking, 'bm25');
      assert.equal(hits[0]?.rel, expected, `"${query}" → ${hits.map((h) => h.rel).join(', ')}`);
    }
    await index.dispose();
  });

  it('fuses rankings by reciprocal rank', () => {
    const fused = reciprocalRankFusion({
      bm25: [{ id: 1 }, { id: 2 }, { id: 3 }],
      embedding: [{ id: 3 }, { id: 4 }, { id: 1 }],
    });
    assert.deepEqual(
      fused.map((h) => h.id),
      [1, 3, 2, 4],
    );
    assert.deepEqual(fused[0]!.matchedBy, ['bm25', 'embedding']);
    assert.deepEqual(fused.find((h) => h.id === 4)!.matchedBy, ['embedding']);
    assert.equal(fused[0]!.score, 1 / 61 + 1 / 63);
  });

  it('ranks hybrid with an embedding model: a match by meaning alone is found', async () => {
    writeFixtureRepo(root, {
      'src/fleet/registry.ts': 'export function registerTruck(id: string) {\n  // every car and truck we own\n}\n',
    });
    const calls: string[][] = [];
    const index = makeIndex(root, store, {}, { embedder: toyEmbedder(calls) });
    await index.build({ exclude: [], signal: never() });
    const st = index.status();
    assert.equal(st.embeddings.state, 'ready');
    assert.equal(st.embeddings.chunks, st.chunks);
    // "automobile" is in no file: BM25 finds nothing, the embedding finds the fleet.
    const { hits, ranking } = await index.search('automobile', 3, never());
    assert.equal(ranking, 'hybrid');
    assert.equal(hits[0]?.rel, 'src/fleet/registry.ts');
    assert.deepEqual(hits[0]?.matchedBy, ['embedding']);
    // Each chunk is embedded with its path first.
    assert.ok(calls.flat().some((t) => t.startsWith('src/fleet/registry.ts\n')));
    // Both rankings agree on the password file: it stays first.
    const both = await index.search('hash a password with a salt', 3, never());
    assert.equal(both.hits[0]?.rel, 'src/auth/password.ts');
    assert.deepEqual(both.hits[0]?.matchedBy, ['bm25', 'embedding']);
    await index.dispose();
  });

  it('falls back to BM25 when the embedding model fails', async () => {
    const failing: Embedder = {
      model: 'broken',
      embed: async () => {
        throw new Error('model host crashed');
      },
    };
    const index = makeIndex(root, store, {}, { embedder: failing });
    await index.build({ exclude: [], signal: never() });
    const st = index.status();
    assert.equal(st.embeddings.state, 'unavailable');
    assert.equal(st.problem?.reason, 'embedding-failed');
    const { hits, ranking } = await index.search('evict the least recently used entry', 3, never());
    assert.equal(ranking, 'bm25');
    assert.equal(hits[0]?.rel, 'src/cache/lru.go');
    await index.dispose();
  });

  it('respects .gitignore (nested, negated), exclude globs, the size cap and binary files', async () => {
    writeFixtureRepo(root, {
      '.gitignore': 'build/\n*.log\n',
      'build/out.js': 'export const generatedBundle = 1;\n',
      'debug.log': 'hashPassword log line\n',
      'src/gen/.gitignore': '*.gen.ts\n!keep.gen.ts\n',
      'src/gen/drop.gen.ts': 'export const dropped = 1;\n',
      'src/gen/keep.gen.ts': 'export const kept = 1;\n',
      'vendor/lib.js': 'export const vendored = 1;\n',
      'big.txt': 'x'.repeat(5000),
      'data.bin.txt': Buffer.from([0x68, 0x69, 0x00, 0x01, 0x02]),
      'image.png': Buffer.from([0x89, 0x50, 0x4e, 0x47]),
    });
    const index = makeIndex(root, store, { maxFileBytes: 4000 });
    await index.build({ exclude: ['**/vendor'], signal: never() });
    const st = index.status();
    assert.equal(
      st.files,
      Object.keys(FIXTURE_FILES).length + 3,
      'fixture + .gitignore, src/gen/.gitignore, keep.gen.ts',
    );
    assert.deepEqual(st.skipped, { tooLarge: 1, binary: 2, overCap: 0 });
    for (const q of ['generatedBundle', 'dropped', 'vendored']) {
      assert.deepEqual((await index.search(q, 5, never())).hits, [], `${q} must not be indexed`);
    }
    assert.equal((await index.search('kept', 5, never())).hits[0]?.rel, 'src/gen/keep.gen.ts');
    await index.dispose();
  });

  it('stops at the file-count cap and says so', async () => {
    const index = makeIndex(root, store, { maxFiles: 3 });
    await index.build({ exclude: [], signal: never() });
    const st = index.status();
    assert.equal(st.files, 3);
    assert.equal(st.truncated, true);
    assert.equal(st.skipped.overCap, 1);
    await index.dispose();
  });

  it('flags private paths, privateCode, .env files and secrets in the snippet', async () => {
    writeFixtureRepo(root, {
      'secrets/keys.ts': 'export const deployRegion = "eu-west-1";\n',
      'config/aws.ts': 'export const awsAccessKeyForDeploy = "AKIAQX4BZ7KD2NRWJ5LM";\n',
      '.env': 'DATABASE_URL=postgres://app:hunter2butlonger@db/app\n',
    });
    const index = makeIndex(root, store);
    await index.build({ exclude: [], signal: never() });
    const settings = { privatePaths: ['secrets/**'], privateCode: false };
    const one = async (q: string) => {
      const [hit] = await toSearchHits(root, (await index.search(q, 1, never())).hits, settings);
      assert.ok(hit, q);
      return hit;
    };
    const region = await one('deployRegion');
    assert.equal(region.path, 'secrets/keys.ts');
    assert.deepEqual([region.privatePath, region.privateCode, region.secret], [true, false, false]);
    const aws = await one('awsAccessKeyForDeploy');
    assert.equal(aws.privatePath, false);
    assert.equal(aws.secret, true);
    assert.deepEqual(aws.secretKinds, ['aws-access-key']);
    const env = await one('DATABASE_URL');
    assert.equal(env.path, '.env');
    assert.ok(env.secret && env.secretKinds.includes('env-file'), env.secretKinds.join(','));
    const plain = await one('turn a title into a url slug');
    assert.deepEqual([plain.privatePath, plain.secret], [false, false]);
    assert.equal(plain.uri, `file://${path.join(root, 'src/text/slugify.js')}`);
    assert.equal(plain.snippet, FIXTURE_FILES['src/text/slugify.js']!.trimEnd());
    assert.deepEqual(plain.range.start, { line: 0, character: 0 });
    // The worker's first size, labelled so; the daemon sizes what it returns with a tokenizer.
    assert.deepEqual([plain.tokens, plain.tokensMethod], [Math.ceil(plain.snippet.length / 4), 'chars4']);
    const [all] = await toSearchHits(root, (await index.search('slug', 1, never())).hits, {
      privatePaths: [],
      privateCode: true,
    });
    assert.equal(all?.privateCode, true);
    await index.dispose();
  });

  it('re-indexes only new, changed and removed files, and applies change notifications', async () => {
    const index = makeIndex(root, store);
    await index.build({ exclude: [], signal: never() });
    const again = await index.build({ exclude: [], signal: never() });
    assert.deepEqual([again.filesIndexed, again.filesRemoved], [0, 0]);
    fs.appendFileSync(path.join(root, 'src/text/slugify.js'), '\nexport function deburrQuokka() {}\n');
    fs.rmSync(path.join(root, 'README.md'));
    const after = await index.build({ exclude: [], signal: never() });
    assert.deepEqual([after.filesIndexed, after.filesRemoved, after.filesUnchanged], [1, 1, 8]);
    assert.equal((await index.search('deburrQuokka', 1, never())).hits[0]?.rel, 'src/text/slugify.js');

    fs.writeFileSync(path.join(root, 'src/new.py'), 'def wombat_counter():\n    return 3\n');
    const updated = nextEvent(index, 'updated');
    index.notifyChanges([
      { rel: 'src/new.py', deleted: false },
      { rel: 'src/auth/password.ts', deleted: false }, // unchanged on disk: not re-read
    ]);
    const e = await updated;
    assert.equal(e.filesIndexed, 1);
    assert.equal((await index.search('wombat counter', 1, never())).hits[0]?.rel, 'src/new.py');
    fs.rmSync(path.join(root, 'src/new.py'));
    const removed = nextEvent(index, 'updated');
    index.notifyChanges([{ rel: 'src/new.py', deleted: true }]);
    await removed;
    assert.deepEqual((await index.search('wombat counter', 1, never())).hits, []);
    await index.dispose();
  });

  it('survives a restart: the saved index loads and answers the same', async () => {
    const first = makeIndex(root, store, {}, { embedder: toyEmbedder() });
    await first.build({ exclude: [], signal: never() });
    const before = await first.search('invoice total including tax', 5, never());
    await first.dispose();

    const second = makeIndex(root, store, {}, { embedder: toyEmbedder() });
    await second.ensureLoaded();
    const st = second.status();
    assert.equal(st.state, 'ready');
    assert.equal(st.files, Object.keys(FIXTURE_FILES).length);
    assert.equal(st.embeddings.chunks, st.chunks);
    assert.ok(st.indexBytes > 0);
    assert.deepEqual(await second.search('invoice total including tax', 5, never()), before);
    const rebuilt = await second.build({ exclude: [], signal: never() });
    assert.equal(rebuilt.filesIndexed, 0, 'nothing to redo after a restart');
    await second.dispose();
  });

  for (const [what, damage] of [
    ['meta.json is not JSON', (dir: string) => fs.writeFileSync(path.join(dir, 'meta.json'), '{"format": 1, "ro')],
    [
      'the index file is truncated',
      (dir: string) => {
        const f = fs.readdirSync(dir).find((n) => n.startsWith('index-'))!;
        const p = path.join(dir, f);
        const bytes = fs.readFileSync(p);
        fs.writeFileSync(p, bytes.subarray(0, bytes.length >> 1));
      },
    ],
    [
      'meta.json lists chunks the BM25 index lacks',
      (dir: string) => {
        const meta = JSON.parse(fs.readFileSync(path.join(dir, 'meta.json'), 'utf8'));
        meta.files.push(['ghost.ts', 1, 1, true, 2]);
        meta.chunks += 2;
        fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify(meta));
      },
    ],
  ] as const) {
    it(`recovers from a corrupt index (${what}): reports it, then rebuilds`, async () => {
      const first = makeIndex(root, store);
      await first.build({ exclude: [], signal: never() });
      await first.dispose();
      damage(indexDirFor(store, root));

      const second = makeIndex(root, store);
      await second.ensureLoaded();
      const st = second.status();
      assert.equal(st.state, 'none');
      assert.equal(st.problem?.reason, 'corrupt-index');
      await assert.rejects(second.search('slug', 1, never()), /no code index yet/);
      const rebuilt = await second.build({ exclude: [], signal: never() });
      assert.equal(rebuilt.filesIndexed, Object.keys(FIXTURE_FILES).length);
      assert.equal(
        (await second.search('turn a title into a url slug', 1, never())).hits[0]?.rel,
        'src/text/slugify.js',
      );
      assert.equal(second.status().problem, undefined);
      await second.dispose();
    });
  }
});
