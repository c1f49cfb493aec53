// Local code search on a real tree, through the daemon's own code: a FolderIndex and its worker
// thread (the bundled dist/daemon/index-worker.mjs when built, as the daemon runs it), default caps.
// Measures a build from nothing, the index's size on disk, query latency (as gearbox/index/search
// answers: snippets and privacy flags included), re-indexing after one file changes, a save of
// the whole index, and loading it after a restart (in a fresh process, as a restarted daemon
// would). For each phase: the longest stall of this process's event loop (where the daemon serves
// inline completions: monitorEventLoopDelay, 1 ms resolution), how busy that loop was (event
// loop utilisation), and the longest the daemon's side of the index (starting a worker, sending a
// request, taking an answer) ran without a break; and the process's RSS (the daemon's: the worker
// thread lives in it). On a loaded machine the stall also counts time the OS gave other threads.
// A benchmark, not a test.
//
//   node --import tsx bench/codebase-index.ts                 # the repo's node_modules (~30k files)
//   node --import tsx bench/codebase-index.ts --root <dir> [--rounds 5] [--out name]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { FolderIndex } from '../daemon/codebase/folder-index';
import { IndexWorkerClient } from '../daemon/codebase/index-worker-client';
import { defaultIndexWorkerEntry } from '../daemon/codebase/indexes';
import { indexDirFor } from '../daemon/codebase/store';
import type { ProgressEvent } from '../daemon/codebase/workspace-index';
import { CodebaseIndexConfigSchema } from '../daemon/config';
import { createLogger } from '../daemon/log';
import { MiB, median, outName, printTable, repoRoot, summarize, writeResult } from './lib/report';

