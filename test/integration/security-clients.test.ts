// What the clients (the CLI and the extension's connection logic) trust before they send the token,
// code or API keys anywhere: only a runtime dir and files the user owns and nobody else can read.
// Planted dirs are set up as another uid and the clients run as a third (setpriv: needs root).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PROTOCOL_VERSION } from '../../shared/protocol';
import { canSwitchUser, gearboxAs, type Run, scriptAs } from '../helpers/as-user';
import { tempDir } from '../helpers/daemon-harness';

const ATTACKER = 42_001;
const VICTIM = 42_002;

/** A listener standing in for another user's fake daemon: records whether anyone connected or sent a byte. */
async function recordingListener(): Promise<{ port: number; connections: number; bytes: number; close(): void }> {
  const rec = { port: 0, connections: 0, bytes: 0, close: () => server.close() };
  const server = net.createServer((sock) => {
    rec.connections++;
    sock.on('data', (d) => (rec.bytes += d.length));
    sock.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  rec.port = (server.address() as net.AddressInfo).port;
  return rec;
}

function plant(dir: string, port: number, pid: number): void {
  fs.mkdirSync(dir, { recursive: true });
  const discovery = {
    pid,
    port,
    host: '127.0.0.1',
    protocolVersion: PROTOCOL_VERSION,
    version: '0.1.0',
    startedAt: new Date().toISOString(),
  };
  fs.writeFileSync(path.join(dir, 'daemon.json'), JSON.stringify(discovery));
  fs.writeFileSync(path.join(dir, 'token'), 'planted-token-of-another-user');
}

function chown(p: string, uid: number, mode: number): void {
  fs.chownSync(p, uid, uid);
  fs.chmodSync(p, mode);
}

const refusal = (r: Run) => `${r.code}\n${r.stdout}\n${r.stderr}`;

describe('security: clients trust only a runtime dir they own', function () {
  this.timeout(120_000);
  let base: string;
  let env: NodeJS.ProcessEnv;
  let listener: Awaited<ReturnType<typeof recordingListener>>;
  /** The victim's default runtime dir: <tmp>/gearbox-<uid>, as on a host without XDG_RUNTIME_DIR. */
  let victimDir: string;

  before(function () {
    // setpriv needs root; CI runs as root. Anywhere else this suite is reported as pending, not passed.
    if (!canSwitchUser()) this.skip();
    base = tempDir('gearbox-trust-');
    fs.chmodSync(base, 0o1777); // a shared /tmp: both users may create entries in it
    const home = path.join(base, 'victim-home');
    fs.mkdirSync(home);
    chown(home, VICTIM, 0o700);
    victimDir = path.join(base, `gearbox-${VICTIM}`);
    env = { PATH: process.env.PATH, HOME: home, TMPDIR: base };
  });
  beforeEach(async () => {
    listener = await recordingListener();
    fs.rmSync(victimDir, { recursive: true, force: true });
  });
  afterEach(() => listener?.close());

  it('refuses a dir made first by another user: nothing is sent, start is not "already running"', async () => {
    // The attacker's pid (here: this root process) is alive, so before the fix the dir looked like a live daemon.
    plant(victimDir, listener.port, process.pid);
    chown(victimDir, ATTACKER, 0o755);
    for (const f of ['daemon.json', 'token']) chown(path.join(victimDir, f), ATTACKER, 0o644);

    const chat = await gearboxAs(VICTIM, ['chat', 'the victim code: def secret(): ...'], env);
    assert.notEqual(chat.code, 0, refusal(chat));
    assert.match(chat.stderr, new RegExp(`${victimDir}.*owned by uid ${ATTACKER}`), refusal(chat));
    assert.match(chat.stderr, /GEARBOX_RUNTIME_DIR/, 'says what to do');

    const status = await gearboxAs(VICTIM, ['status'], env);
    assert.notEqual(status.code, 0, refusal(status));
    assert.match(status.stderr, /owned by uid 42001/);

    const start = await gearboxAs(VICTIM, ['start', '--detach'], env);
    assert.notEqual(start.code, 0, refusal(start));
    assert.doesNotMatch(start.stdout, /already running/);
    assert.match(start.stderr, new RegExp(`${victimDir}.*owned by uid ${ATTACKER}`), refusal(start));

    const ext = await scriptAs(VICTIM, 'test/helpers/extension-connect-probe.ts', [victimDir], env);
    const extResult = JSON.parse(ext.stdout || '{}');
    assert.equal(extResult.ok, false, refusal(ext));
    assert.match(extResult.error, new RegExp(`${victimDir}.*owned by uid ${ATTACKER}`));

    assert.equal(listener.connections, 0, 'nothing connected to the planted listener');
    assert.equal(listener.bytes, 0);
  });

  it('refuses discovery and token files another user owns or others can read, in a dir the user owns', async () => {
    plant(victimDir, listener.port, process.pid);
    chown(victimDir, VICTIM, 0o700);
    // Planted while the dir was open (an older version, a umask): owned by the attacker.
    chown(path.join(victimDir, 'daemon.json'), ATTACKER, 0o644);
    chown(path.join(victimDir, 'token'), VICTIM, 0o600);
    const status = await gearboxAs(VICTIM, ['status'], env);
    assert.notEqual(status.code, 0, refusal(status));
    assert.match(status.stderr, new RegExp(`${path.join(victimDir, 'daemon.json')}.*owned by uid ${ATTACKER}`));
    const ext = JSON.parse(
      (await scriptAs(VICTIM, 'test/helpers/extension-connect-probe.ts', [victimDir], env)).stdout,
    );
    assert.equal(ext.ok, false);
    assert.match(ext.error, /daemon\.json.*owned by uid 42001/);

    // The user's own files, but readable by others: the token may have been read, refuse too.
    chown(path.join(victimDir, 'daemon.json'), VICTIM, 0o644);
    const looseDiscovery = await gearboxAs(VICTIM, ['status'], env);
    assert.notEqual(looseDiscovery.code, 0, refusal(looseDiscovery));
    assert.match(looseDiscovery.stderr, new RegExp(`${path.join(victimDir, 'daemon.json')}.*mode 0644.*chmod 600`));
    // A live daemon pid of the user's own, so that only the token file is wrong.
    const daemonStandIn = spawn('setpriv', [
      `--reuid=${VICTIM}`,
      `--regid=${VICTIM}`,
      '--clear-groups',
      'sleep',
      '600',
    ]);
    try {
      plant(victimDir, listener.port, daemonStandIn.pid!);
      chown(path.join(victimDir, 'daemon.json'), VICTIM, 0o600);
      chown(path.join(victimDir, 'token'), VICTIM, 0o644);
      const looseToken = await gearboxAs(VICTIM, ['status'], env);
      assert.notEqual(looseToken.code, 0, refusal(looseToken));
      assert.match(looseToken.stderr, new RegExp(`${path.join(victimDir, 'token')}.*mode 0644.*chmod 600`));
    } finally {
      daemonStandIn.kill();
    }
    assert.equal(listener.connections, 0);
  });

  it("treats a discovery file whose pid is another user's process as stale, and starts its own daemon", async () => {
    // The user's own, well-kept files, but the daemon died and its pid now belongs to someone else.
    plant(victimDir, listener.port, process.pid);
    fs.writeFileSync(path.join(victimDir, 'daemon.lock'), String(process.pid));
    chown(victimDir, VICTIM, 0o700);
    for (const f of ['daemon.json', 'token', 'daemon.lock']) chown(path.join(victimDir, f), VICTIM, 0o600);
    const status = await gearboxAs(VICTIM, ['status'], env);
    assert.notEqual(status.code, 0);
    assert.match(status.stderr, /No Gearbox daemon is running/);
    const start = await gearboxAs(VICTIM, ['start', '--detach'], env);
    try {
      assert.equal(start.code, 0, refusal(start));
      assert.match(start.stdout, /started: pid \d+/);
      assert.doesNotMatch(start.stdout, /already running/);
    } finally {
      const stop = await gearboxAs(VICTIM, ['stop'], env);
      assert.equal(stop.code, 0, refusal(stop));
    }
    assert.equal(listener.connections, 0);
  });
});
