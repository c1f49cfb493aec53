// @vscode/test-electron's extensionTestsPath (bundled to dist/test/extension-host/index.cjs):
// runs the bundled suite next to it inside the extension host. See run-desktop.ts.
import path from 'node:path';
import { runSuite } from './runner/extension.cjs';
import { failureReason, formatSummary } from './summary';

export async function run(): Promise<void> {
  const results = await runSuite(path.join(__dirname, 'suite.cjs'), {
    resultsPath: process.env.GEARBOX_EXT_TEST_RESULTS,
    grep: process.env.GEARBOX_EXT_TEST_GREP,
  });
  console.log(formatSummary(results));
  const failed = failureReason(results);
  if (failed) throw new Error(failed);
}