const argv = process.argv.slice(2);
const arg = (name: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const root = path.resolve(arg('root') ?? path.join(repoRoot, 'node_modules'));
const ROUNDS = Number(arg('rounds') ?? 5);
const LOADS = 3;
const IDLE_MS = 5000;

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
const never = () => new AbortController().signal;
const privacy = { privatePaths: [], privateCode: false };
const ms = (t0: number) => Math.round((performance.now() - t0) * 10) / 10;
const bundled = path.join(repoRoot, 'dist', 'daemon', 'index-worker.mjs');
const workerEntry = fs.existsSync(bundled) ? bundled : defaultIndexWorkerEntry();

/** How long each synchronous run of the daemon's index code on this thread took, since the last lap. */
let indexWork: number[] = [];
/** Times each call of a method (its synchronous part: what holds the event loop). */
function timeSyncCalls(proto: object, name: string): void {
  const target = proto as Record<string, (...args: unknown[]) => unknown>;
  const original = target[name]!;
  target[name] = function (this: unknown, ...args: unknown[]) {
    const t0 = performance.now();
    try {
      return original.apply(this, args);
    } finally {
      indexWork.push(performance.now() - t0);
    }
  };
}
// Everything the daemon runs for its index: answers and events from the worker, requests to it,
// and starting a worker (FolderIndex.worker constructs the client, which constructs the Worker).
timeSyncCalls(IndexWorkerClient.prototype, 'onMessage');
timeSyncCalls(IndexWorkerClient.prototype, 'request');
timeSyncCalls(FolderIndex.prototype, 'worker');

/** The event loop, phase by phase: its longest stall and how busy it was. */
class LoopWatch {
  private readonly delay = monitorEventLoopDelay({ resolution: 1 });
  private elu = performance.eventLoopUtilization();
  constructor() {
    this.delay.enable();
  }
  /** Since the last call: the longest stall and the p99 delay (ms), the share of time the loop ran code. */
  lap(): Lap {
    const elu = performance.eventLoopUtilization(this.elu);
    const work = summarize(indexWork);
    const out = {
      stallMaxMs: round1(this.delay.max / 1e6),
      delayP99Ms: round1(this.delay.percentile(99) / 1e6),
      utilization: Math.round(elu.utilization * 1000) / 1000,
      indexWorkCalls: work.n,
      indexWorkP99Ms: round2(work.n ? work.p99 : 0),
      indexWorkMaxMs: round2(work.n ? work.max : 0),
    };
    indexWork = [];
    this.delay.reset();
    this.elu = performance.eventLoopUtilization();
    return out;
  }
  stop(): void {
    this.delay.disable();
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const round2 = (x: number) => Math.round(x * 100) / 100;
interface Lap {
  stallMaxMs: number;
  delayP99Ms: number;
  utilization: number;
  indexWorkCalls: number;
  indexWorkP99Ms: number;
  indexWorkMaxMs: number;
}

function dirBytes(dir: string): number {
  let n = 0;
  for (const f of fs.readdirSync(dir)) n += fs.statSync(path.join(dir, f)).size;
  return n;
}

function folderIndex(store: string): FolderIndex {
  return new FolderIndex({ root, dir: indexDirFor(store, root), config, logger: quiet, workerEntry });
}

async function runQueries(index: FolderIndex, rounds: number) {
  const times: number[] = [];
  const hitCounts: number[] = [];
  // The first round warms caches (not counted).
  for (let round = 0; round <= rounds; round++) {
    for (const q of QUERIES) {
      const t0 = performance.now();
      const { hits } = await index.search(q, 10, privacy, never());
      if (round === 0) hitCounts.push(hits.length);
      else times.push(ms(t0));
    }
  }
  return { times, hitCounts };
}

/** `--load-only`: a fresh process (a restarted daemon) loads the saved index and answers queries. */
async function loadOnly(store: string): Promise<void> {
  const rssBefore = process.memoryUsage().rss;
  const loop = new LoopWatch();
  const index = folderIndex(store);
  const t0 = performance.now();
  const status = await index.status();
  const loadMs = ms(t0);
  const load = loop.lap();
  const rssLoaded = process.memoryUsage().rss;
  const { times } = await runQueries(index, 1);
  const search = loop.lap();
  const rssAfterQueries = process.memoryUsage().rss;
  await index.dispose();
  loop.stop();
  const result = { loadMs, chunks: status.chunks, load, search, times, rssBefore, rssLoaded, rssAfterQueries };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function main(): Promise<void> {
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'gearbox-bench-index-'));
  const loadAverage: { start: number[]; end?: number[] } = { start: os.loadavg().map(round1) };
  console.log(`indexing ${root} (index in ${store}, worker ${path.relative(repoRoot, workerEntry)})`);
  const loop = new LoopWatch();
  // Nothing running yet: the stalls the machine's load alone causes (the noise floor of the rest).
  await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
  const idle = loop.lap();
  const rssBefore = process.memoryUsage().rss;
  const index = folderIndex(store);
  const phases: { phase: ProgressEvent['phase']; at: number }[] = [];
  const laps: Record<string, Lap> = {};
  let t0 = performance.now();
  const offBuild = index.onProgress((e) => {
    if (phases.at(-1)?.phase === e.phase) return;
    phases.push({ phase: e.phase, at: performance.now() - t0 });
    // The save is the last step of a first build: its stall is measured apart.
    if (e.phase === 'saving') laps.build = loop.lap();
  });
  loop.lap();
  const built = await index.build({ exclude: [], signal: never() });
  const buildMs = ms(t0);
  offBuild();
  laps.save = loop.lap();
  const savingAt = phases.find((p) => p.phase === 'saving')?.at ?? buildMs;
  const rssAfterBuild = process.memoryUsage().rss;
  const status = built.status;
  const onDisk = dirBytes(indexDirFor(store, root));

  const queries = await runQueries(index, ROUNDS);
  laps.search = loop.lap();

  // One file changes: its mtime moves (content untouched: node_modules is not ours to edit).
  const probe = (await index.search('parse command line arguments', 1, privacy, never())).hits[0]?.path;
  if (!probe) throw new Error('no file to change: the search found nothing');
  const file = path.join(root, probe);
  const { atime, mtime } = fs.statSync(file);
  const notify: number[] = [];
  const incremental: number[] = [];
  let lastIncremental = built.outcome;
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
      lastIncremental = (await index.build({ exclude: [], signal: never() })).outcome;
      incremental.push(ms(t0));
    }
  } finally {
    fs.utimesSync(file, atime, mtime);
  }
  laps.update = loop.lap();
  // The updates left unsaved changes: this is a save of the whole index (compaction and write).
  t0 = performance.now();
  await index.flush();
  const flushMs = ms(t0);
  laps.flush = loop.lap();
  // The worker that built holds the parse's memory: it is stopped once idle (30 s after a large
  // build), and the next search starts one that holds only the loaded index.
  t0 = performance.now();
  // (A small tree's worker stays for its full idle time: nothing to wait for then.)
  const recycles = built.outcome.filesIndexed >= 1000;
  while (recycles && index.running) await new Promise((r) => setTimeout(r, 500));
  const recycledAfterMs = ms(t0);
  const rssStopped = process.memoryUsage().rss;
  if (recycles) laps['idle until the worker stops'] = loop.lap();
  t0 = performance.now();
  await index.search('parse command line arguments', 10, privacy, never());
  const reloadMs = ms(t0);
  if (recycles) laps['first search on a new worker'] = loop.lap();
  const rssReloaded = process.memoryUsage().rss;
  await index.dispose();
  loop.stop();

  // A daemon restart: a fresh process loads the saved index (its RSS is then the daemon's).
  const loads: Record<string, unknown>[] = [];
  for (let i = 0; i < LOADS; i++) {
    const out = execFileSync(
      process.execPath,
      [...process.execArgv, process.argv[1]!, '--load-only', store, '--root', root],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 16 * MiB },
    );
    const r = JSON.parse(out.trim().split('\n').at(-1)!);
    if (r.chunks !== status.chunks) throw new Error(`the loaded index has ${r.chunks} chunks, not ${status.chunks}`);
    loads.push(r);
  }
  fs.rmSync(store, { recursive: true, force: true });
  loadAverage.end = os.loadavg().map(round1);
  const loadEnd = loadAverage.end;

  const pick = <T>(key: string) => loads.map((l) => l[key] as T);
  const loadMs = summarize(pick<number>('loadMs'));
  const rssLoaded = summarize(loads.map((l) => ((l.rssLoaded as number) - (l.rssBefore as number)) / MiB));
  const rssQueried = summarize(loads.map((l) => ((l.rssAfterQueries as number) - (l.rssBefore as number)) / MiB));
  const fullS = summarize(queries.times);
  const notifyS = summarize(notify);
  const incS = summarize(incremental);
  const mib = (b: number) => round1(b / MiB);
  printTable(`code index of ${root}`, [
    ['', 'value'],
    ['files indexed', status.files],
    ['chunks', status.chunks],
    ['source MiB', mib(status.sourceBytes)],
    [
      'skipped (too large / binary / over cap)',
      `${status.skipped.tooLarge} / ${status.skipped.binary} / ${status.skipped.overCap}`,
    ],
    ['build from nothing, s (of which saving)', `${round1(buildMs / 1000)} (${round1((buildMs - savingAt) / 1000)})`],
    ['index on disk, MiB', mib(onDisk)],
    ['RSS growth after the build, MiB', mib(rssAfterBuild - rssBefore)],
    [`  … once its idle worker stopped (${round1(recycledAfterMs / 1000)} s later)`, mib(rssStopped - rssBefore)],
    [`  … with a new worker, index loaded (${reloadMs} ms), MiB`, mib(rssReloaded - rssBefore)],
    ['RSS growth of a restarted daemon with the index loaded, MiB (median)', round1(rssLoaded.p50)],
    ['  … after 30 queries', round1(rssQueried.p50)],
    ['load the saved index (restart), ms (median)', loadMs.p50],
    ['save the whole index (flush), ms', flushMs],
  ]);
  const row = (name: string, l: Lap) => [
    name,
    l.stallMaxMs,
    l.delayP99Ms,
    l.utilization,
    `${l.indexWorkP99Ms} / ${l.indexWorkMaxMs} (${l.indexWorkCalls})`,
  ];
  const medianLap = (key: string): Lap => {
    const all = pick<Lap>(key);
    const m = (f: (l: Lap) => number) => median(all.map(f));
    return {
      stallMaxMs: m((l) => l.stallMaxMs),
      delayP99Ms: m((l) => l.delayP99Ms),
      utilization: m((l) => l.utilization),
      indexWorkCalls: m((l) => l.indexWorkCalls),
      indexWorkP99Ms: m((l) => l.indexWorkP99Ms),
      indexWorkMaxMs: m((l) => l.indexWorkMaxMs),
    };
  };
  printTable('daemon event loop (this process), ms: stalls, utilisation, index code run at once', [
    ['phase', 'max stall', 'p99 delay', 'busy', 'index work p99 / max (calls)'],
    row(`before (${IDLE_MS / 1000} s, nothing running)`, idle),
    ...Object.entries(laps).map(([k, v]) => row(k, v)),
    row('load (restart, median of 3)', medianLap('load')),
    row('search after a restart (median of 3)', medianLap('search')),
  ]);
  printTable(`queries (${QUERIES.length} × ${ROUNDS} rounds, k = 10, snippets + privacy)`, [
    ['ms', 'p50', 'p99', 'max'],
    ['gearbox/index/search through the worker', fullS.p50, fullS.p99, fullS.max],
  ]);
  printTable(`one file changes (${probe}), ${ROUNDS} rounds`, [
    ['ms', 'p50', 'max'],
    ['watched-file notification → re-indexed', notifyS.p50, notifyS.max],
    ['explicit incremental build (walk + diff + that file)', incS.p50, incS.max],
  ]);
  console.log(`\nload average (1/5/15 min): start ${loadAverage.start.join(' ')}, end ${loadEnd.join(' ')}`);
  writeResult(outName('codebase-index'), {
    root: path.relative(repoRoot, root) || root,
    worker: path.relative(repoRoot, workerEntry),
    loadAverage,
    config: { maxFileBytes: config.maxFileBytes, maxFiles: config.maxFiles, maxTotalBytes: config.maxTotalBytes },
    build: {
      ms: buildMs,
      savingMs: round1(buildMs - savingAt),
      phases,
      ...built.outcome,
      status,
      indexBytesOnDisk: onDisk,
      rssGrowthBytes: rssAfterBuild - rssBefore,
    },
    workerRecycle: {
      afterMs: recycledAfterMs,
      rssGrowthStoppedBytes: rssStopped - rssBefore,
      reloadMs,
      rssGrowthReloadedBytes: rssReloaded - rssBefore,
    },
    eventLoop: { before: idle, ...laps, load: pick('load'), searchAfterLoad: pick('search') },
    queries: { count: QUERIES.length, rounds: ROUNDS, k: 10, searchMs: fullS, hitCounts: queries.hitCounts },
    oneFileChange: { file: probe, notifyMs: notifyS, incrementalBuildMs: incS, incremental: lastIncremental },
    flushMs,
    load: { ms: loadMs, rssGrowthMiB: rssLoaded, rssGrowthAfterQueriesMiB: rssQueried, runs: loads },
  });
}

const loadStore = arg('load-only');
await (loadStore ? loadOnly(loadStore) : main());
