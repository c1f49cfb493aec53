// Local code search on a real tree: the daemon's own index code (daemon/codebase, in-process, as a
// connection's gearbox/index/* requests drive it), default caps. Measures a build from nothing,
// the index's size on disk, query latency (ranking alone, and with snippets and privacy flags as
// gearbox/index/search answers), re-indexing after one file changes (a watched-file notification,
// and an explicit incremental build), loading the saved index (a daemon restart), and the longest
// event-loop stall while building (what a completion request could wait). A benchmark, not a test.
//
//   node --import tsx bench/codebase-index.ts                 # the repo's node_modules (~30k files)
//   node --import tsx bench/codebase-index.ts --root <dir> [--rounds 5] [--out name]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { toSearchHits } from '../daemon/codebase/search-hits';
import { indexDirFor } from '../daemon/codebase/store';
import { WorkspaceIndex, type ProgressEvent } from '../daemon/codebase/workspace-index';
import { CodebaseIndexConfigSchema } from '../daemon/config';
import { createLogger } from '../daemon/log';
import { MiB, outName, printTable, repoRoot, summarize, writeResult } from './lib/report';

const argv = process.argv.slice(2);
const arg = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const root = path.resolve(arg('root') ?? path.join(repoRoot, 'node_modules'));
const ROUNDS = Number(arg('rounds') ?? 5);

/** Descriptions and identifiers, as a chat's @codebase would ask. */
const QUERIES = [
  'parse command line arguments',
  'read a file and split it into lines',
  'websocket connection handshake',
  'retry a request with backoff',
  'convert a string to camel case',
  'deep merge two objects',
  'compare semantic versions',
  'glob pattern matching',
  'create a temporary directory',
  'format a date',
  'escape html entities',
  'json schema validation error message',
  'stream backpressure drain event',
  'hash a string with sha256',
  'gzip compress a buffer',
  'promise timeout abort signal',
  'walk a directory recursively',
  'typescript type checker resolve symbol',
  'markdown tokenizer heading',
  'zod object schema parse',
  'createRequire',
  'EventEmitter once',
  'base64 decode',
  'http request headers content length',
  'signal handler process exit',
  'levenshtein distance',
  'lru cache eviction',
  'syntax tree visitor',
  'utf8 decode invalid byte sequence',
  'spawn child process and capture output',
];

const quiet = createLogger({ level: 'warn', write: (l) => process.stderr.write(`${l}\n`) });
const config = CodebaseIndexConfigSchema.parse({ updateDelayMs: 0 });
const store = fs.mkdtempSync(path.join(os.tmpdir(), 'gearbox-bench-index-'));
const never = () => new AbortController().signal;
const ms = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;

function dirBytes(dir: string): number {
  let n = 0;
  for (const f of fs.readdirSync(dir)) n += fs.statSync(path.join(dir, f)).size;
  return n;
}

