// What a bundle is made of: its bytes attributed to the sources its source map names, grouped by
// npm package (or "repo:<dir>" for our own code). Decodes the map's VLQ mappings directly.
import fs from 'node:fs';
import path from 'node:path';

/** Bytes no source maps to: mostly indentation (nested module wrappers) and esbuild's runtime glue. */
export const UNMAPPED = '(indentation, esbuild glue)';

const B64 = new Map([...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].map((c, i) => [c, i]));

/** Decodes one mappings segment ("AAAA" style) into its numbers. */
function decodeSegment(seg: string): number[] {
  const out: number[] = [];
  let value = 0;
  let shift = 0;
  for (const ch of seg) {
    const digit = B64.get(ch);
    if (digit === undefined) throw new Error(`bad VLQ character ${ch}`);
    value += (digit & 31) << shift;
    if (digit & 32) shift += 5;
    else {
      out.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return out;
}

export function groupOf(source: string): string {
  const s = source.replace(/\\/g, '/');
  const nm = s.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = s.slice(nm + 'node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  const rel = s.replace(/^(\.\.\/)+/, '');
  return `repo:${rel.split('/')[0]}`;
}

/** Bytes of `bundleFile` per group (package), from `${bundleFile}.map`; unmapped bytes count as UNMAPPED. */
export function bundleComposition(bundleFile: string): { group: string; bytes: number }[] {
  const code = fs.readFileSync(bundleFile, 'utf8');
  const map = JSON.parse(fs.readFileSync(`${bundleFile}.map`, 'utf8')) as { sources: string[]; mappings: string };
  const lines = code.split('\n');
  const mapLines = map.mappings.split(';');
  const bytes = new Map<string, number>();
  const add = (g: string, n: number) => bytes.set(g, (bytes.get(g) ?? 0) + n);
  let source = 0;
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l]!;
    const lineBytes = (from: number, to?: number) => Buffer.byteLength(line.slice(from, to));
    const segs = (mapLines[l] ?? '').split(',').filter(Boolean);
    let col = 0;
    const points: { col: number; source?: number }[] = [];
    for (const seg of segs) {
      const f = decodeSegment(seg);
      col += f[0]!;
      if (f.length >= 4) {
        source += f[1]!;
        points.push({ col, source });
      } else points.push({ col });
    }
    if (points.length === 0) {
      add(UNMAPPED, lineBytes(0) + 1);
      continue;
    }
    if (points[0]!.col > 0) add(UNMAPPED, lineBytes(0, points[0]!.col));
    for (let i = 0; i < points.length; i++) {
      const p = points[i]!;
      const end = points[i + 1]?.col;
      const g = p.source === undefined ? UNMAPPED : groupOf(path.normalize(map.sources[p.source] ?? '?'));
      add(g, lineBytes(p.col, end) + (end === undefined ? 1 : 0));
    }
  }
  return [...bytes].map(([group, n]) => ({ group, bytes: n })).sort((a, b) => b.bytes - a.bytes);
}
