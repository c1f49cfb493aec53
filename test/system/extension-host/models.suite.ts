// Runs inside the extension host: the Models view's commands, run on a view node the way its menus
// run them, change the daemon's state (the real model host loads and unloads the harness's tiny
// model), and the commands of Add Local Model and the walkthrough are contributed and registered.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

interface LocalModel {
  id: string;
  state: string;
}
interface Connection {
  request(method: string, params: unknown): Promise<any>;
}

async function connection(): Promise<Connection> {
  const ext = vscode.extensions.getExtension<{ connection: Connection }>('gearbox.gearbox');
  assert.ok(ext);
  const api = await ext.activate();
  assert.ok(api?.connection);
  return api.connection;
}

async function localModel(conn: Connection, id: string): Promise<LocalModel> {
  const list = await conn.request('gearbox/models/list', {});
  const m = (list.models as LocalModel[]).find((x) => x.id === id);
  assert.ok(m, `${id} in ${list.models.map((x: LocalModel) => x.id).join(', ')}`);
  return m;
}

describe('Gearbox extension: Models view commands', function () {
  this.timeout(120_000);

  it('Load and Unload on a model row load it into the model host and free it', async function () {
    if (!process.env.GEARBOX_CONFIG) this.skip(); // the harness's config has local/tiny
    const conn = await connection();
    const tiny = await localModel(conn, 'local/tiny');
    // What the view's menu passes: the tree node of the row.
    await vscode.commands.executeCommand('gearbox.models.load', { kind: 'model', entry: tiny });
    assert.equal((await localModel(conn, 'local/tiny')).state, 'loaded');
    await vscode.commands.executeCommand('gearbox.models.unload', { kind: 'model', entry: tiny });
    assert.equal((await localModel(conn, 'local/tiny')).state, 'on-disk');
  });

  it('Use for Chat makes the model the daemon-wide chat default', async function () {
    if (!process.env.GEARBOX_CONFIG) this.skip();
    const conn = await connection();
    const tiny = await localModel(conn, 'local/tiny');
    try {
      await vscode.commands.executeCommand('gearbox.models.useForChat', { kind: 'model', entry: tiny });
      assert.equal((await conn.request('gearbox/models/list', {})).defaults.chat, 'local/tiny');
    } finally {
      await conn.request('gearbox/models/setDefaults', { defaults: { chat: null } });
    }
  });

  it('contributes the Models view, its + and the walkthrough, and registers their commands', async () => {
    const ext = vscode.extensions.getExtension('gearbox.gearbox');
    assert.ok(ext);
    const c = ext.packageJSON.contributes;
    assert.ok(c.views.gearbox.some((v: { id: string }) => v.id === 'gearbox.models'));
    const plus = c.menus['view/title'].find(
      (m: { command: string; when: string }) =>
        m.command === 'gearbox.addLocalModel' && m.when === 'view == gearbox.models',
    );
    assert.equal(plus?.group, 'navigation@1');
    assert.ok(c.walkthroughs.some((w: { id: string }) => w.id === 'gearbox.start'));
    const all = new Set(await vscode.commands.getCommands(true));
    for (const id of [
      'gearbox.addLocalModel',
      'gearbox.openDaemonConfig',
      'gearbox.tryCompletion',
      'gearbox.models.load',
    ])
      assert.ok(all.has(id), id);
  });
});
