// Builds daemon/catalog/catalog-data.json from LiteLLM-format prices.
//   node --import tsx scripts/gen-catalog.ts [path-to-model-prices.json]
// The output is committed; rerun when the price file is refreshed.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuiltinModel, BuiltinProvider, CatalogData } from '../daemon/catalog/catalog';

/** One LiteLLM entry; only the fields we read. */
export interface PriceEntry {
  litellm_provider?: string;
  mode?: string;
  max_input_tokens?: number;
  input_cost_per_token?: number | null;
  output_cost_per_token?: number | null;
  deprecation_date?: string;
}

/**
 * LiteLLM provider name → our provider. Base URLs are the providers' documented OpenAI-compatible
 * endpoints; a provider whose endpoint we are not sure of is left out rather than guessed.
 */
export const PROVIDERS: Record<string, BuiltinProvider> = {
  openai: { id: 'openai', kind: 'openai' },
  anthropic: { id: 'anthropic', kind: 'anthropic' },
  gemini: { id: 'gemini', kind: 'gemini' },
  xai: { id: 'xai', kind: 'openai-compatible', baseUrl: 'https://api.x.ai/v1' },
  deepseek: { id: 'deepseek', kind: 'openai-compatible', baseUrl: 'https://api.deepseek.com/v1' },
  mistral: { id: 'mistral', kind: 'openai-compatible', baseUrl: 'https://api.mistral.ai/v1' },
  groq: { id: 'groq', kind: 'openai-compatible', baseUrl: 'https://api.groq.com/openai/v1' },
};

/**
 * LiteLLM files most Gemini models under Vertex AI; the Gemini API serves the same model names at the
 * same list prices, so `gemini-*` chat models from Vertex are offered through the Gemini provider.
 */
const VERTEX = 'vertex_ai-language-models';

export const DEPRECATED_BEFORE = '2026-11-26';

/**
 * Names that are not general text chat (audio, realtime, search, images, computer use, robotics) or
 * that are moving/duplicate aliases the API treats specially. The router sends code and prose only.
 */
const SPECIALIST = new RegExp(
  'audio|realtime|tts|transcri|search|image|computer-use|robotics|live|embedding|deep-research|customtools|' +
    'multi-agent|thinking|-latest$|^gpt-.*-chat$|^codex-|-(high|low)$',
);

/**
 * Superseded generations: pricier and weaker than the current families, never worth routing to.
 * `claude-4-*` are LiteLLM-only aliases of the Claude 4.0 snapshots, not names Anthropic's API takes.
 */
const LEGACY = /^gpt-3\.5|^gpt-4(-|$)|^claude-3-|^claude-4-|^o1(-|$)|^gemini-exp-|^gemini-1\./;

/** Snapshot suffixes: -2025-08-07 (OpenAI), -20250929 (Anthropic). */
const SNAPSHOT = /-(\d{4}-\d{2}-\d{2}|\d{8})$/;
const PREVIEW = /-preview(-\d{2}-\d{4})?$/;

/**
 * Tier rule, first match wins, on the API name:
 *   1  nano, lite (flash-lite), haiku, and the older minis (gpt-4o-mini, gpt-4.1-mini)
 *   2  gpt-5.x-mini and o3/o4-mini (reasoning minis), sonnet, flash, gpt-4.1, gpt-4o, o3
 *   3  opus, *-pro of the GPT/Gemini families, gpt-5 / gpt-5.x flagships
 *   otherwise by output price per MTok: >= $10 → 3, >= $2 → 2, else 1
 * Tier 0 is reserved for small local models. Other providers (xAI, DeepSeek, ...) always use the
 * price bands: their names say nothing reliable about capability.
 */
export function tierFor(provider: string, name: string, outputPricePerMTok: number): number {
  const family = provider === 'openai' || provider === 'anthropic' || provider === 'gemini';
  if (family) {
    if (/(^|-)(nano|lite|haiku)(-|$)/.test(name)) return 1;
    if (/^gpt-5(\.\d+)?-mini$|^o\d-mini$/.test(name)) return 2;
    if (/(^|-)mini(-|$)/.test(name)) return 1;
    if (/opus|^gpt-.*-pro$|^gemini-.*-pro(-|$)|^gpt-5(\.\d+)?$/.test(name)) return 3;
    if (/sonnet|flash|^gpt-4\.1$|^gpt-4o$|^o\d$/.test(name)) return 2;
  }
  if (outputPricePerMTok >= 10) return 3;
  if (outputPricePerMTok >= 2) return 2;
  return 1;
}

