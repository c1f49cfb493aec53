// Runs the extension-host suites (test/system/extension-host/*.suite.ts) inside a real VS Code: code-server
// with Gearbox and the test-runner extension (runner/) installed. The extension host starts when a
// browser connects, so Chromium opens the workbench; the runner writes the results JSON, which this
// prints mocha-style, ending with "N passed, M failed". Exit code 1 when any failed or none ran.
//
//   node --import tsx test/system/extension-host/run-code-server.ts [--grep TEXT] [--no-build]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { buildExtensionTests, outDir } from '../../../scripts/e2e/build-ext-tests.mjs';
import { artifactsRoot, CodeServerE2E, repoRoot } from '../e2e/launch';
import type { SuiteResults } from './runner/extension.cjs';
import { failureReason, formatSummary } from './summary';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const grepAt = args.indexOf('--grep');
  const grep = grepAt >= 0 ? args[grepAt + 1] : undefined;
  const started = Date.now();
  if (!args.includes('--no-build')) {
    const b = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'build.mjs')], {
      cwd: repoRoot,
      stdio: 'inherit',
    });
    if (b.status !== 0) throw new Error('npm run build failed');
    const r = await buildExtensionTests();
    console.log(`built ${r.suites.length} extension-host suite(s) in ${r.ms} ms`);
  }
  const suite = path.join(outDir, 'suite.cjs');
  if (!fs.existsSync(suite)) throw new Error(`${suite} is missing: node scripts/e2e/build-ext-tests.mjs`);
  const resultsPath = path.join(artifactsRoot, 'extension-host', 'results.json');
  fs.rmSync(resultsPath, { force: true });

  const e2e = await CodeServerE2E.launch({
    name: 'extension-host',
    testRunner: true,
    files: { 'hello.py': 'print("hello")\n' },
    // lm.suite.ts: a request that offers tools gets a tool call back.
    fake: {
      reply: (body) =>
        body?.tools?.length
          ? { kind: 'reply', toolCalls: [{ id: 'call_lm', name: 'get_weather', arguments: '{"city":"Paris"}' }] }
          : { kind: 'reply' },
    },
    env: {
      GEARBOX_EXT_TESTS: suite,
      GEARBOX_EXT_TEST_RESULTS: resultsPath,
      GEARBOX_EXT_TEST_MOCHA: path.join(repoRoot, 'node_modules', 'mocha'),
      ...(grep ? { GEARBOX_EXT_TEST_GREP: grep } : {}),
    },
  });
  let results: SuiteResults | undefined;
  try {
    await e2e.openWorkbench();
    const deadline = Date.now() + 240_000;
    while (!fs.existsSync(resultsPath)) {
      if (Date.now() > deadline)
        throw new Error(
          `no results in ${resultsPath} after 240 s ` +
            `(is the runner extension installed? see ${e2e.dirs.artifacts}/vscode-logs)`,
        );
      await new Promise((r) => setTimeout(r, 200));
    }
    results = JSON.parse(fs.readFileSync(resultsPath, 'utf8')) as SuiteResults;
    await e2e.screenshot('after-suite');
  } finally {
    await e2e.close();
  }
  const t = Object.entries(e2e.timings)
    .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
    .join(', ');
  console.log(`[timings] ${t}; total ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const failed = failureReason(results);
  if (failed)
    console.log(
      `extension-host tests: ${failed} (screenshots and logs: ${path.relative(repoRoot, e2e.dirs.artifacts)})`,
    );
  console.log(formatSummary(results)); // last line: "N passed, M failed"
  if (failed) return 1;
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    console.log('0 passed, 1 failed');
    process.exit(1);
  },
);
