// Runs a bench as the daemon ships: bundled by esbuild with the daemon's options, not through tsx.
// tsx compiles with keepNames, which wraps every function the router creates per call in a
// __name() call (7 % of a routing decision's time); the daemon's bundle has none.
//
//   node scripts/run-bundled.mjs bench/router-bench.ts [args…]
//
// The bundle goes to .bench-build/ at the repository root, so a bench that finds the root from its
// own file (one folder up) still writes its results to bench/results/.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error('usage: run-bundled.mjs <bench/file.ts> [args…]');
  process.exit(2);
}
const outfile = path.join(root, '.bench-build', `${path.basename(entry, '.ts')}.mjs`);
await build({
  entryPoints: [path.resolve(root, entry)],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  external: ['node-llama-cpp', 'bufferutil', 'utf-8-validate'],
  // Bundled CommonJS dependencies call require() for Node built-ins (as in scripts/build.mjs).
  banner: {
    js:
      "import { createRequire as __gbCreateRequire } from 'node:module'; " +
      'const require = __gbCreateRequire(import.meta.url);',
  },
});
const run = spawnSync(process.execPath, [outfile, ...args], { stdio: 'inherit' });
process.exit(run.status ?? 1);
