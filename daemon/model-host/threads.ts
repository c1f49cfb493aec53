// Inference thread count. llama.cpp's threads spin while they wait for each other, so more threads than
// physical cores (hyper-threads, or cores busy elsewhere) slows it down badly: on a 2-core machine a tiny
// model ran about 1000x slower with 4 threads than with 1.
import * as fs from 'node:fs';
import * as os from 'node:os';

/** Never default above this: beyond it memory bandwidth, not cores, limits CPU inference. */
const MAX_DEFAULT_THREADS = 4;

/** Distinct (physical id, core id) pairs in /proc/cpuinfo; null where that file is missing or lacks them. */
export function physicalCoreCount(cpuinfo?: string): number | null {
  let text = cpuinfo;
  if (text === undefined) {
    try {
      text = fs.readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return null;
    }
  }
  const cores = new Set<string>();
  let physical = '0';
  for (const line of text.split('\n')) {
    const [rawKey, rawValue] = line.split(':');
    const key = rawKey?.trim();
    const value = rawValue?.trim() ?? '';
    if (key === 'processor') physical = '0';
    else if (key === 'physical id') physical = value;
    else if (key === 'core id') cores.add(`${physical}:${value}`);
  }
  return cores.size > 0 ? cores.size : null;
}

export function defaultThreadCount(): number {
  const logical = os.availableParallelism();
  const physical = physicalCoreCount() ?? logical;
  return Math.max(1, Math.min(physical, logical, MAX_DEFAULT_THREADS));
}

/** A requested count, capped at the physical cores (asking for more only makes it slower). */
export function resolveThreadCount(requested?: number): number {
  if (requested === undefined) return defaultThreadCount();
  const cap = physicalCoreCount() ?? os.availableParallelism();
  return Math.max(1, Math.min(Math.floor(requested), cap));
}
