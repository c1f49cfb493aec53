// One esbuild bundle per target. Type-checking is separate (npm run typecheck). First, the parts of
// package.json and the config.json schema that are generated from the zod schemas (gen-contributions.ts).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const generated = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/gen-contributions.ts'], {
  stdio: 'inherit',
});
if (generated.status !== 0)
  throw new Error(`scripts/gen-contributions.ts failed (${generated.status ?? generated.signal})`);

const { version } = JSON.parse(fs.readFileSync('package.json', 'utf8'));
const common = {
  bundle: true,
  sourcemap: 'linked',
  logLevel: 'warning',
  legalComments: 'none',
  // daemon/version.ts: the version is package.json's, without bundling package.json.
  define: { __GEARBOX_VERSION__: JSON.stringify(version) },
  // jsonc-parser's `main` is a UMD build whose require() calls esbuild cannot follow; its ESM build bundles.
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
};
// Bundled CommonJS dependencies call require() for Node built-ins; give the ESM bundle one.
const esmRequireShim =
  "import { createRequire as __gbCreateRequire } from 'node:module'; " +
  'const require = __gbCreateRequire(import.meta.url);';

const targets = [
  {
    ...common,
    entryPoints: { gearbox: 'daemon/gearbox.ts' },
    outdir: 'dist/daemon',
    outExtension: { '.js': '.mjs' },
    // What is imported only on first use stays out of the start: the tokenizers' BPE ranks (3 MB of
    // JavaScript that V8 would otherwise scan at every daemon and CLI start) go to their own chunks.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
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
  {
    // Code search's worker thread (daemon/codebase/index-worker.ts): the daemon starts it from this
    // file next to its own bundle. tree-sitter stays outside it, loaded from node_modules like the daemon's.
    ...common,
    entryPoints: ['daemon/codebase/index-worker.ts'],
    outfile: 'dist/daemon/index-worker.mjs',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    banner: { js: esmRequireShim },
  },
];

// zod's `z` namespace re-exports all of its ~50 locales (a quarter of the extension's bytes); the
// extension only uses English, which zod sets up itself. Less to parse when the features load.
const zodEnglishOnly = {
  name: 'zod-english-only',
  setup(b) {
    b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
      /[\\/]zod[\\/]v4[\\/]/.test(args.importer)
        ? { path: path.join(path.dirname(args.importer), '..', 'locales', 'index.js'), namespace: 'zod-english-only' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'zod-english-only' }, (args) => ({
      contents: "export { default as en } from './en.js';",
      resolveDir: path.dirname(args.path),
      loader: 'js',
    }));
  },
};
// extension.cjs is what VS Code loads to activate (status bar, command stubs: a few KB); it requires
// its sibling features.cjs (the daemon connection, vscode-languageclient, zod, chat, …) right after.
const featuresBundle = {
  name: 'features-bundle',
  setup(b) {
    b.onResolve({ filter: /^\.\/features\.cjs$/ }, () => ({ path: './features.cjs', external: true }));
  },
};
if (fs.existsSync('extension/extension.ts')) {
  const extension = {
    ...common,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'bufferutil', 'utf-8-validate'],
    minify: true,
  };
  targets.push({
    ...extension,
    entryPoints: ['extension/extension.ts'],
    outfile: 'dist/extension/extension.cjs',
    plugins: [featuresBundle],
  });
  targets.push({
    ...extension,
    entryPoints: ['extension/features.ts'],
    outfile: 'dist/extension/features.cjs',
    plugins: [zodEnglishOnly],
  });
}
if (fs.existsSync('webview/main.ts')) {
  targets.push({
    ...common,
    entryPoints: ['webview/main.ts'],
    outfile: 'dist/webview/main.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
  });
}

if (fs.existsSync('webview/usage/main.ts')) {
  targets.push({
    ...common,
    entryPoints: ['webview/usage/main.ts'],
    outfile: 'dist/webview/usage.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: true,
  });
}

const started = Date.now();
// Chunk names carry a hash: without this, every build would leave the last one's chunks behind.
fs.rmSync('dist/daemon/chunks', { recursive: true, force: true });
await Promise.all(targets.map((t) => build(t)));
fs.chmodSync('dist/daemon/gearbox.mjs', 0o755);
console.log(`built ${targets.length} bundles in ${Date.now() - started} ms`);
