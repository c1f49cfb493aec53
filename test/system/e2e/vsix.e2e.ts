// The packaged extension: installs the .vsix (`npm run package`) into a fresh code-server with
// `code-server --install-extension`, then checks that it activates, starts its bundled daemon and
// completes in a Python file with the local model (so the package carries the daemon and
// node-llama-cpp). Skipped when there is no .vsix: set GEARBOX_E2E_VSIX, or leave one in the repo
// root or dist/ (the newest is used). Under CI a missing .vsix fails the run.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { EditorActions, StatusBarActions, WorkbenchActions } from './actions';
import { repoRoot, useCodeServer } from './launch';

function findVsix(): string | undefined {
  if (process.env.GEARBOX_E2E_VSIX) return path.resolve(process.env.GEARBOX_E2E_VSIX);
  const found = [repoRoot, path.join(repoRoot, 'dist')]
    .filter((d) => fs.existsSync(d))
    .flatMap((d) =>
      fs
        .readdirSync(d)
        .filter((f) => f.endsWith('.vsix'))
        .map((f) => path.join(d, f)),
    )
    .map((f) => ({ f, t: fs.statSync(f).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  return found[0]?.f;
}

const vsix = findVsix();
// CI packages first, so a missing .vsix there is a failure, not a skip.
if (!vsix && process.env.CI) throw new Error('CI: no .vsix found (run npm run package before the e2e tests)');
const bundle = path.join(repoRoot, 'dist', 'extension', 'extension.cjs');
if (vsix && fs.existsSync(bundle) && fs.statSync(vsix).mtimeMs < fs.statSync(bundle).mtimeMs) {
  process.stderr.write(
    `note: ${vsix} is older than dist/extension/extension.cjs; run npm run package for a fresh one\n`,
  );
}

(vsix ? describe : describe.skip)(
  `packaged extension (${vsix ? path.basename(vsix) : 'no .vsix: run npm run package'})`,
  function () {
    this.timeout(240_000);
    const cs = useCodeServer({
      name: 'vsix-install',
      vsix,
      files: { 'demo.py': 'def add(a, b):\n    return a + b\n\n\n' },
    });

    it('installs into a fresh code-server, starts its daemon and completes', async () => {
      const e2e = cs.get();
      const installed = fs.readdirSync(e2e.dirs.extensions).filter((d) => d.startsWith('gearbox.gearbox-'));
      assert.equal(installed.length, 1, `one installed copy: ${installed.join(', ')}`);
      assert.ok(
        !fs.lstatSync(path.join(e2e.dirs.extensions, installed[0]!)).isSymbolicLink(),
        'installed from the .vsix, not linked',
      );
      await StatusBarActions.waitFor(e2e);
      const d = await e2e.waitForDaemon();
      assert.ok(d.pid > 0);
      await e2e.screenshot('running');
      await WorkbenchActions.openFile(e2e, 'demo.py');
      await EditorActions.gotoEnd(e2e);
      await EditorActions.type(e2e, 'print(add(1, ');
      const ghost = await EditorActions.waitForGhostText(e2e, { timeoutMs: 60_000, moreKeys: '23' });
      assert.ok(ghost.text.trim().length > 0);
      await e2e.screenshot('ghost-text');
    });
  },
);
