// What real token counts cost (issue 10): each tokenizer's time per count at 1 KB, 20 KB and 200 KB
// of source text (uncached: every text is new), a cache hit's cost, the one-time loads (BPE ranks,
// a GGUF vocabulary), and the router's decision latency with counting in front of it: route()
// alone, then count + route for a chat whose earlier turns were counted before (the usual case),
// and for one that is all new. Also how far chars / 4 is from each real count (why counting).
// Writes bench/results/tokens.json. Not a test: timings vary by machine.
//   node --import tsx bench/tokens.ts [--quick]
import fs from 'node:fs';
import path from 'node:path';
import { buildCatalog } from '../daemon/catalog/catalog';
import { createLogger } from '../daemon/log';
import { ModelHostClient } from '../daemon/model-host/client';
import { type RouteInput, route } from '../daemon/routing';
import { loadBpe } from '../daemon/tokens/bpe';
import { countRequestTokens, routeCandidates } from '../daemon/tokens/request-tokens';
import { TokenCache } from '../daemon/tokens/token-cache';
import { TokenCounter } from '../daemon/tokens/token-counter';
import { WorkspaceSettings } from '../shared/protocol';
import { makeTestModel } from '../test/fixtures/make-test-model';
import { printTable, repoRoot, summarize, writeResult } from './lib/report';

const quick = process.argv.includes('--quick');
const SIZES = [1024, 20 * 1024, 200 * 1024];
const ITERATIONS: Record<number, number> = quick
  ? { 1024: 20, 20480: 4, 204800: 2 }
  : { 1024: 200, 20480: 20, 204800: 5 };

/** The daemon's own TypeScript, concatenated: real code, as prompts carry it. */
function corpus(): string {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (p.endsWith('.ts')) files.push(p);
    }
  };
  walk(path.join(repoRoot, 'daemon'));
  return files
    .sort()
    .map((f) => fs.readFileSync(f, 'utf8'))
    .join('\n');
}
const source = corpus();
/** `n` characters of the corpus, starting at a different place for each `i`: never the same text twice. */
const textOf = (n: number, i: number) => {
  const start = (i * 7919) % (source.length - n);
  return source.slice(start, start + n);
};

async function time(fn: (i: number) => Promise<unknown> | unknown, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await fn(i);
    out.push(performance.now() - t);
  }
  return out;
}

const logger = createLogger({ level: 'warn' });
const modelPath = makeTestModel({ shape: 'tiny' });
const bundled = path.join(repoRoot, 'dist', 'daemon', 'model-host.mjs');
const host = new ModelHostClient({
  entry: fs.existsSync(bundled) ? bundled : path.join(repoRoot, 'daemon', 'model-host', 'main.ts'),
  models: [{ id: 'local/qwen', source: modelPath, contextSize: 32_768 }],
  modelsDir: path.join(repoRoot, '.cache', 'bench-models'),
  threads: 1,
  gpu: false,
  idleUnloadMs: 0,
  logger,
});

// ---------- one-time loads ----------
const rssMiB = () => Math.round(process.memoryUsage().rss / 2 ** 20);
const rss: Record<string, number> = { start: rssMiB() };
const loads: Record<string, number> = {};
for (const enc of ['o200k_base', 'cl100k_base'] as const) {
  const t = performance.now();
  await loadBpe(enc);
  loads[enc] = performance.now() - t;
}
rss['o200k_base and cl100k_base loaded'] = rssMiB();
{
  await host.hardware(); // starts the child and llama.cpp: not part of a vocabulary's cost
  let t = performance.now();
  await host.tokenize({ modelId: 'local/qwen', texts: ['x'] });
  loads['first count of a local model (opens its GGUF vocabulary)'] = performance.now() - t;
  t = performance.now();
  await host.tokenize({ modelId: 'local/qwen', texts: ['x'] });
  loads['next count (vocabulary open): the IPC round trip'] = performance.now() - t;
}

