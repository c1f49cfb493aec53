// `npm run bench`: every benchmark, one after the other (they share the CPU, so never in parallel),
// each printing its table and writing bench/results/<name>.json. Extra arguments (e.g. --model tiny)
// go to the scripts that take them. Exits non-zero if a script failed to run (timings never fail it).
//   npm run bench [-- --only fim,decode] [-- --model tiny]
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './lib/report';

const argv = process.argv.slice(2);
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? new Set(argv[onlyAt + 1]!.split(',')) : undefined;
const passThrough = onlyAt >= 0 ? [...argv.slice(0, onlyAt), ...argv.slice(onlyAt + 2)] : argv;
const takesModel = new Set(['fim', 'decode', 'decode-chat', 'memory']);

const benches: { name: string; file: string; args?: string[] }[] = [
  { name: 'router', file: 'router-bench.ts' },
  { name: 'tokens', file: 'tokens.ts' },
  { name: 'completion-privacy', file: 'completion-privacy.ts' },
  { name: 'overhead', file: 'overhead.ts' },
  { name: 'api-overhead', file: 'api-overhead.ts' },
  { name: 'startup', file: 'startup.ts' },
  { name: 'activation', file: 'activation.ts' },
  { name: 'fim', file: 'fim.ts' },
  { name: 'decode', file: 'decode.ts' },
  { name: 'decode-chat', file: 'decode-chat.ts' },
  { name: 'memory', file: 'memory.ts' },
  { name: 'completion-cache', file: 'completion-cache.ts' },
  { name: 'cancel-latency', file: 'cancel-latency.ts' },
  { name: 'codebase-index', file: 'codebase-index.ts' },
];

const failed: string[] = [];
for (const b of benches) {
  if (only && !only.has(b.name)) continue;
  const args = takesModel.has(b.name) ? passThrough : [];
  console.log(`\n=== ${b.name}: node --import tsx bench/${b.file} ${args.join(' ')}`.trimEnd());
  const started = Date.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'bench', b.file), ...args], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  console.log(
    `=== ${b.name}: ${r.status === 0 ? 'done' : `FAILED (exit ${r.status ?? r.signal})`} ` +
      `in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  if (r.status !== 0) failed.push(b.name);
}
if (failed.length) {
  console.error(`\nbenchmarks that failed to run: ${failed.join(', ')}`);
  process.exit(1);
}
