// Shared by the bench scripts: percentiles, a printed table, machine facts, and the JSON result
// file under bench/results/. Benchmarks are scripts, not tests: nothing here asserts a timing.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const resultsDir = path.join(repoRoot, 'bench', 'results');

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  min: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles of a sample (same unit in, same unit out), rounded to 3 decimals. */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { n: 0, p50: NaN, p90: NaN, p99: NaN, min: NaN, max: NaN, mean: NaN };
  const s = [...values].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return {
    n: s.length,
    p50: r(q(0.5)),
    p90: r(q(0.9)),
    p99: r(q(0.99)),
    min: r(s[0]!),
    max: r(s.at(-1)!),
    mean: r(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

export function median(values: readonly number[]): number {
  return summarize(values).p50;
}

/** Prints rows as an aligned text table (first row = header). */
export function printTable(title: string, rows: readonly (readonly (string | number)[])[]): void {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  console.log(`\n${title}`);
  cells.forEach((r, i) => {
    console.log(`  ${r.map((c, j) => (j === 0 ? c.padEnd(widths[j]!) : c.padStart(widths[j]!))).join('  ')}`);
    if (i === 0) console.log(`  ${widths.map((w) => '-'.repeat(w)).join('  ')}`);
  });
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x)) return String(x);
  return Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2);
}

export interface Machine {
  cpu: string;
  cores: number;
  physicalCores?: number;
  memGiB: number;
  os: string;
  node: string;
  gpu?: string;
}

export function machine(): Machine {
  const cpus = os.cpus();
  let physicalCores: number | undefined;
  try {
    const out = execFileSync('lscpu', ['-p=CORE,SOCKET'], { encoding: 'utf8' });
    physicalCores = new Set(out.split('\n').filter((l) => l && !l.startsWith('#'))).size || undefined;
  } catch {
    // not Linux, or no lscpu: leave it out
  }
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    physicalCores,
    memGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.platform()} ${os.release()}`,
    node: process.version,
  };
}

/** `--out NAME` renames a script's result file (e.g. a run with another binary), else the default. */
export function outName(defaultName: string, argv = process.argv.slice(2)): string {
  const i = argv.indexOf('--out');
  return i >= 0 && argv[i + 1] ? argv[i + 1]! : defaultName;
}

/** Writes bench/results/<name>.json with the date, machine, command and data; returns the path. */
export function writeResult(name: string, data: Record<string, unknown>): string {
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${name}.json`);
  const command =
    `node --import tsx ${path.relative(repoRoot, process.argv[1] ?? '')} ${process.argv.slice(2).join(' ')}`.trim();
  fs.writeFileSync(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), machine: machine(), command, ...data }, null, 2)}\n`,
  );
  console.log(`\nwrote ${path.relative(repoRoot, file)}`);
  return file;
}

/** Resident set size of a process in bytes (Linux /proc), or undefined. */
export function rssOf(pid: number): number | undefined {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Child processes of a pid (Linux /proc), e.g. the daemon's model host. */
export function childPids(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export const MiB = 2 ** 20;
