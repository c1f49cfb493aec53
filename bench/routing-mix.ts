// Where a demo mix of editor requests lands: the 185 hand-written editor prompts
// (scripts/data/editor-prompts.jsonl) plus inline completions, routed over a typical setup —
// a 1.5B local model for completion, a 7B local model, and keys for OpenAI, Anthropic and Gemini.
// Prints the split by tier and by model and writes bench/results/routing-mix.json.
//   node --import tsx bench/routing-mix.ts
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildCatalog, costUsd } from '../daemon/catalog/catalog';
import { WorkspaceSettings, type TaskKind } from '../shared/protocol';
import { route } from '../daemon/routing';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const catalog = buildCatalog({
  providers: [],
  localModels: [
    { id: 'local/qwen2.5-coder-1.5b', source: 'a.gguf', tier: 0, tasks: ['completion'] },
    { id: 'local/qwen2.5-coder-7b', source: 'b.gguf', tier: 1, contextSize: 32_768 },
  ],
  providersWithKeys: new Set(['openai', 'anthropic', 'gemini']),
  loadedLocal: new Set(['local/qwen2.5-coder-1.5b']),
});
const settings = WorkspaceSettings.parse({});
const prompts = fs
  .readFileSync(path.join(root, 'scripts/data/editor-prompts.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as { label: string; task: TaskKind; prompt: string });
// A working day has far more completions than chats; 4 completions per chat/refactor request.
const completions = Array.from({ length: prompts.length * 4 }, (_, i) => ({
  label: 'completion',
  task: 'completion' as TaskKind,
  prompt: `def f${i}(x):\n    return `,
}));

const byModel = new Map<string, number>();
const byLabel = new Map<string, Map<string, number>>();
let cost = 0;
let frontierCost = 0;
const frontier = catalog
  .filter((m) => !m.local && m.available && m.tier === 3)
  .sort((a, b) => b.outputPricePerMTok - a.outputPricePerMTok)[0]!;
for (const p of [...prompts, ...completions]) {
  const d = route({ task: p.task, prompt: p.prompt, settings }, catalog);
  const m = catalog.find((x) => x.id === d.model)!;
  const where = m.local ? 'local' : m.tier >= 3 ? 'frontier' : 'mid';
  byModel.set(m.id, (byModel.get(m.id) ?? 0) + 1);
  const row = byLabel.get(p.label) ?? new Map<string, number>();
  row.set(where, (row.get(where) ?? 0) + 1);
  byLabel.set(p.label, row);
  // A nominal request: 1,500 tokens in, 400 out (completions: 600 in, 30 out).
  const usage =
    p.task === 'completion' ? { inputTokens: 600, outputTokens: 30 } : { inputTokens: 1500, outputTokens: 400 };
  cost += costUsd(m, usage);
  frontierCost += costUsd(frontier, usage);
}
const total = prompts.length + completions.length;
const split = { local: 0, mid: 0, frontier: 0 };
for (const row of byLabel.values()) for (const [k, v] of row) split[k as keyof typeof split] += v;
const result = {
  requests: total,
  split,
  splitPercent: Object.fromEntries(Object.entries(split).map(([k, v]) => [k, Math.round((1000 * v) / total) / 10])),
  byLabel: Object.fromEntries([...byLabel].map(([k, v]) => [k, Object.fromEntries(v)])),
  byModel: Object.fromEntries([...byModel].sort((a, b) => b[1] - a[1])),
  costUsd: Math.round(cost * 10000) / 10000,
  allFrontierCostUsd: Math.round(frontierCost * 10000) / 10000,
  frontierModel: frontier.id,
  command: 'node --import tsx bench/routing-mix.ts',
  date: new Date().toISOString(),
};
console.log(JSON.stringify(result, null, 2));
fs.mkdirSync(path.join(root, 'bench/results'), { recursive: true });
fs.writeFileSync(path.join(root, 'bench/results/routing-mix.json'), `${JSON.stringify(result, null, 2)}\n`);
