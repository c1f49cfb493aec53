// Each model's capability θ on the one scale fitted from Aider's leaderboards (capabilities.json,
// written by scripts/calibrate-capabilities.ts), and the probability it solves a request of
// difficulty b: P = σ(θ − b), widened by how unsure θ is.
//
// Where θ comes from, best first: the model's published run ('published'), its published
// predecessor in the same line ('successor'), its open-weight family's size ladder ('family'), a
// size-only curve over all families ('size'), else its tier ('tier'). Quantised GGUFs lose a little.
// A per-user adjustment (learned from feedback, daemon/learning) is added on top, never stored here.
import type { CapabilitySource, ModelCapability, ModelInfo } from '../../shared/protocol';
import data from './capabilities.json' with { type: 'json' };

interface CapabilitiesFile {
  tiers: { theta: number; sd: number }[];
  catalog: Record<string, { theta: number; sd: number; basis: string; relation: 'same' | 'successor' }>;
  families: Record<string, { pattern: string; ladder: [paramsB: number, theta: number][] }>;
  sizeCurve: { intercept: number; perDoubling: number; sd: number };
  familySd: number;
  quantPenalty: Record<string, number>;
  fileTypes: Record<string, string>;
}
const D = data as unknown as CapabilitiesFile;
const FAMILIES = Object.entries(D.families).map(([name, f]) => ({ name, re: new RegExp(f.pattern), ladder: f.ladder }));

/** What is known about a local model's weights: from its GGUF metadata, else from its names. */
export interface LocalIdentity {
  /** A family key of capabilities.json (e.g. 'qwen2.5-coder'), when recognised. */
  family?: string;
  /** Billions of parameters. */
  paramsB?: number;
  /** llama.cpp quant name, e.g. 'Q4_K_M'. */
  quant?: string;
}

/**
 * Learned per-user corrections (daemon/learning): θ shifts per model id, added to the shipped
 * estimate, and how much harder this user's requests of this task and language are than estimated
 * (added to b). Absent: the shipped numbers alone.
 */
export interface CapabilityAdjustments {
  theta?: Readonly<Record<string, number>>;
  difficultyOffset?: number;
}

/** The tier fallback: what a model of that tier is worth when nothing else is known about it. */
export function tierCapability(tier: number): ModelCapability {
  const t = D.tiers[Math.min(3, Math.max(0, Math.round(tier)))]!;
  return { theta: t.theta, sd: t.sd, source: 'tier', basis: `tier ${tier} fallback` };
}

/** Family, size and quantisation read from any names the model goes by (GGUF name, file, hf: URI, id). */
export function identifyFromText(...texts: (string | undefined)[]): LocalIdentity {
  const text = texts.filter(Boolean).join(' ').toLowerCase();
  const out: LocalIdentity = {};
  const fam = FAMILIES.find((f) => f.re.test(text));
  if (fam) out.family = fam.name;
  // "7b", "1.5B", "0.5b-instruct", "8x7b" (experts × size); not "v1.5" or "q4".
  const moe = /(?:^|[^a-z0-9.])(\d+)x(\d+(?:\.\d+)?)b(?![a-z0-9])/.exec(text);
  const size = /(?:^|[^a-z0-9.])(\d+(?:\.\d+)?)b(?![a-z0-9])/.exec(text);
  if (moe) out.paramsB = Number(moe[1]) * Number(moe[2]);
  else if (size) out.paramsB = Number(size[1]);
  const quant = /(?:^|[^a-z0-9])(i?q\d_[a-z0-9_]+|f16|bf16|f32)(?![a-z0-9_])/.exec(text);
  if (quant) out.quant = quant[1]!.toUpperCase();
  return out;
}

/** GGUF general.file_type → quant name. */
export function quantForFileType(fileType: number): string | undefined {
  return D.fileTypes[String(fileType)];
}

/** θ of an open-weight model from its family ladder or the size curve; undefined without a size. */
export function localCapability(id: LocalIdentity): ModelCapability | undefined {
  if (!id.paramsB || !(id.paramsB > 0)) return undefined;
  const x = Math.log2(id.paramsB);
  const penalty = id.quant ? (D.quantPenalty[id.quant] ?? 0) : 0;
  const q = id.quant ? ` ${id.quant}` : '';
  const ladder = id.family ? D.families[id.family]?.ladder : undefined;
  if (ladder?.length) {
    // Linear in log-size between rungs; beyond the ends, the size curve's slope.
    let theta: number;
    const xs = ladder.map(([p]) => Math.log2(p));
    if (x <= xs[0]!) theta = ladder[0]![1] + D.sizeCurve.perDoubling * (x - xs[0]!);
    else if (x >= xs[xs.length - 1]!)
      theta = ladder[ladder.length - 1]![1] + D.sizeCurve.perDoubling * (x - xs.at(-1)!);
    else {
      let i = 0;
      while (x > xs[i + 1]!) i++;
      const f = (x - xs[i]!) / (xs[i + 1]! - xs[i]!);
      theta = ladder[i]![1] + f * (ladder[i + 1]![1] - ladder[i]![1]);
    }
    const onRung = xs.some((r) => Math.abs(r - x) < 0.05);
    return {
      theta: round3(theta - penalty),
      sd: onRung ? D.familySd : round3(D.familySd * 1.5),
      source: 'family',
      basis: `${id.family} ${id.paramsB}B${q}`,
    };
  }
  return {
    theta: round3(D.sizeCurve.intercept + D.sizeCurve.perDoubling * x - penalty),
    sd: D.sizeCurve.sd,
    source: 'size',
    basis: `unknown family, ${id.paramsB}B${q}`,
  };
}

/** The shipped estimate for a catalog id, when there is one. */
export function catalogCapability(id: string): ModelCapability | undefined {
  const c = D.catalog[id];
  if (!c) return undefined;
  const source: CapabilitySource = c.relation === 'same' ? 'published' : 'successor';
  return { theta: c.theta, sd: c.sd, source, basis: c.basis };
}

const cache = new Map<string, ModelCapability>();

/**
 * A model's capability: what the catalog attached, else the shipped table by id, else what its
 * id and name tell (family and size), else its tier. Cached per id and tier.
 */
export function capabilityOf(
  m: Pick<ModelInfo, 'id' | 'tier' | 'displayName'> & { capability?: ModelCapability },
): ModelCapability {
  if (m.capability) return m.capability;
  const key = `${m.id}\u0000${m.tier}\u0000${m.displayName}`;
  let c = cache.get(key);
  if (!c) {
    c = catalogCapability(m.id) ?? localCapability(identifyFromText(m.id, m.displayName)) ?? tierCapability(m.tier);
    if (cache.size > 2000) cache.clear();
    cache.set(key, c);
  }
  return c;
}

/** θ with this user's learned shift applied. */
export function theta(
  m: Pick<ModelInfo, 'id' | 'tier' | 'displayName'> & { capability?: ModelCapability },
  adjustments?: CapabilityAdjustments,
): { theta: number; sd: number } {
  const c = capabilityOf(m);
  return { theta: c.theta + (adjustments?.theta?.[m.id] ?? 0), sd: c.sd };
}

/**
 * P(solve) for a task of difficulty b when θ ~ N(theta, sd²): E[σ(θ − b)] ≈ σ((theta − b)/√(1 + π·sd²/8))
 * (the probit approximation), so an unsure estimate is pulled towards 0.5, never overstated.
 */
export function successProbability(thetaMean: number, sd: number, b: number): number {
  const z = (thetaMean - b) / Math.sqrt(1 + (Math.PI * sd * sd) / 8);
  return 1 / (1 + Math.exp(-z));
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
