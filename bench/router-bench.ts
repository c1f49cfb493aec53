// Router decision latency: 100k route() decisions (difficulty estimate + policy + secret scan),
// p50/p99, written to bench/results/router.json with the machine's load average before and after
// (a p99 on a busy machine measures the machine). Not a test: timings vary by machine.
//   npm run bench:router [-- decisions]   (bundled as the daemon ships: scripts/run-bundled.mjs)
// ROUTER_BENCH_ONLY=<name prefix> measures one series (for a profiler); ROUTER_BENCH_TAIL=1 prints
// p90 to p99.9 too.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCatalog } from '../daemon/catalog/catalog';
import { WorkspaceSettings } from '../shared/protocol';
import { estimateDifficulty, route, type RouteInput } from '../daemon/routing';

const N = Number(process.argv[2] ?? 100_000);
const ONLY = process.env.ROUTER_BENCH_ONLY;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const catalog = buildCatalog({
  providers: [
    { id: 'xai', kind: 'openai-compatible' },
    { id: 'deepseek', kind: 'openai-compatible' },
  ],
  localModels: [
    { id: 'local/qwen2.5-coder-1.5b', source: 'a.gguf', tier: 0, tasks: ['completion'] },
    { id: 'local/qwen2.5-coder-7b', source: 'b.gguf', tier: 1, contextSize: 32_768 },
  ],
  providersWithKeys: new Set(['openai', 'anthropic', 'gemini', 'xai']),
  loadedLocal: new Set(['local/qwen2.5-coder-1.5b']),
});
// Every policy rule on: private paths, secret scan, budget caps, quality knob.
const settings = WorkspaceSettings.parse({
  privatePaths: ['internal/**', '*.pem', '.env*', 'secrets/'],
  budget: { dailyUsd: 5, monthlyUsd: 50 },
  routing: { mode: 'auto', quality: 6 },
});

// ~2 KB: a question plus a code selection, varied per call so nothing is trivially cached.
const code = Array.from(
  { length: 40 },
  (_, i) => `  if (queue${i % 7}.length > limit && !closed) { for (const job of queue${i % 7}) await run(job, ${i}); }`,
).join('\n');
const asks = [
  'explain this',
  'debug this race condition',
  'rename the variables',
  'optimise the hot loop',
  'design a better API for this',
  'add docstrings',
  'why does this deadlock under load',
];
const inputs: RouteInput[] = [];
// Every fourth request carries a function stub with doctests in the prompt (code lines are read apart).
const stub = (i: number) =>
  `\n\ndef f${i}(xs: list, k: int) -> int:\n    """Count items above k.\n    >>> f${i}([1, 5, 7], 4)\n    2\n    """\n`;
for (let i = 0; i < 64; i++) {
  const a = asks[i % asks.length]!;
  inputs.push({
    task: i % 3 === 0 ? 'refactor' : 'chat',
    prompt:
      `${a}. ${'Some context about what the code is for and what I tried. '.repeat(1 + (i % 4))}` +
      (i % 4 ? '' : stub(i)),
    selectionText: code.slice(0, 1200 + (i % 9) * 80),
    languageId: i % 5 === 0 ? 'rust' : 'typescript',
    conversationDepth: i % 4,
    priorFailures: i % 11 === 0 ? 1 : 0,
    filePath: i % 8 === 0 ? `/home/dev/app/internal/billing/rates${i}.ts` : `/home/dev/app/src/feature${i}.ts`,
    workspaceRoots: ['/home/dev/app'],
    budget: { spentTodayUsd: (i % 13) * 0.5, spentMonthUsd: 10 + i },
    settings,
  });
}
// + ~20 KB file scanned for secrets
const withFile = inputs.map((x, i) => ({ ...x, fileText: `${code}\n`.repeat(5 + (i % 3)) }));
const completions: RouteInput[] = inputs.map((x, i) => ({
  task: 'completion',
  prompt: code.slice(0, 600 + (i % 9) * 100),
  settings,
  filePath: x.filePath,
  workspaceRoots: x.workspaceRoots,
}));

interface Stat {
  n: number;
  p50Us: number;
  p99Us: number;
  maxUs: number;
  meanUs: number;
}

function measure(name: string, fn: (i: number) => unknown, n = N): Stat {
  if (ONLY && !name.startsWith(ONLY)) return { n: 0, p50Us: 0, p99Us: 0, maxUs: 0, meanUs: 0 };
  for (let i = 0; i < 5000; i++) fn(i); // warm-up: let the JIT settle
  const t = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    fn(i);
    t[i] = performance.now() - s;
    sum += t[i]!;
  }
  t.sort();
  const q = (p: number) => Math.round(t[Math.min(n - 1, Math.floor(p * n))]! * 1e4) / 10;
  const stat = { n, p50Us: q(0.5), p99Us: q(0.99), maxUs: q(1), meanUs: Math.round((sum / n) * 1e4) / 10 };
  console.log(`${name.padEnd(34)} n=${n}  p50 ${stat.p50Us} µs  p99 ${stat.p99Us} µs  max ${stat.maxUs} µs`);
  if (process.env.ROUTER_BENCH_TAIL)
    console.log(`  p90 ${q(0.9)} p95 ${q(0.95)} p98 ${q(0.98)} p99 ${q(0.99)} p99.5 ${q(0.995)} p99.9 ${q(0.999)}`);
  return stat;
}

console.log(
  `catalog: ${catalog.length} models; chat input ~${inputs[0]!.prompt.length + inputs[0]!.selectionText!.length} chars`,
);
const loadBefore = os.loadavg().map((x) => Math.round(x * 100) / 100);
const results = {
  date: new Date().toISOString(),
  cpus: os.cpus().length,
  loadAvg1m5m15mBefore: loadBefore,
  node: process.version,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  catalogModels: catalog.length,
  budgetP99Us: 200,
  estimateDifficulty: measure('estimateDifficulty', (i) => estimateDifficulty(inputs[i % inputs.length]!)),
  route: measure('route (chat/refactor, ~2 KB)', (i) => route(inputs[i % inputs.length]!, catalog)),
  routeCompletion: measure('route (completion)', (i) => route(completions[i % completions.length]!, catalog)),
  routeWithFile20KB: measure(
    'route (+20 KB file scanned)',
    (i) => route(withFile[i % withFile.length]!, catalog),
    Math.min(N, 20_000),
  ),
};
const withLoad = { ...results, loadAvg1m5m15mAfter: os.loadavg().map((x) => Math.round(x * 100) / 100) };
console.log(
  `load average (1, 5, 15 min) before ${loadBefore.join(' ')}, after ${withLoad.loadAvg1m5m15mAfter.join(' ')}`,
);
const ok = results.route.p99Us < results.budgetP99Us;
console.log(`route p99 ${results.route.p99Us} µs: ${ok ? 'within' : 'OVER'} the ${results.budgetP99Us} µs budget`);
fs.mkdirSync(path.join(root, 'bench/results'), { recursive: true });
fs.writeFileSync(path.join(root, 'bench/results/router.json'), `${JSON.stringify(withLoad, null, 2)}\n`);
