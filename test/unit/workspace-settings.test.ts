import assert from 'node:assert/strict';
import { createLogger } from '../../daemon/log';
import { type SettingsClient, WorkspaceSettingsSync } from '../../daemon/workspace-settings';
import { WorkspaceSettings } from '../../shared/protocol';

const DEFAULTS = WorkspaceSettings.parse({ privateCode: true });

function setup(answer: () => Promise<unknown> = async () => undefined, defaults = () => DEFAULTS) {
  const warnings: string[] = [];
  const logs: string[] = [];
  let pulls = 0;
  const client: SettingsClient = {
    pull: () => {
      pulls++;
      return answer();
    },
    warn: (m) => warnings.push(m),
  };
  const sync = new WorkspaceSettingsSync(
    defaults,
    client,
    createLogger({ level: 'debug', write: (l) => logs.push(l) }),
  );
  return { sync, warnings, logs, pulls: () => pulls };
}

describe('workspace settings of a connection', () => {
  it("follows the daemon's defaults as they change: a config edit applies to an open connection", () => {
    let defaults = DEFAULTS;
    const { sync } = setup(undefined, () => defaults);
    sync.initialize(false, { routing: { mode: 'local-only' } });
    defaults = WorkspaceSettings.parse({ privatePaths: ['secret/**'] });
    assert.deepEqual(sync.current.privatePaths, ['secret/**']);
    assert.equal(sync.current.privateCode, false);
    assert.equal(sync.current.routing.mode, 'local-only', "the client's own settings stay over the new defaults");
  });

  it('starts from the defaults and takes the settings sent with initializationOptions over them', () => {
    const { sync } = setup();
    assert.deepEqual(sync.current, DEFAULTS);
    sync.initialize(false, { routing: { mode: 'local-only' } });
    assert.equal(sync.current.routing.mode, 'local-only');
    assert.equal(sync.current.privateCode, true, 'defaults fill what the client did not send');
  });

  it('refuses invalid settings as a whole, keeps the previous ones and warns the user', () => {
    const { sync, warnings } = setup();
    sync.initialize(false, { routing: { mode: 'local-only' } });
    sync.initialize(false, { routing: { mode: 'sometimes' } });
    assert.equal(sync.current.routing.mode, 'local-only');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /invalid settings ignored \(routing\.mode: /);
  });

  it('pulls workspace/configuration when the client supports it, and pulls again on a change', async () => {
    let quality = 2;
    const { sync, pulls } = setup(async () => ({ routing: { quality } }));
    sync.initialize(true, undefined);
    await sync.pull();
    assert.equal(sync.current.routing.quality, 2);
    quality = 9;
    await sync.changed({ gearbox: { routing: { quality: 0 } } });
    assert.equal(sync.current.routing.quality, 9, 'what the client answers wins over what it pushed');
    assert.equal(pulls(), 2);
  });

  it('without workspace/configuration: never pulls, and takes the pushed gearbox section', async () => {
    const { sync, pulls } = setup(async () => ({ privateCode: false }));
    sync.initialize(false, undefined);
    await sync.pull();
    await sync.changed({ other: { x: 1 } });
    assert.equal(sync.current.privateCode, true);
    await sync.changed({ gearbox: { privateCode: false } });
    assert.equal(sync.current.privateCode, false);
    assert.equal(pulls(), 0);
  });

  it('a failed pull is logged and leaves the settings as they were', async () => {
    const { sync, logs } = setup(async () => {
      throw new Error('client went away');
    });
    sync.initialize(true, { privateCode: false });
    await sync.pull();
    assert.equal(sync.current.privateCode, false);
    assert.ok(logs.some((l) => l.includes('workspace/configuration failed') && l.includes('client went away')));
  });
});