const UPPER = new Map([
  ['gpt', 'GPT'],
  ['deepseek', 'DeepSeek'],
]);

/** "claude-sonnet-4-5" → "Claude Sonnet 4.5", "gpt-5.4-mini" → "GPT-5.4 Mini", "o4-mini" stays. */
export function displayNameFor(name: string): string {
  if (/^o\d/.test(name)) return name;
  // Anthropic writes versions as 4-5; join adjacent single-digit parts into 4.5.
  const parts = name.replace(/(^|-)(\d)-(\d)(?=-|$)/g, '$1$2.$3').split('-');
  const words = parts.map((p) => UPPER.get(p) ?? (p ? p[0]!.toUpperCase() + p.slice(1) : p));
  // "GPT 5.4" reads wrong: OpenAI writes GPT-5.4.
  return words.join(' ').replace(/^GPT (\d)/, 'GPT-$1');
}

/** USD per token → USD per million tokens, without float noise (1.25e-6 * 1e6 = 1.2499999999999998). */
function perMTok(perToken: number): number {
  return Math.round(perToken * 1e6 * 1e6) / 1e6;
}

export function generateCatalog(prices: Record<string, PriceEntry>, source = 'model-prices.json'): CatalogData {
  const picked: BuiltinModel[] = [];
  for (const [name, e] of Object.entries(prices)) {
    if (typeof e !== 'object' || e === null || e.mode !== 'chat') continue;
    const lp = e.litellm_provider ?? '';
    const provider = lp === VERTEX && name.startsWith('gemini-') ? PROVIDERS.gemini : PROVIDERS[lp];
    if (!provider) continue;
    if (e.deprecation_date && e.deprecation_date < DEPRECATED_BEFORE) continue;
    if (SPECIALIST.test(name) || LEGACY.test(name)) continue;
    if (typeof e.max_input_tokens !== 'number' || e.max_input_tokens <= 0) continue;
    if (typeof e.input_cost_per_token !== 'number' || typeof e.output_cost_per_token !== 'number') continue;
    const inputPricePerMTok = perMTok(e.input_cost_per_token);
    const outputPricePerMTok = perMTok(e.output_cost_per_token);
    picked.push({
      id: `${provider.id}/${name}`,
      provider: provider.id,
      providerKind: provider.kind,
      name,
      displayName: displayNameFor(name),
      contextWindow: e.max_input_tokens,
      inputPricePerMTok,
      outputPricePerMTok,
      tier: tierFor(provider.id, name, outputPricePerMTok),
    });
  }
  // A dated snapshot or a preview duplicates its alias when the alias is listed; keep the alias only.
  const ids = new Set(picked.map((m) => m.id));
  const models = picked
    .filter((m) => {
      const alias = m.id.replace(PREVIEW, '').replace(SNAPSHOT, '');
      return alias === m.id || !ids.has(alias);
    })
    .sort(
      (a, b) =>
        a.provider.localeCompare(b.provider) ||
        a.tier - b.tier ||
        a.outputPricePerMTok - b.outputPricePerMTok ||
        a.id.localeCompare(b.id),
    );
  return {
    source,
    deprecatedBefore: DEPRECATED_BEFORE,
    providers: Object.values(PROVIDERS),
    models,
  };
}

function printSummary(data: CatalogData): void {
  const rows = data.models.map((m) => [
    m.id,
    String(m.tier),
    String(m.contextWindow),
    m.inputPricePerMTok.toString(),
    m.outputPricePerMTok.toString(),
  ]);
  const head = ['id', 'tier', 'context', '$in/MTok', '$out/MTok'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  for (const r of rows) console.log(line(r));
  const byTier = [0, 1, 2, 3].map((t) => data.models.filter((m) => m.tier === t).length);
  const providers = new Set(data.models.map((m) => m.provider));
  console.log(
    `\n${data.models.length} models from ${providers.size} providers (${[...providers].join(', ')}); ` +
      `per tier 0..3: ${byTier.join(' / ')}`,
  );
}

function main(): void {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
  const input = resolve(process.argv[2] ?? resolve(root, '../shared/data/model-prices.json'));
  const prices = JSON.parse(readFileSync(input, 'utf8')) as Record<string, PriceEntry>;
  const data = generateCatalog(prices, 'LiteLLM model_prices (shared/data/model-prices.json)');
  const out = resolve(root, 'daemon/catalog/catalog-data.json');
  writeFileSync(out, `${JSON.stringify(data, null, 1)}\n`);
  printSummary(data);
  console.log(`wrote ${out}`);
}

// Importable by tests (generateCatalog, tierFor) without writing anything.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
