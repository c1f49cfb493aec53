// Runs inside the extension host (code-server in CI, or desktop VS Code through run-desktop.ts):
// the Gearbox extension is installed, activates, registers its commands, contributes the chat view
// and its settings with their defaults, and talks to a daemon on the isolated runtime dir.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'gearbox.gearbox';

interface Contributes {
  commands: { command: string; title: string }[];
  viewsContainers: { activitybar: { id: string; title: string }[] };
  views: Record<string, { id: string; type?: string; name: string }[]>;
  configuration: { properties: Record<string, { default?: unknown; scope?: string }> };
  menus: Record<string, { command?: string; submenu?: string }[]>;
}

function gearbox(): vscode.Extension<any> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext, `${EXTENSION_ID} is installed`);
  return ext;
}

const contributes = (): Contributes => gearbox().packageJSON.contributes as Contributes;

describe('Gearbox extension: activation and contributions', function () {
  this.timeout(60_000);

  it('is installed and activates', async () => {
    const ext = gearbox();
    await ext.activate();
    assert.equal(ext.isActive, true);
    assert.ok(ext.exports?.connection, 'activate() returns { connection }');
  });

  it('registers every contributed command', async () => {
    const all = new Set(await vscode.commands.getCommands(true));
    const expected = [
      'gearbox.restartDaemon',
      'gearbox.selectModel',
      'gearbox.setApiKey',
      'gearbox.removeApiKeys',
      'gearbox.showStatus',
      'gearbox.showLogs',
      'gearbox.toggleInlineCompletion',
      'gearbox.refactor.custom',
      'gearbox.refactor.explain',
      'gearbox.refactor.document',
      'gearbox.refactor.types',
      'gearbox.refactor.simplify',
      'gearbox.refactor.tests',
      'gearbox.chat.focus',
      'gearbox.chat.new',
    ];
    const contributed = contributes().commands.map((c) => c.command);
    for (const id of expected) assert.ok(contributed.includes(id), `package.json contributes ${id}`);
    const missing = contributed.filter((id) => !all.has(id));
    assert.deepEqual(missing, [], 'every contributed command is registered');
  });

  it('contributes the Gearbox view container and the chat webview view', async () => {
    const c = contributes();
    assert.ok(c.viewsContainers.activitybar.some((v) => v.id === 'gearbox' && v.title === 'Gearbox'));
    const chat = c.views.gearbox?.find((v) => v.id === 'gearbox.chat');
    assert.ok(chat, 'view gearbox.chat in container gearbox');
    assert.equal(chat.type, 'webview');
    const all = new Set(await vscode.commands.getCommands(true));
    assert.ok(all.has('workbench.view.extension.gearbox'), 'the container can be opened');
    // Opening the view resolves the webview view provider; a missing provider throws or hangs.
    await vscode.commands.executeCommand('workbench.view.extension.gearbox');
    await vscode.commands.executeCommand('gearbox.chat.focus');
  });

  it('puts the refactor commands in an editor context submenu', () => {
    const c = contributes();
    assert.ok(c.menus['editor/context']?.some((m) => m.submenu === 'gearbox.editorContext'));
    const sub = (c.menus['gearbox.editorContext'] ?? []).map((m) => m.command);
    assert.ok(sub.includes('gearbox.refactor.simplify'));
  });

  it('has the contributed setting defaults', () => {
    const props = contributes().configuration.properties;
    assert.ok(Object.keys(props).length >= 10);
    for (const [key, schema] of Object.entries(props)) {
      const inspected = vscode.workspace.getConfiguration().inspect(key);
      assert.ok(inspected, `setting ${key} is known to VS Code`);
      assert.deepEqual(inspected.defaultValue, schema.default, `default of ${key}`);
    }
    const cfg = vscode.workspace.getConfiguration('gearbox');
    assert.equal(cfg.inspect('models.chat')?.defaultValue, 'auto');
    assert.equal(cfg.inspect('routing.mode')?.defaultValue, 'auto');
    assert.equal(cfg.inspect('inlineCompletion.enabled')?.defaultValue, true);
  });
});
