// One esbuild bundle per target. Type-checking is separate (npm run typecheck).
import { build } from 'esbuild';
import fs from 'node:fs';

const watch = process.argv.includes('--watch');
const common = { bundle: true, sourcemap: 'linked', logLevel: 'warning', legalComments: 'none' };
// Bundled CommonJS dependencies call require() for Node built-ins; give the ESM bundle one.
const esmRequireShim = "import { createRequire as __gbCreateRequire } from 'node:module'; const require = __gbCreateRequire(import.meta.url);";

const targets = [
  {
    ...common,
    entryPoints: ['daemon/gearbox.ts'],
    outfile: 'dist/daemon/gearbox.mjs',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // node-llama-cpp is ESM with top-level await and native binaries: loaded at run time only by the model host.
    external: ['node-llama-cpp', 'bufferutil', 'utf-8-validate'],
    banner: { js: `#!/usr/bin/env node\n${esmRequireShim}` },
  },
  {
    ...common,
    entryPoints: ['daemon/model-host/main.ts'],
    outfile: 'dist/daemon/model-host.mjs',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['node-llama-cpp'],
    banner: { js: esmRequireShim },
  },
];

if (fs.existsSync('extension/extension.ts')) {
  targets.push({
    ...common,
    entryPoints: ['extension/extension.ts'],
    outfile: 'dist/extension/extension.cjs',
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'bufferutil', 'utf-8-validate'],
    minify: true,
  });
}
if (fs.existsSync('webview/main.ts')) {
  targets.push({ ...common, entryPoints: ['webview/main.ts'], outfile: 'dist/webview/main.js', platform: 'browser', format: 'iife', target: 'es2022', minify: true });
}

if (fs.existsSync('webview/usage/main.ts')) {
  targets.push({ ...common, entryPoints: ['webview/usage/main.ts'], outfile: 'dist/webview/usage.js', platform: 'browser', format: 'iife', target: 'es2022', minify: true });
}

const started = Date.now();
await Promise.all(targets.map((t) => build(t)));
fs.chmodSync('dist/daemon/gearbox.mjs', 0o755);
if (!watch) console.log(`built ${targets.length} bundles in ${Date.now() - started} ms`);