// ---------- cost per count, uncached ----------
const o200k = await loadBpe('o200k_base');
const cl100k = await loadBpe('cl100k_base');
const tokenizers: { name: string; count: (text: string) => Promise<number> | number }[] = [
  { name: 'o200k_base (gpt-tokenizer)', count: o200k },
  { name: 'cl100k_base (gpt-tokenizer)', count: cl100k },
  {
    name: 'local model, own vocabulary (model host IPC)',
    count: async (text) => (await host.tokenize({ modelId: 'local/qwen', texts: [text] })).counts[0]!,
  },
  { name: 'chars / 4', count: (text) => Math.ceil(text.length / 4) },
];
const perCount: Record<string, Record<string, ReturnType<typeof summarize>>> = {};
const rows: (string | number)[][] = [['tokenizer', ...SIZES.map((s) => `${s / 1024} KB p50 ms`), '200 KB p99 ms']];
for (const tk of tokenizers) {
  perCount[tk.name] = {};
  const row: (string | number)[] = [tk.name];
  for (const size of SIZES) {
    await tk.count(textOf(size, 999)); // warm-up
    const s = summarize(await time((i) => tk.count(textOf(size, i)), ITERATIONS[size]!));
    perCount[tk.name]![`${size}`] = s;
    row.push(s.p50);
  }
  row.push(perCount[tk.name]![`${SIZES.at(-1)}`]!.p99);
  rows.push(row);
}
printTable('cost per count, every text new (ms)', rows);
console.log(
  '  one-time loads (ms):',
  Object.entries(loads)
    .map(([k, v]) => `${k} ${v.toFixed(1)}`)
    .join('; '),
);

// ---------- cache hits ----------
const counter = new TokenCounter({ modelHost: host, logger });
const gpt = buildCatalog({
  providers: [],
  localModels: [],
  providersWithKeys: new Set(['openai']),
  loadedLocal: new Set(),
}).find((m) => m.id === 'openai/gpt-5')!;
const hitRows: (string | number)[][] = [['text', 'hit p50 µs', 'hit p99 µs', 'of which hashing p50 µs']];
const hits: Record<string, unknown> = {};
for (const size of SIZES) {
  const text = textOf(size, 12345);
  await counter.count(gpt, [text]);
  const n = ITERATIONS[size]! * 5;
  const hit = summarize((await time(() => counter.count(gpt, [text]), n)).map((ms) => ms * 1000));
  const hash = summarize((await time(() => TokenCache.key('o200k_base', text), n)).map((ms) => ms * 1000));
  hits[`${size}`] = { hit, hash };
  hitRows.push([`${size / 1024} KB`, hit.p50, hit.p99, hash.p50]);
}
printTable('cache hit: count of a text counted before (µs)', hitRows);

