// Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: self time per module
// (a node_modules package, a repo source file through the bundle's source map, node internals)
// and per function.
import fs from 'node:fs';
import { SourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { printTable, repoRoot } from './report';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Time the process was idle (waiting on I/O). */
  idleMs: number;
  /** Gaps between samples beyond four sampling intervals (descheduled on a loaded machine): not attributed. */
  stalledMs: number;
  byModule: { module: string; selfMs: number; pct: number }[];
  byFunction: { fn: string; where: string; selfMs: number; pct: number }[];
}

const maps = new Map<string, SourceMap | null>();
function sourceMapFor(file: string): SourceMap | null {
  if (!maps.has(file)) {
    try {
      maps.set(file, new SourceMap(JSON.parse(fs.readFileSync(`${file}.map`, 'utf8'))));
    } catch {
      maps.set(file, null);
    }
  }
  return maps.get(file)!;
}

/** "pkg" for node_modules/pkg/..., a repo-relative path for our sources, "node:internal" for node. */
function locate(frame: CallFrame): { module: string; where: string } {
  const { url, lineNumber, columnNumber } = frame;
  if (!url) return { module: frame.functionName.startsWith('(') ? frame.functionName : '(native/builtin)', where: '' };
  if (url.startsWith('node:')) return { module: 'node:internal', where: url };
  let file = url;
  try {
    if (url.startsWith('file:')) file = fileURLToPath(url);
  } catch {
    /* keep the url */
  }
  let source = file;
  let line = lineNumber + 1;
  const map = sourceMapFor(file);
  if (map) {
    const e = map.findEntry(lineNumber, columnNumber) as { originalSource?: string; originalLine?: number };
    if (e?.originalSource) {
      source = e.originalSource.startsWith('file:')
        ? fileURLToPath(e.originalSource)
        : path.resolve(path.dirname(file), e.originalSource);
      line = (e.originalLine ?? 0) + 1;
    }
  }
  const nm = source.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = source.slice(nm + 'node_modules/'.length).split('/');
    const pkg = parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
    return { module: pkg, where: `${pkg}/${parts.slice(pkg.includes('/') ? 2 : 1).join('/')}:${line}` };
  }
  const rel = path.relative(repoRoot, source);
  return { module: rel, where: `${rel}:${line}` };
}

export function summarizeProfile(file: string, opts: { top?: number; print?: boolean } = {}): ProfileSummary {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  // A sample's time is the gap since the previous one, normally the sampling interval. On a loaded
  // machine the process can be descheduled (or the profiler thread starved) for tens of ms, and that
  // whole gap would land on whatever function happened to be sampled next: cap each sample at four
  // intervals and count the rest as "(stalled)".
  const deltas = [...prof.timeDeltas].sort((a, b) => a - b);
  const interval = deltas[Math.floor(deltas.length / 2)] ?? 1000;
  const cap = 4 * Math.max(interval, 100);
  const self = new Map<number, number>();
  let stalledUs = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const id = prof.samples[i]!;
    const dt = prof.timeDeltas[i] ?? 0;
    self.set(id, (self.get(id) ?? 0) + Math.min(dt, cap));
    stalledUs += Math.max(0, dt - cap);
  }
  const totalUs = prof.endTime - prof.startTime;
  let idleUs = 0;
  const mods = new Map<string, number>();
  const fns = new Map<string, { fn: string; where: string; us: number }>();
  for (const [id, us] of self) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    const { module, where } = locate(node.callFrame);
    mods.set(module, (mods.get(module) ?? 0) + us);
    const key = `${node.callFrame.functionName}@${where}`;
    const f = fns.get(key) ?? { fn: node.callFrame.functionName || '(anonymous)', where, us: 0 };
    f.us += us;
    fns.set(key, f);
  }
  const busyUs = totalUs - idleUs - stalledUs;
  const pct = (us: number) => Math.round((us / Math.max(1, busyUs)) * 1000) / 10;
  const ms = (us: number) => Math.round(us / 100) / 10;
  const top = opts.top ?? 25;
  const summary: ProfileSummary = {
    totalMs: ms(totalUs),
    idleMs: ms(idleUs),
    stalledMs: ms(stalledUs),
    byModule: [...mods]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([module, us]) => ({ module, selfMs: ms(us), pct: pct(us) })),
    byFunction: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ fn: f.fn, where: f.where, selfMs: ms(f.us), pct: pct(f.us) })),
  };
  if (opts.print) {
    console.log(
      `\nprofile ${file}: ${summary.totalMs} ms, idle ${summary.idleMs} ms, stalled ${summary.stalledMs} ms ` +
        '(percentages of the busy time)',
    );
    printTable('Self time by module', [
      ['module', 'self ms', '% busy'],
      ...summary.byModule.map((m) => [m.module, m.selfMs, m.pct]),
    ]);
    printTable('Self time by function', [
      ['function', 'where', 'self ms', '% busy'],
      ...summary.byFunction.map((f) => [f.fn, f.where, f.selfMs, f.pct]),
    ]);
  }
  return summary;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  // node --import tsx bench/lib/cpuprofile.ts FILE.cpuprofile [top]
  summarizeProfile(process.argv[2]!, { top: Number(process.argv[3] ?? 30), print: true });
}
