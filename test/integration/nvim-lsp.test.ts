// Neovim from Debian (0.7.2, headless) with a small Lua config (test/fixtures/nvim/gearbox-lsp.lua)
// that attaches `gearbox lsp` to a Python buffer, asks for completion items and for the refactor code
// actions, and applies Simplify's workspace edit. 0.7.2 has no vim.lsp.config (0.11+, what the README
// shows): the config uses vim.lsp.start_client, which both versions have. Fails, never skips, when
// nvim is missing: the e2e apt deps install it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FakeModelHost } from '../fakes/fake-model-host';
import { startTestDaemon, tempDir, type TestDaemon } from '../helpers/daemon-harness';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SIMPLIFIED = 'def add(a, b):\n    return a + b';

describe('gearbox lsp in headless Neovim', function () {
  this.timeout(180_000);
  let d: TestDaemon;

  before(async () => {
    const host = new FakeModelHost();
    host.reply = (req) => ('prefix' in req ? 'a + b' : `\`\`\`python\n${SIMPLIFIED}\n\`\`\``);
    d = await startTestDaemon(
      { localModels: [{ id: 'local/tiny', source: '/fake/tiny.gguf', tasks: ['completion', 'chat', 'refactor'] }] },
      { modelHost: host },
    );
  });
  after(async () => d?.stop());

  it('attaches, gets a completion item and the refactor actions, applies Simplify', async () => {
    const work = tempDir('gearbox-nvim-');
    const file = path.join(work, 'calc.py');
    fs.writeFileSync(file, 'def add(a, b):\n    return \n');
    const outFile = path.join(work, 'out.json');
    const cmd = [process.execPath, '--import', 'tsx', path.join(root, 'daemon', 'gearbox.ts'), 'lsp'];
    const nvim = spawn(
      'nvim',
      [
        '--headless',
        '-u',
        'NONE',
        '-i',
        'NONE',
        '--cmd',
        'filetype on',
        '-c',
        `luafile ${path.join(root, 'test', 'fixtures', 'nvim', 'gearbox-lsp.lua')}`,
      ],
      {
        cwd: root,
        env: {
          PATH: process.env.PATH,
          HOME: work,
          XDG_STATE_HOME: path.join(work, 'state'),
          GEARBOX_RUNTIME_DIR: d.runtimeDir,
          GEARBOX_LSP_CMD: JSON.stringify(cmd),
          GEARBOX_NVIM_FILE: file,
          GEARBOX_NVIM_OUT: outFile,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    nvim.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const code = await new Promise<number | null>((resolve, reject) => {
      nvim.once('error', reject);
      nvim.once('exit', (c) => resolve(c));
    });
    assert.equal(code, 0, stderr);
    const out = JSON.parse(fs.readFileSync(outFile, 'utf8'));
    assert.equal(out.error, undefined, out.error);
    assert.equal(out.filetype, 'python');
    assert.equal(out.initialized, true);
    assert.deepEqual(out.capabilities, { completion: true, codeAction: true });
    const item = out.completion.items[0];
    assert.equal(item.textEdit.newText, 'a + b');
    assert.equal(item.label, 'a + b');
    assert.ok(out.actions.includes('Gearbox: Simplify'), out.actions.join(', '));
    assert.ok(out.actions.includes('Gearbox: Explain'));
    assert.equal(out.resolved, true);
    assert.equal(out.text, SIMPLIFIED);
  });
});