// ---------- the router with counting in front ----------
const catalog = buildCatalog({
  providers: [{ id: 'deepseek', kind: 'openai-compatible' }],
  localModels: [{ id: 'local/qwen', source: modelPath, tier: 1, contextSize: 32_768 }],
  providersWithKeys: new Set(['openai', 'anthropic', 'gemini', 'deepseek']),
  loadedLocal: new Set(),
});
const settings = WorkspaceSettings.parse({ routing: { mode: 'auto', quality: 6 } });
/** A chat message: a question with ~2 KB of code (as bench/router-bench.ts) after `turns` earlier turns of ~1.3 KB. */
const chat = (seed: number, turns: number, turnSeed = 100): RouteInput => ({
  task: 'chat',
  prompt: `why does this deadlock under load? (${seed})`,
  selectionText: textOf(2048, seed),
  extraTexts: Array.from({ length: turns }, (_, t) => textOf(1300, turnSeed + t)),
  settings,
});
const TURNS = 10;
const N = quick ? 300 : 3000;
const candidates = routeCandidates(catalog, { task: 'chat', settings });
// The local model's vocabulary is open (an earlier count opened it), as in a running daemon.
await counter.count(catalog.find((m) => m.id === 'local/qwen')!, ['open the vocabulary']);
const us = (ms: number[]) => summarize(ms.map((x) => x * 1000));
/** route() itself, as bench/router-bench.ts measures it, without and with counts to read. */
async function routeCost(turns: number) {
  const inputs = Array.from({ length: 64 }, (_, i) => chat(i, turns));
  const counted = await Promise.all(inputs.map((x) => countRequestTokens(counter, x, candidates)));
  for (let i = 0; i < 2000; i++) route({ ...inputs[i % 64]!, tokens: counted[i % 64]! }, catalog); // JIT warm-up
  const alone = us(await time((i) => route(inputs[i % 64]!, catalog), N));
  const reading = us(await time((i) => route({ ...inputs[i % 64]!, tokens: counted[i % 64]! }, catalog), N));
  return { alone, reading };
}
const short = await routeCost(0);
const { alone: routeOnly, reading: routeReading } = await routeCost(TURNS);
const countThenRoute = async (input: RouteInput) => {
  const tokens = await countRequestTokens(counter, input, candidates);
  return route({ ...input, tokens }, catalog);
};
// The usual case: the earlier turns were counted with the previous message; the question and code are new.
const warm = summarize(await time((i) => countThenRoute(chat(10_000 + i, TURNS)), N / 10));
// Nothing counted before (a long conversation's first request to this daemon).
const cold = summarize(await time((i) => countThenRoute(chat(20_000 + i, TURNS, 30_000 + i * TURNS)), N / 30));
printTable(`router decision, ${candidates.length} candidates: a 2 KB message, and one after ${TURNS} turns (~15 KB)`, [
  ['', 'p50', 'p99', 'unit'],
  ['2 KB message: route() alone, chars / 4 (before)', short.alone.p50, short.alone.p99, 'µs'],
  ['2 KB message: route() reading the counts', short.reading.p50, short.reading.p99, 'µs'],
  [`${TURNS} turns: route() alone, chars / 4 (before)`, routeOnly.p50, routeOnly.p99, 'µs'],
  [`${TURNS} turns: route() reading the counts`, routeReading.p50, routeReading.p99, 'µs'],
  [`${TURNS} turns: count + route, earlier turns cached`, warm.p50, warm.p99, 'ms'],
  [`${TURNS} turns: count + route, nothing cached`, cold.p50, cold.p99, 'ms'],
]);

// ---------- how far chars / 4 is ----------
const sample = textOf(200 * 1024, 4242);
const prose = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
const accuracy: Record<string, unknown> = {};
const accRows: (string | number)[][] = [
  ['text', 'chars / 4', 'o200k_base', 'cl100k_base', 'Qwen2.5 (local)', 'Qwen ÷ o200k'],
];
for (const [name, text] of [
  ['200 KB of TypeScript', sample],
  ['README (prose)', prose],
] as const) {
  const own = (await host.tokenize({ modelId: 'local/qwen', texts: [text] })).counts[0]!;
  const a = { chars4: Math.ceil(text.length / 4), o200k: o200k(text), cl100k: cl100k(text), qwen: own };
  accuracy[name] = a;
  accRows.push([name, a.chars4, a.o200k, a.cl100k, a.qwen, Math.round((a.qwen / a.o200k) * 1000) / 1000]);
}
printTable('tokens of the same text', accRows);

rss.end = rssMiB();
console.log(
  '  daemon-side RSS (MiB):',
  Object.entries(rss)
    .map(([k, v]) => `${k} ${v}`)
    .join('; '),
);
const hostRss = (await host.status()).rssBytes;
console.log(`  model host RSS with the vocabulary open: ${Math.round((hostRss ?? 0) / 2 ** 20)} MiB`);
await host.dispose();
writeResult('tokens', {
  rssMiB: { ...rss, modelHostWithVocabulary: Math.round((hostRss ?? 0) / 2 ** 20) },
  loadsMs: loads,
  perCountMs: perCount,
  cacheHitUs: hits,
  router: {
    candidates: candidates.length,
    shortMessageUs: short,
    turns: TURNS,
    routeOnlyUs: routeOnly,
    routeReadingUs: routeReading,
    warmMs: warm,
    coldMs: cold,
  },
  accuracy,
});
