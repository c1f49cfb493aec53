// Fits one capability θ per model from Aider's published leaderboards and writes
// daemon/routing/capabilities.json (numbers only: the leaderboards themselves stay outside the repo).
//
//   npm run calibrate:capabilities [-- path/to/aider-leaderboards]
//
// θ is the logit of solving an average Aider edit-benchmark exercise after one round of test
// feedback (see scripts/capability-fit.ts). The file holds: θ per published model, θ for each
// catalog id (a published run of that model, or of its predecessor in the same line with a wider
// uncertainty), a size ladder per open-weight family for local GGUFs, a size-only curve for unknown
// families, a quantisation penalty, and a fallback per tier for everything else.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import catalogData from '../daemon/catalog/catalog-data.json' with { type: 'json' };
import { fitCapabilities, fitLine, type Run } from './capability-fit';
import { sharedPath } from './difficulty-data';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DIR = process.argv[2] ?? sharedPath('data/aider-leaderboards');
const OUT = path.join(root, 'daemon/routing/capabilities.json');

interface Entry {
  model: string;
  test_cases?: number;
  pass_rate_1?: number;
  pass_rate_2?: number;
}

/** Runs of one model under other names (snapshots, edit formats, providers). */
const ALIASES: Record<string, string> = {
  'gpt-4o-mini-2024-07-18': 'gpt-4o-mini',
  'o1-2024-12-17 (high)': 'o1',
  'o1-mini-2024-09-12': 'o1-mini',
  'DeepSeek Chat V2.5': 'DeepSeek V2.5',
  'openrouter/qwen/qwen-2.5-coder-32b-instruct': 'Qwen2.5-Coder-32B-Instruct',
};

function canonical(name: string): string {
  const n = name.replace(/ \((whole|diff|udiff|bf16)\)$/, '').trim();
  if (/qwen3[- ]32b/i.test(n)) return 'qwen3-32b';
  if (/qwen3[- ]235b/i.test(n)) return 'qwen3-235b-a22b';
  return ALIASES[n] ?? n;
}

/** Open-weight runs: family, billions of parameters, and the weights' precision as run. */
const LOCAL_RUNS: Record<string, [family: string, paramsB: number, quant: string]> = {
  'Qwen2.5-Coder-0.5B-Instruct': ['qwen2.5-coder', 0.5, 'BF16'],
  'Qwen2.5-Coder-1.5B-Instruct': ['qwen2.5-coder', 1.5, 'BF16'],
  'Qwen2.5-Coder-3B-Instruct': ['qwen2.5-coder', 3, 'BF16'],
  'Qwen2.5-Coder-7B-Instruct': ['qwen2.5-coder', 7, 'BF16'],
  'qwen2.5-coder:7b-instruct-q8_0': ['qwen2.5-coder', 7, 'Q8_0'],
  'ollama/Qwen2.5.1-Coder-7B-Instruct-GGUF:Q8_0-32k': ['qwen2.5-coder', 7, 'Q8_0'],
  'Qwen2.5-Coder-14B-Instruct': ['qwen2.5-coder', 14, 'BF16'],
  'ollama/qwen2.5-coder:14b': ['qwen2.5-coder', 14, 'Q4_K_M'],
  'Qwen2.5-Coder-32B-Instruct': ['qwen2.5-coder', 32, 'BF16'],
  'ollama/qwen2.5-coder:32b': ['qwen2.5-coder', 32, 'Q4_K_M'],
  'ollama/qwen2.5:32b': ['qwen2.5', 32, 'Q4_K_M'],
  'ollama/qwen2.5:32b-instruct-q8_0': ['qwen2.5', 32, 'Q8_0'],
  'qwen-2.5-72b-instruct': ['qwen2.5', 72, 'BF16'],
  'Qwen2 72B Instruct': ['qwen2', 72, 'BF16'],
  'qwen2:72b-instruct-q8_0': ['qwen2', 72, 'Q8_0'],
  'qwen3-32b': ['qwen3', 32, 'BF16'],
  'qwen3-235b-a22b': ['qwen3', 235, 'BF16'],
  'QwQ-32B': ['qwq', 32, 'BF16'],
  'codeqwen:7b-chat-v1.5-q8_0': ['codeqwen', 7, 'Q8_0'],
  'llama-3.1-8b-instruct': ['llama-3.1', 8, 'BF16'],
  'llama-3.1-70b-instruct': ['llama-3.1', 70, 'BF16'],
  'llama-3.1-405b-instruct': ['llama-3.1', 405, 'BF16'],
  'llama-3.3-70b-instruct': ['llama-3.3', 70, 'BF16'],
  'ollama/llama3.2:3b-instruct-fp16': ['llama-3.2', 3, 'F16'],
  'llama3-70b-8192': ['llama-3', 70, 'BF16'],
  'ollama/hermes3:8b-llama3.1-fp16': ['hermes-3', 8, 'F16'],
  'ollama/hermes3': ['hermes-3', 8, 'Q4_0'],
  'ollama/tulu3': ['tulu-3', 8, 'Q4_K_M'],
  'ollama/granite3-dense:8b': ['granite-3', 8, 'Q4_K_M'],
  'ollama/mistral-nemo:12b-instruct-2407-q4_K_M': ['mistral-nemo', 12, 'Q4_K_M'],
  'ollama/mistral-small': ['mistral-small', 22, 'Q4_K_M'],
  'codestral-2405': ['codestral', 22, 'BF16'],
  'codestral:22b-v0.1-q8_0': ['codestral', 22, 'Q8_0'],
  'Codestral-22B-v0.1-Q4_K_M': ['codestral', 22, 'Q4_K_M'],
  'ollama/codestral': ['codestral', 22, 'Q4_0'],
  'Yi Coder 9B Chat': ['yi-coder', 9, 'BF16'],
  'yi-coder:9b-chat-q4_0': ['yi-coder', 9, 'Q4_0'],
  'ollama/yi-coder:9b-chat-fp16': ['yi-coder', 9, 'F16'],
  'ollama/codegeex4': ['codegeex4', 9, 'Q4_0'],
  'ollama/wojtek/opencodeinterpreter:6.7b': ['opencodeinterpreter', 6.7, 'Q4_0'],
  'gemma2:27b-instruct-q8_0': ['gemma-2', 27, 'Q8_0'],
  'gemma-3-27b-it': ['gemma-3', 27, 'BF16'],
};

