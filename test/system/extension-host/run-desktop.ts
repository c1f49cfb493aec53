// For contributors with a desktop: runs the extension-host suites (test/system/extension-host/*.suite.ts)
// in a downloaded VS Code through @vscode/test-electron, with the repo as the extension under
// development. Not run in CI (no download there): CI runs the same suites in code-server
// (run-code-server.ts). Needs network the first time (VS Code is cached in .vscode-test/), and a
// display (or xvfb-run on Linux).
//
//   node --import tsx test/system/extension-host/run-desktop.ts [--version stable|insiders|1.91.0] [--grep TEXT]
//
// Like the code-server run, the daemon is isolated: a temp runtime dir and a config with the
// generated tiny model and the fake provider; your own daemon, settings and keys are untouched.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTests } from '@vscode/test-electron';
import { buildExtensionTests, outDir } from '../../../scripts/e2e/build-ext-tests.mjs';
import { startFakeOpenAI } from '../../fakes/fake-openai';
import { makeTestModel } from '../../fixtures/make-test-model';
import { daemonFixtureConfig, repoRoot, stopDaemonIn } from '../e2e/launch';

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const opt = (flag: string) => (args.indexOf(flag) >= 0 ? args[args.indexOf(flag) + 1] : undefined);
  const b = spawnSync(process.execPath, [path.join(repoRoot, 'scripts', 'build.mjs')], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  if (b.status !== 0) throw new Error('npm run build failed');
  await buildExtensionTests();

  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gbdesk-'));
  const runtimeDir = path.join(root, 'run');
  const configPath = path.join(root, 'daemon-config.json');
  const userData = path.join(root, 'ud');
  const workspace = path.join(root, 'ws');
  const resultsPath = path.join(root, 'results.json');
  fs.mkdirSync(runtimeDir, { recursive: true, mode: 0o700 });
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.mkdirSync(path.join(workspace, '.vscode'), { recursive: true });
  const fake = await startFakeOpenAI();
  fs.writeFileSync(
    configPath,
    JSON.stringify(daemonFixtureConfig(makeTestModel({ shape: 'tiny' }), fake.url), null, 2),
  );
  // gearbox.daemon.* are machine-scoped: user settings, not workspace settings.
  fs.writeFileSync(
    path.join(userData, 'User', 'settings.json'),
    JSON.stringify(
      {
        'gearbox.daemon.runtimeDir': runtimeDir,
        'gearbox.daemon.configPath': configPath,
        'workbench.startupEditor': 'none',
        'security.workspace.trust.enabled': false,
      },
      null,
      2,
    ),
  );
  fs.writeFileSync(path.join(workspace, '.vscode', 'settings.json'), '{}\n');
  fs.writeFileSync(path.join(workspace, 'hello.py'), 'print("hello")\n');

  try {
    await runTests({
      version: opt('--version') ?? process.env.VSCODE_VERSION ?? 'stable',
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: path.join(outDir, 'index.cjs'),
      launchArgs: [
        workspace,
        '--disable-extensions',
        '--disable-workspace-trust',
        '--skip-welcome',
        '--skip-release-notes',
        '--user-data-dir',
        userData,
      ],
      extensionTestsEnv: {
        GEARBOX_RUNTIME_DIR: runtimeDir,
        GEARBOX_CONFIG: configPath,
        GEARBOX_EXT_TEST_RESULTS: resultsPath,
        ...(opt('--grep') ? { GEARBOX_EXT_TEST_GREP: opt('--grep')! } : {}),
      },
    });
    return 0; // index.cjs printed the summary; it throws (exit code ≠ 0) when a test failed or none ran
  } catch (err) {
    console.error(`extension-host tests failed: ${(err as Error).message}`);
    return 1;
  } finally {
    await stopDaemonIn(runtimeDir);
    await fake.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
