#!/usr/bin/env node
// Bundles the extension-host suites for the runner (code-server in CI, or @vscode/test-electron):
//   dist/test/extension-host/suite.cjs   every test/system/extension-host/*.suite.ts, CJS, `vscode` external;
//                                        mocha's bdd globals (describe/it) come from the runner
//   dist/test/extension-host/index.cjs   @vscode/test-electron's extensionTestsPath: exports run()
import { build } from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const srcDir = path.join(root, 'test', 'system', 'extension-host');
export const outDir = path.join(root, 'dist', 'test', 'extension-host');

export async function buildExtensionTests() {
  const started = Date.now();
  const suites = fs
    .readdirSync(srcDir)
    .filter((f) => f.endsWith('.suite.ts'))
    .sort();
  if (suites.length === 0) throw new Error(`no *.suite.ts in ${srcDir}`);
  const common = {
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    logLevel: 'warning',
    external: ['vscode', 'mocha'],
  };
  await build({
    ...common,
    stdin: {
      contents: suites.map((f) => `import './${f}';`).join('\n'),
      resolveDir: srcDir,
      sourcefile: 'suites.ts',
      loader: 'ts',
    },
    outfile: path.join(outDir, 'suite.cjs'),
  });
  await build({ ...common, entryPoints: [path.join(srcDir, 'index.ts')], outfile: path.join(outDir, 'index.cjs') });
  return { suites, outDir, ms: Date.now() - started };
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const r = await buildExtensionTests();
  console.log(
    `built the extension-host suite (${r.suites.join(', ')}) into ${path.relative(root, r.outDir)} in ${r.ms} ms`,
  );
}