async function main(): Promise<void> {
  console.log(`indexing ${root} (index in ${store})`);
  const index = new WorkspaceIndex({ root, dir: indexDirFor(store, root), config, logger: quiet });
  const stall = monitorEventLoopDelay({ resolution: 10 });
  stall.enable();
  const rssBefore = process.memoryUsage().rss;
  let t0 = performance.now();
  const built = await index.build({ exclude: [], signal: never() });
  const buildMs = ms(t0);
  stall.disable();
  const status = index.status();
  const rssAfter = process.memoryUsage().rss;
  const onDisk = dirBytes(indexDirFor(store, root));

  // Queries: the first round warms caches (not counted).
  const rank: number[] = [];
  const full: number[] = [];
  const hitCounts: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    for (const q of QUERIES) {
      t0 = performance.now();
      const found = await index.search(q, 10, never());
      const rankMs = ms(t0);
      const hits = await toSearchHits(root, found.hits, { privatePaths: [], privateCode: false });
      const fullMs = ms(t0);
      if (round === 0) {
        hitCounts.push(hits.length);
        continue;
      }
      rank.push(rankMs);
      full.push(fullMs);
    }
  }

  // One file changes: its mtime moves (content untouched: node_modules is not ours to edit).
  const probe = (await index.search('parse command line arguments', 1, never())).hits[0]?.rel;
  if (!probe) throw new Error('no file to change: the search found nothing');
  const file = path.join(root, probe);
  const { atime, mtime } = fs.statSync(file);
  const notify: number[] = [];
  const incremental: number[] = [];
  let lastIncremental = { filesIndexed: -1, filesUnchanged: -1 };
  try {
    for (let i = 0; i < ROUNDS; i++) {
      fs.utimesSync(file, atime, new Date(Date.now() + (i + 1) * 1000));
      const updated = new Promise<ProgressEvent>((resolve) => {
        const off = index.onProgress((e) => {
          if (e.phase !== 'updated') return;
          off();
          resolve(e);
        });
      });
      t0 = performance.now();
      index.notifyChanges([{ rel: probe, deleted: false }]);
      const e = await updated;
      notify.push(ms(t0));
      if (e.filesIndexed !== 1) throw new Error(`update re-indexed ${e.filesIndexed} files`);
      fs.utimesSync(file, atime, new Date(Date.now() + (i + 1) * 1000 + 500));
      t0 = performance.now();
      lastIncremental = await index.build({ exclude: [], signal: never() });
      incremental.push(ms(t0));
    }
  } finally {
    fs.utimesSync(file, atime, mtime);
  }
  await index.dispose();

  // A daemon restart: the saved index loads.
  const loads: number[] = [];
  for (let i = 0; i < Math.min(ROUNDS, 3); i++) {
    const again = new WorkspaceIndex({ root, dir: indexDirFor(store, root), config, logger: quiet });
    t0 = performance.now();
    await again.ensureLoaded();
    loads.push(ms(t0));
    if (again.status().chunks !== status.chunks) throw new Error('the loaded index differs');
    await again.dispose();
  }
  fs.rmSync(store, { recursive: true, force: true });

  const rankS = summarize(rank);
  const fullS = summarize(full);
  const notifyS = summarize(notify);
  const incS = summarize(incremental);
  const loadS = summarize(loads);
  printTable(`code index of ${root}`, [
    ['', 'value'],
    ['files indexed', status.files],
    ['chunks', status.chunks],
    ['source MiB', Math.round((status.sourceBytes / MiB) * 10) / 10],
    [
      'skipped (too large / binary / over cap)',
      `${status.skipped.tooLarge} / ${status.skipped.binary} / ${status.skipped.overCap}`,
    ],
    ['build from nothing, s', Math.round(buildMs / 100) / 10],
    ['index on disk, MiB', Math.round((onDisk / MiB) * 10) / 10],
    ['RSS growth, MiB', Math.round(((rssAfter - rssBefore) / MiB) * 10) / 10],
    ['longest event-loop stall while building, ms', Math.round(stall.max / 1e5) / 10],
  ]);
  printTable(`queries (${QUERIES.length} × ${ROUNDS} rounds, k = 10)`, [
    ['ms', 'p50', 'p99', 'max'],
    ['ranking only', rankS.p50, rankS.p99, rankS.max],
    ['with snippets + privacy (gearbox/index/search)', fullS.p50, fullS.p99, fullS.max],
  ]);
  printTable(`one file changes (${probe}), ${ROUNDS} rounds`, [
    ['ms', 'p50', 'max'],
    ['watched-file notification → re-indexed', notifyS.p50, notifyS.max],
    ['explicit incremental build (walk + diff + that file)', incS.p50, incS.max],
    ['load the saved index (restart)', loadS.p50, loadS.max],
  ]);
  writeResult(outName('codebase-index'), {
    root: path.relative(repoRoot, root) || root,
    config: { maxFileBytes: config.maxFileBytes, maxFiles: config.maxFiles, maxTotalBytes: config.maxTotalBytes },
    build: { ms: buildMs, ...built, status, indexBytesOnDisk: onDisk, rssGrowthBytes: rssAfter - rssBefore },
    eventLoopStallMaxMs: Math.round(stall.max / 1e5) / 10,
    queries: { count: QUERIES.length, rounds: ROUNDS, k: 10, rankingMs: rankS, searchMs: fullS, hitCounts },
    oneFileChange: { file: probe, notifyMs: notifyS, incrementalBuildMs: incS, incremental: lastIncremental },
    loadMs: loadS,
  });
}

await main();