/**
 * How a family is recognised in a GGUF's name, basename, id or source (lower-cased), first match
 * wins, so the coder variants come before their base families.
 */
const FAMILY_PATTERNS: [family: string, pattern: string][] = [
  ['qwen2.5-coder', 'qwen2\\.5(\\.1)?[-_ ]?coder'],
  ['codeqwen', 'codeqwen'],
  ['qwq', 'qwq'],
  ['qwen3', 'qwen[-_ ]?3'],
  ['qwen2.5', 'qwen[-_ ]?2\\.5'],
  ['qwen2', 'qwen[-_ ]?2(?![.\\d])'],
  ['yi-coder', 'yi[-_ ]?coder'],
  ['codestral', 'codestral'],
  ['hermes-3', 'hermes[-_ ]?3'],
  ['tulu-3', 'tulu[-_ ]?3'],
  ['llama-3.1', 'llama[-_ ]?3\\.1'],
  ['llama-3.2', 'llama[-_ ]?3\\.2'],
  ['llama-3.3', 'llama[-_ ]?3\\.3'],
  ['llama-3', 'llama[-_ ]?3(?![.\\d])'],
  ['granite-3', 'granite[-_ ]?3'],
  ['mistral-nemo', 'mistral[-_ ]?nemo'],
  ['mistral-small', 'mistral[-_ ]?small'],
  ['codegeex4', 'codegeex[-_ ]?4'],
  ['opencodeinterpreter', 'opencodeinterpreter'],
  ['gemma-2', 'gemma[-_ ]?2'],
  ['gemma-3', 'gemma[-_ ]?3'],
];

/**
 * θ lost to quantisation, by llama.cpp quant name. A prior, not a fit: Aider's runs of one model at
 * Q4–Q8 and full precision differ by about their noise (Yi-Coder 9B, Codestral 22B, Qwen2.5-Coder
 * 14B/32B), and llama.cpp's perplexity tables show losses growing fast below 4 bits per weight.
 */
