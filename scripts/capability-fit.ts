// The capability fit behind daemon/routing/capabilities.json, as pure functions so tests can run it
// on data they make. scripts/calibrate-capabilities.ts feeds it Aider's leaderboards.
//
// Model: every published run gives a pass rate p for one model on one column (a benchmark and an
// attempt: edit-1, edit-2, polyglot-1, polyglot-2). A column's exercises spread in difficulty, so
// its aggregate pass rate follows logit(p) = (θ_model − μ_column) / s_column: an item-response model
// seen through averages, with each column's own offset μ and spread s. edit-2 defines the scale
// (μ = 0, s = 1): θ is the logit of solving an average Aider edit-benchmark exercise after one round
// of test feedback. Models run on several columns link the columns' offsets. Alternating weighted
// least squares; each point weighs by its binomial precision n·p·(1 − p).

export interface Run {
  /** Canonical model key (aliases already applied). */
  model: string;
  column: string;
  /** Pass rate in [0, 1]. */
  passRate: number;
  /** Exercises in the run. */
  cases: number;
}

export interface ColumnFit {
  offset: number;
  scale: number;
  models: number;
}

export interface CapabilityFit {
  theta: Map<string, { theta: number; sd: number; columns: string[] }>;
  columns: Record<string, ColumnFit>;
  /** RMS residual on the logit scale, over all points. */
  rmse: number;
  /** Models seen on two or more benchmarks (the ones that link the scales). */
  linked: number;
}

/** Logit of a pass rate with a continuity correction, so 0 % and 100 % stay finite. */
export function smoothedLogit(passRate: number, cases: number): number {
  const k = passRate * cases;
  const p = (k + 0.5) / (cases + 1);
  return Math.log(p / (1 - p));
}

/**
 * Fits θ per model and (offset, scale) per column. `anchor` is the column that defines the scale.
 * Several runs of one model on one column (edit formats, settings) keep the best one: the router
 * asks what the model can do, not what a weaker harness setting got out of it.
 */
export function fitCapabilities(runs: readonly Run[], anchor = 'edit-2', iterations = 300): CapabilityFit {
  const best = new Map<string, Run>();
  for (const r of runs) {
    const key = `${r.model}\u0000${r.column}`;
    const prev = best.get(key);
    if (!prev || r.passRate > prev.passRate) best.set(key, r);
  }
  const points = [...best.values()].map((r) => {
    const y = smoothedLogit(r.passRate, r.cases);
    const p = 1 / (1 + Math.exp(-y));
    return { model: r.model, column: r.column, y, w: r.cases * p * (1 - p) };
  });
  const models = [...new Set(points.map((p) => p.model))];
  const columnNames = [...new Set(points.map((p) => p.column))];
  if (!columnNames.includes(anchor)) throw new Error(`no run on the anchor column ${anchor}`);
  const col = new Map(columnNames.map((c) => [c, { offset: 0, scale: 1 }]));
  const theta = new Map(models.map((m) => [m, 0]));
  const byModel = new Map<string, typeof points>();
  const byColumn = new Map<string, typeof points>();
  for (const p of points) {
    byModel.set(p.model, [...(byModel.get(p.model) ?? []), p]);
    byColumn.set(p.column, [...(byColumn.get(p.column) ?? []), p]);
  }
  for (let it = 0; it < iterations; it++) {
    // θ given the columns: y = (θ − μ)/s  ⇒  θ = s·y + μ, weighted by w/s².
    for (const [m, ps] of byModel) theta.set(m, thetaFrom(ps, col, () => true)!);
    // Columns given θ: weighted regression y = α·θ + β, s = 1/α, μ = −β/α. The anchor stays fixed.
    // The regressor is each model's θ from other benchmarks (and the anchor), never from this
    // benchmark's own columns: a model seen on one benchmark only says nothing about its offset.
    for (const [c, ps] of byColumn) {
      if (c === anchor) continue;
      let sw = 0;
      let sx = 0;
      let sy = 0;
      let sxx = 0;
      let sxy = 0;
      let n = 0;
      for (const p of ps) {
        const x = thetaFrom(byModel.get(p.model)!, col, (o) => o === anchor || bench(o) !== bench(c));
        if (x === undefined) continue;
        n++;
        sw += p.w;
        sx += p.w * x;
        sy += p.w * p.y;
        sxx += p.w * x * x;
        sxy += p.w * x * p.y;
      }
      if (n < 3) continue;
      const alpha = (sw * sxy - sx * sy) / (sw * sxx - sx * sx);
      const beta = (sy - alpha * sx) / sw;
      if (!(alpha > 0.05)) continue; // a degenerate column keeps its last estimate
      col.set(c, { offset: -beta / alpha, scale: 1 / alpha });
    }
  }
  let sse = 0;
  for (const p of points) {
    const c = col.get(p.column)!;
    sse += (p.y - (theta.get(p.model)! - c.offset) / c.scale) ** 2;
  }
  const rmse = Math.sqrt(sse / points.length);
  const out = new Map<string, { theta: number; sd: number; columns: string[] }>();
  for (const [m, ps] of byModel) {
    // Sampling error of the weighted mean, plus the fit's misfit: a model's columns disagree by about rmse.
    let info = 0;
    for (const p of ps) {
      const c = col.get(p.column)!;
      info += p.w / (c.scale * c.scale);
    }
    const sd = Math.sqrt(1 / info + (rmse * rmse) / ps.length);
    out.set(m, { theta: theta.get(m)!, sd, columns: ps.map((p) => p.column).sort() });
  }
  const columns: Record<string, ColumnFit> = {};
  for (const [c, v] of col) columns[c] = { ...v, models: byColumn.get(c)!.length };
  const linked = [...byModel.values()].filter((ps) => new Set(ps.map((p) => bench(p.column))).size > 1).length;
  return { theta: out, columns, rmse, linked };
}

function bench(column: string): string {
  return column.split('-')[0]!;
}

/** θ from a model's points in the columns `use` accepts; undefined when it has none there. */
function thetaFrom(
  ps: readonly { column: string; y: number; w: number }[],
  col: ReadonlyMap<string, { offset: number; scale: number }>,
  use: (column: string) => boolean,
): number | undefined {
  let num = 0;
  let den = 0;
  for (const p of ps) {
    if (!use(p.column)) continue;
    const c = col.get(p.column)!;
    const wt = p.w / (c.scale * c.scale);
    num += wt * (c.scale * p.y + c.offset);
    den += wt;
  }
  return den > 0 ? num / den : undefined;
}

/** Least-squares line y = a + b·x. */
export function fitLine(xs: readonly number[], ys: readonly number[]): { a: number; b: number; sd: number } {
  const n = xs.length;
  const mx = xs.reduce((s, x) => s + x, 0) / n;
  const my = ys.reduce((s, y) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  const b = sxx > 0 ? sxy / sxx : 0;
  const a = my - b * mx;
  let sse = 0;
  for (let i = 0; i < n; i++) sse += (ys[i]! - a - b * xs[i]!) ** 2;
  return { a, b, sd: Math.sqrt(sse / Math.max(1, n - 2)) };
}
