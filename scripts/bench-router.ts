// Decision latency of the router, for the record (not a test: timings vary by machine).
//   node --import tsx scripts/bench-router.ts [decisions]
import { buildCatalog } from '../shared/catalog';
import { WorkspaceSettings } from '../shared/protocol';
import { estimateDifficulty, route, type RouteInput } from '../shared/router';

const N = Number(process.argv[2] ?? 10_000);

const catalog = buildCatalog({
  providers: [{ id: 'xai', kind: 'openai-compatible' }, { id: 'deepseek', kind: 'openai-compatible' }],
  localModels: [
    { id: 'local/qwen2.5-coder-1.5b', source: 'a.gguf', tier: 0, tasks: ['completion'] },
    { id: 'local/qwen2.5-coder-7b', source: 'b.gguf', tier: 1, contextSize: 32_768 },
  ],
  providersWithKeys: new Set(['openai', 'anthropic', 'gemini', 'xai']),
  loadedLocal: new Set(['local/qwen2.5-coder-1.5b']),
});
const settings = WorkspaceSettings.parse({});

// ~2 KB: a question plus a code selection, varied per call so nothing is trivially cached.
const code = Array.from(
  { length: 40 },
  (_, i) => `  if (queue${i % 7}.length > limit && !closed) { for (const job of queue${i % 7}) await run(job, ${i}); }`,
).join('\n');
const asks = ['explain this', 'debug this race condition', 'rename the variables', 'optimise the hot loop', 'design a better API for this'];
const inputs: RouteInput[] = asks.map((a, i) => ({
  task: i % 3 === 0 ? 'refactor' : 'chat',
  prompt: `${a}. ${'Some context about what the code is for and what I tried. '.repeat(4)}`,
  selectionText: code.slice(0, 1600 + i * 50),
  languageId: 'typescript',
  conversationDepth: i,
  settings,
}));
console.log(`catalog: ${catalog.length} models; input ~${inputs[0]!.prompt.length + inputs[0]!.selectionText!.length} chars`);

function measure(name: string, fn: (i: number) => unknown): void {
  for (let i = 0; i < 1000; i++) fn(i); // warm-up: let the JIT settle
  const t = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const s = performance.now();
    fn(i);
    t[i] = performance.now() - s;
  }
  t.sort();
  const q = (p: number) => t[Math.min(N - 1, Math.floor(p * N))]!;
  console.log(`${name.padEnd(20)} n=${N}  p50 ${(q(0.5) * 1000).toFixed(1)} µs  p99 ${(q(0.99) * 1000).toFixed(1)} µs  max ${(q(1) * 1000).toFixed(1)} µs`);
}

measure('estimateDifficulty', (i) => estimateDifficulty(inputs[i % inputs.length]!));
measure('route (decision)', (i) => route(inputs[i % inputs.length]!, catalog));