const QUANT_PENALTY: Record<string, number> = {
  F32: 0,
  BF16: 0,
  F16: 0,
  Q8_0: 0,
  Q6_K: 0.02,
  Q5_K_M: 0.04,
  Q5_K_S: 0.05,
  Q5_0: 0.05,
  Q5_1: 0.05,
  Q4_K_M: 0.08,
  Q4_K_S: 0.1,
  Q4_0: 0.12,
  Q4_1: 0.12,
  IQ4_XS: 0.1,
  IQ4_NL: 0.1,
  Q3_K_L: 0.25,
  Q3_K_M: 0.3,
  Q3_K_S: 0.4,
  IQ3_XXS: 0.45,
  Q2_K: 0.7,
  IQ2_XS: 0.9,
  IQ1_S: 1.5,
};
/** GGUF general.file_type → llama.cpp quant name (llama.h's LLAMA_FTYPE_MOSTLY_*). */
const FILE_TYPES: Record<number, string> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  7: 'Q8_0',
  8: 'Q5_0',
  9: 'Q5_1',
  10: 'Q2_K',
  11: 'Q3_K_S',
  12: 'Q3_K_M',
  13: 'Q3_K_L',
  14: 'Q4_K_S',
  15: 'Q4_K_M',
  16: 'Q5_K_S',
  17: 'Q5_K_M',
  18: 'Q6_K',
  19: 'IQ2_XXS',
  20: 'IQ2_XS',
  23: 'IQ3_XXS',
  24: 'IQ1_S',
  25: 'IQ4_NL',
  30: 'IQ4_XS',
  32: 'BF16',
};

/**
 * Catalog id → the published run it takes θ from. 'same' = that very model (or a dated snapshot of
 * it): the run's own uncertainty; 'successor' = a later model of the same line, assumed at least as
 * capable as its published predecessor, with a wider uncertainty. Unlisted ids use their tier.
 */
const CATALOG_BASIS: Record<string, [basis: string, relation: 'same' | 'successor']> = {
  'openai/gpt-4o': ['gpt-4o-2024-08-06', 'same'],
  'openai/gpt-4o-mini': ['gpt-4o-mini', 'same'],
  'openai/gpt-4.1': ['gpt-4.1', 'same'],
  'openai/gpt-4.1-mini': ['gpt-4.1-mini', 'same'],
  'openai/gpt-4.1-nano': ['gpt-4.1-nano', 'same'],
  'openai/o3': ['o3', 'same'],
  'openai/o3-mini': ['o3-mini (medium)', 'same'],
  'openai/o4-mini': ['o4-mini (high)', 'same'],
  'openai/gpt-5': ['gpt-5 (medium)', 'same'],
  'openai/gpt-5.1': ['gpt-5 (medium)', 'successor'],
  'openai/gpt-5.2': ['gpt-5 (medium)', 'successor'],
  'openai/gpt-5.4': ['gpt-5 (medium)', 'successor'],
  'openai/gpt-5.5': ['gpt-5 (medium)', 'successor'],
  'openai/gpt-5.6': ['gpt-5 (medium)', 'successor'],
  'anthropic/claude-haiku-4-5': ['claude-3-5-haiku-20241022', 'successor'],
  'anthropic/claude-sonnet-4-5': ['claude-sonnet-4-20250514 (no thinking)', 'successor'],
  'anthropic/claude-sonnet-4-6': ['claude-sonnet-4-20250514 (no thinking)', 'successor'],
  'anthropic/claude-sonnet-5': ['claude-sonnet-4-20250514 (no thinking)', 'successor'],
  'anthropic/claude-opus-4-1': ['claude-opus-4-20250514 (no think)', 'successor'],
  'anthropic/claude-opus-4-5': ['claude-opus-4-20250514 (no think)', 'successor'],
  'anthropic/claude-opus-4-6': ['claude-opus-4-20250514 (no think)', 'successor'],
  'anthropic/claude-opus-4-7': ['claude-opus-4-20250514 (no think)', 'successor'],
  'anthropic/claude-opus-4-8': ['claude-opus-4-20250514 (no think)', 'successor'],
  'anthropic/claude-opus-5': ['claude-opus-4-20250514 (no think)', 'successor'],
  'gemini/gemini-2.5-pro': ['gemini-2.5-pro-preview-06-05 (default think)', 'same'],
  'gemini/gemini-3.1-pro-preview': ['gemini-2.5-pro-preview-06-05 (default think)', 'successor'],
  'gemini/gemini-2.5-flash': ['gemini-2.5-flash-preview-05-20 (24k think)', 'same'],
  'gemini/gemini-3-flash': ['gemini-2.5-flash-preview-05-20 (24k think)', 'successor'],
  'gemini/gemini-3.5-flash': ['gemini-2.5-flash-preview-05-20 (24k think)', 'successor'],
  'gemini/gemini-3.6-flash': ['gemini-2.5-flash-preview-05-20 (24k think)', 'successor'],
  'deepseek/deepseek-chat': ['DeepSeek-V3.2-Exp (Chat)', 'same'],
  'deepseek/deepseek-reasoner': ['DeepSeek-V3.2-Exp (Reasoner)', 'same'],
  'deepseek/deepseek-v4-flash': ['DeepSeek-V3.2-Exp (Chat)', 'successor'],
  'deepseek/deepseek-v4-pro': ['DeepSeek-V3.2-Exp (Reasoner)', 'successor'],
  'xai/grok-4.20-0309-reasoning': ['grok-4 (high)', 'successor'],
  'xai/grok-4.3': ['grok-4 (high)', 'successor'],
  'xai/grok-4.5': ['grok-4 (high)', 'successor'],
};
/** Added (in quadrature) to a successor's sd: how far a new generation can land from its predecessor. */
const SUCCESSOR_SD = 0.5;
/** No tier's fallback is surer than this. */
const MIN_TIER_SD = 0.5;

