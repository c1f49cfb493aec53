// Routing quality on held-out data: difficulty AUCs, the share of short function tasks a 7B local
// coder serves, and a cost/quality simulation from published pass rates. Writes
// bench/results/routing-quality.json. Not a test: the numbers are reported, not asserted.
//   npm run bench:routing
//
// Held-out sets (scripts/difficulty-data.ts; never fitted on): ours, committed (contest Easy/Hard,
// short function tasks vs long open-ended requests), and public ones read from outside the repo
// when present (20 % of the LeetCode statements, HumanEval). Absent ones are named, not guessed.
//
// Simulation: each held-out request gets a "true" difficulty b from its label's published anchor
// (weights.json thetaAnchors) plus N(0, 1) spread; a model of capability θ solves it with σ(θ − b).
// Two models: a local Qwen2.5-Coder-7B (free) and the frontier (GPT-5). Sending a fraction f to the
// frontier: the router sends the f it estimates hardest, random sends a random f, the oracle the f
// with the most to gain. Reported: the smallest f reaching 95 % of all-frontier quality.
import fs from 'node:fs';
import path from 'node:path';
import { buildCatalog } from '../daemon/catalog/catalog';
import { capabilityOf, difficultyToTheta, estimateDifficulty, route } from '../daemon/routing';
import weights from '../daemon/routing/weights.json' with { type: 'json' };
import { auc, type Item, loadAll, root } from '../scripts/difficulty-data';
import { WorkspaceSettings } from '../shared/protocol';

const { items, missing } = loadAll();
const held = items.filter((i) => i.split === 'heldout');
const score = (i: Item) => estimateDifficulty({ task: i.task, prompt: i.prompt }).score;
const logit = (i: Item) => {
  const s = Math.min(0.999999, Math.max(1e-6, score(i)));
  return Math.log(s / (1 - s));
};
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const pick = (f: (i: Item) => boolean) => held.filter(f);
const aucOf = (pos: Item[], neg: Item[]) =>
  pos.length && neg.length ? { auc: r3(auc(pos.map(logit), neg.map(logit))), pos: pos.length, neg: neg.length } : null;

const ours = (i: Item) => i.source !== 'leetcode' && i.source !== 'humaneval';
const aucs = {
  contestHardVsEasy: aucOf(
    pick((i) => i.domain === 'contest' && i.label === 2),
    pick((i) => i.domain === 'contest' && i.label === 0),
  ),
  leetcodeHardVsEasy: aucOf(
    pick((i) => i.domain === 'leetcode' && i.label === 2),
    pick((i) => i.domain === 'leetcode' && i.label === 0),
  ),
  openRequestVsFunctionTask: aucOf(
    pick((i) => i.domain === 'open-request'),
    pick((i) => i.domain === 'function' && ours(i)),
  ),
  openRequestVsHumanEval: aucOf(
    pick((i) => i.domain === 'open-request'),
    pick((i) => i.source === 'humaneval'),
  ),
};

// Local share at routing.quality 5: a 7B-class local coder, a 1.5B one for completions, keys for the big three.
const catalog = buildCatalog({
  providers: [],
  localModels: [
    { id: 'local/qwen2.5-coder-1.5b', source: 'hf:Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF:Q8_0', tasks: ['completion'] },
    { id: 'local/qwen2.5-coder-7b', source: 'hf:Qwen/Qwen2.5-Coder-7B-Instruct-GGUF:Q4_K_M', contextSize: 32_768 },
  ],
  providersWithKeys: new Set(['openai', 'anthropic', 'gemini']),
  loadedLocal: new Set(),
});
const settings = WorkspaceSettings.parse({ routing: { quality: 5 } });
const localShare = (rows: Item[]) => {
  if (!rows.length) return null;
  const local = rows.filter((i) =>
    route({ task: i.task, prompt: i.prompt, settings }, catalog).model?.startsWith('local/'),
  );
  return { percent: Math.round((1000 * local.length) / rows.length) / 10, n: rows.length };
};
const shares = {
  functionTasksOurs: localShare(pick((i) => i.domain === 'function' && ours(i))),
  functionTasksHumanEval: localShare(pick((i) => i.source === 'humaneval')),
  openRequests: localShare(pick((i) => i.domain === 'open-request')),
};

// ---------- cost/quality simulation ----------
const anchors = (weights as unknown as { thetaAnchors: { name: string; b: number }[] }).thetaAnchors;
const anchorB = (name: string) => anchors.find((a) => a.name === name)!.b;
const trueB = (i: Item): number => {
  if (i.domain === 'function') return anchorB('function tasks');
  if (i.domain === 'open-request') return anchorB('LeetCode Medium'); // assumption: see RESULTS.md
  return anchorB(['LeetCode Easy', 'LeetCode Medium', 'LeetCode Hard'][i.label]!);
};
let seed = 12;
const rand = () => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed / 2147483648;
};
const gauss = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
const sig = (z: number) => 1 / (1 + Math.exp(-z));
const thetaLocal = capabilityOf(catalog.find((m) => m.id === 'local/qwen2.5-coder-7b')!).theta;
const thetaFrontier = capabilityOf(catalog.find((m) => m.id === 'openai/gpt-5')!).theta;
const tasks = held.map((i) => {
  const b = trueB(i) + gauss();
  return { est: difficultyToTheta(score(i), i.task), pL: sig(thetaLocal - b), pF: sig(thetaFrontier - b) };
});
const qF = tasks.reduce((s, t) => s + t.pF, 0) / tasks.length;
const qL = tasks.reduce((s, t) => s + t.pL, 0) / tasks.length;
const goal = 0.95 * qF;
/** Smallest frontier share reaching the goal when tasks go to the frontier in this order. */
const shareNeeded = (order: typeof tasks) => {
  let q = qL * tasks.length;
  for (let k = 0; k < order.length; k++) {
    if (q / tasks.length >= goal) return k / tasks.length;
    q += order[k]!.pF - order[k]!.pL;
  }
  return 1;
};
const routed = shareNeeded([...tasks].sort((a, b) => b.est - a.est));
const oracle = shareNeeded([...tasks].sort((a, b) => b.pF - b.pL - (a.pF - a.pL)));
const random = Math.min(1, Math.max(0, (goal - qL) / (qF - qL)));
const simulation = {
  tasks: tasks.length,
  local: { model: 'qwen2.5-coder 7B Q4_K_M', theta: thetaLocal, quality: r3(qL) },
  frontier: { model: 'openai/gpt-5', theta: thetaFrontier, quality: r3(qF) },
  goal: '95 % of all-frontier quality',
  frontierShareNeeded: { routed: r3(routed), random: r3(random), oracle: r3(oracle) },
};

const result = {
  date: new Date().toISOString(),
  command: 'npm run bench:routing',
  heldOutAbsent: missing,
  auc: aucs,
  localShareAtQuality5: shares,
  simulation,
};
console.log(JSON.stringify(result, null, 2));
for (const m of missing) console.log(`NOTE: held-out set absent, not reported: ${m}`);
fs.mkdirSync(path.join(root, 'bench/results'), { recursive: true });
fs.writeFileSync(path.join(root, 'bench/results/routing-quality.json'), `${JSON.stringify(result, null, 2)}\n`);
