// Runs inside the extension host: the extension's daemon connection reaches a daemon started on
// the isolated runtime dir and config the harness set (never the user's own daemon).
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

interface Connection {
  state: string;
  onDidChangeState: vscode.Event<string>;
  request(method: string, params: unknown): Promise<any>;
}

async function connection(): Promise<Connection> {
  const ext = vscode.extensions.getExtension<{ connection: Connection }>('gearbox.gearbox');
  assert.ok(ext);
  const api = await ext.activate();
  assert.ok(api?.connection);
  return api.connection;
}

describe('Gearbox extension: daemon connection', function () {
  this.timeout(90_000);

  it('uses the runtime dir and config from the settings (isolated from the real daemon)', function () {
    const expectedDir = process.env.GEARBOX_RUNTIME_DIR;
    if (!expectedDir) this.skip(); // desktop runs without the harness
    const cfg = vscode.workspace.getConfiguration('gearbox.daemon');
    assert.equal(cfg.get('runtimeDir'), expectedDir);
    assert.equal(cfg.get('configPath'), process.env.GEARBOX_CONFIG);
  });

  it('connects and gets the daemon status', async () => {
    const conn = await connection();
    const st = await conn.request('gearbox/status', {});
    assert.equal(conn.state, 'running');
    // The daemon's version is the package's (injected at build time), the same as the extension's.
    const ext = vscode.extensions.getExtension<unknown>('gearbox.gearbox');
    assert.ok(ext);
    assert.equal(st.version, (ext.packageJSON as { version: string }).version);
    assert.ok(st.pid > 0);
  });

  it('lists the configured models', async function () {
    if (!process.env.GEARBOX_CONFIG) this.skip();
    const conn = await connection();
    const { models } = await conn.request('gearbox/models', {});
    const ids = models.map((m: { id: string }) => m.id);
    assert.ok(ids.includes('local/tiny'), `local/tiny in ${ids.join(', ')}`);
    assert.ok(ids.includes('fake/fake-large'), `fake/fake-large in ${ids.join(', ')}`);
  });
});