const r3 = (x: number) => Math.round(x * 1000) / 1000;

function readRuns(): Run[] {
  const files: [file: string, bench: string][] = [
    ['edit_leaderboard.yml', 'edit'],
    ['polyglot_leaderboard.yml', 'polyglot'],
    ['qwen3_leaderboard.yml', 'polyglot'],
  ];
  const runs: Run[] = [];
  for (const [file, bench] of files) {
    const entries = load(fs.readFileSync(path.join(DIR, file), 'utf8')) as Entry[];
    for (const e of entries) {
      const cases = e.test_cases ?? (bench === 'edit' ? 133 : 225);
      for (const attempt of [1, 2] as const) {
        const rate = attempt === 1 ? e.pass_rate_1 : e.pass_rate_2;
        if (typeof rate !== 'number') continue;
        runs.push({ model: canonical(e.model), column: `${bench}-${attempt}`, passRate: rate / 100, cases });
      }
    }
  }
  return runs;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function main(): void {
  if (!fs.existsSync(DIR)) {
    console.error(`Aider leaderboards not found at ${DIR}; pass their folder as the first argument.`);
    process.exit(2);
  }
  const runs = readRuns();
  const fit = fitCapabilities(runs);
  const theta = (name: string) => {
    const t = fit.theta.get(name);
    if (!t) throw new Error(`no published run named '${name}'`);
    return t;
  };
  console.log(
    `${runs.length} runs, ${fit.theta.size} models, ${fit.linked} on two or more columns; rmse ${fit.rmse.toFixed(3)}`,
  );
  for (const [c, v] of Object.entries(fit.columns))
    console.log(`  ${c.padEnd(11)} offset ${v.offset.toFixed(2)} scale ${v.scale.toFixed(2)} (${v.models} models)`);

  // Local families: the best run per (family, size), quantisation added back.
  const ladders = new Map<string, Map<number, number>>();
  for (const [name, [family, paramsB, quant]] of Object.entries(LOCAL_RUNS)) {
    const t = fit.theta.get(name);
    if (!t) throw new Error(`LOCAL_RUNS names '${name}', which has no run`);
    const full = t.theta + (QUANT_PENALTY[quant] ?? 0);
    const ladder = ladders.get(family) ?? new Map<number, number>();
    ladder.set(paramsB, Math.max(ladder.get(paramsB) ?? -Infinity, full));
    ladders.set(family, ladder);
  }
  const familyPoints = [...ladders.values()].flatMap((l) => [...l].map(([p, t]) => [Math.log2(p), t] as const));
  const generic = fitLine(
    familyPoints.map((p) => p[0]),
    familyPoints.map((p) => p[1]),
  );
  console.log(
    `size-only curve for unknown families: θ = ${generic.a.toFixed(2)} + ${generic.b.toFixed(2)}·log2(B params),` +
      ` sd ${generic.sd.toFixed(2)}`,
  );

  const catalog: Record<string, { theta: number; sd: number; basis: string; relation: string }> = {};
  for (const [id, [basis, relation]] of Object.entries(CATALOG_BASIS)) {
    const t = theta(basis);
    const sd = relation === 'same' ? t.sd : Math.sqrt(t.sd ** 2 + SUCCESSOR_SD ** 2);
    catalog[id] = { theta: r3(t.theta), sd: r3(sd), basis, relation };
  }
  const known = new Set((catalogData as { models: { id: string }[] }).models.map((m) => m.id));
  for (const id of Object.keys(CATALOG_BASIS)) if (!known.has(id)) console.warn(`  note: ${id} is not in the catalog`);

  // Tier fallbacks: tiers 1–3 from the catalog's published models of that tier; tier 0 (small local)
  // from the open-weight runs of 3B parameters or fewer.
  const tierOf = new Map((catalogData as { models: { id: string; tier: number }[] }).models.map((m) => [m.id, m.tier]));
  const byTier: number[][] = [[], [], [], []];
  for (const [id, c] of Object.entries(catalog)) if (c.relation === 'same') byTier[tierOf.get(id) ?? 1]!.push(c.theta);
  for (const ladder of ladders.values()) for (const [p, t] of ladder) if (p <= 3) byTier[0]!.push(t);
  const tiers = byTier.map((ts, tier) => {
    const m = median(ts);
    const spread = Math.sqrt(ts.reduce((s, t) => s + (t - m) ** 2, 0) / Math.max(1, ts.length - 1));
    console.log(`  tier ${tier}: median θ ${m.toFixed(2)} over ${ts.length} models, sd ${spread.toFixed(2)}`);
    return { theta: r3(m), sd: r3(Math.max(MIN_TIER_SD, spread)), models: ts.length };
  });
  // The fallbacks must rise with the tier, or a tier label would say less than no label.
  for (let t = 1; t < 4; t++)
    if (tiers[t]!.theta <= tiers[t - 1]!.theta) throw new Error(`tier ${t} fallback is not above tier ${t - 1}`);

  const out = {
    description:
      'Model capabilities θ on one scale, fitted from Aider leaderboards by scripts/calibrate-capabilities.ts. ' +
      'Do not edit by hand.',
    scale:
      'θ = logit of solving an average Aider edit-benchmark exercise after one round of test feedback; ' +
      'P(solve a task of difficulty b) = σ(θ − b)',
    source: 'Aider leaderboards (aider.chat, Apache-2.0): edit (133 Python exercises) and polyglot (225 exercises)',
    createdAt: new Date().toISOString().slice(0, 10),
    fit: {
      model: 'logit(pass rate) = (θ − offset)/scale per column; edit-2 fixes offset 0, scale 1; best run per column',
      runs: runs.length,
      models: fit.theta.size,
      linkedModels: fit.linked,
      rmse: r3(fit.rmse),
      columns: Object.fromEntries(
        Object.entries(fit.columns).map(([c, v]) => [
          c,
          { offset: r3(v.offset), scale: r3(v.scale), models: v.models },
        ]),
      ),
    },
    tiers,
    catalog,
    families: Object.fromEntries(
      FAMILY_PATTERNS.filter(([f]) => ladders.has(f)).map(([f, pattern]) => [
        f,
        {
          pattern,
          ladder: [...ladders.get(f)!].sort((a, b) => a[0] - b[0]).map(([p, t]) => [p, r3(t)]),
        },
      ]),
    ),
    sizeCurve: { intercept: r3(generic.a), perDoubling: r3(generic.b), sd: r3(generic.sd) },
    familySd: 0.35,
    quantPenalty: QUANT_PENALTY,
    fileTypes: FILE_TYPES,
    published: Object.fromEntries(
      [...fit.theta]
        .sort((a, b) => b[1].theta - a[1].theta)
        .map(([m, t]) => [m, { theta: r3(t.theta), sd: r3(t.sd), columns: t.columns }]),
    ),
  };
  fs.writeFileSync(OUT, `${JSON.stringify(out, null, 1)}\n`);
  console.log(`wrote ${path.relative(root, OUT)}`);
  for (const [id, c] of Object.entries(catalog)) console.log(`  ${id.padEnd(36)} θ ${c.theta} ± ${c.sd}  (${c.basis})`);
  for (const [f, l] of ladders)
    console.log(
      `  ${f.padEnd(20)} ${[...l]
        .sort((a, b) => a[0] - b[0])
        .map(([p, t]) => `${p}B:${t.toFixed(2)}`)
        .join(' ')}`,
    );
}

main();
