// What the clients (the CLI and the extension's connection logic) trust before they send the token,
// code or API keys anywhere: only a runtime dir and files the user owns and nobody else can read
// (planted dirs are set up as another uid and the clients run as a third: setpriv, needs root), and
// over TLS only the exact certificate the daemon wrote into its discovery file.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { connectToDaemon } from '../../daemon/cli/client';
import { VERSION } from '../../daemon/version';
import { connectOrStartDaemon } from '../../extension/core/daemon-locator';
import { PROTOCOL_VERSION } from '../../shared/protocol';
import { canSwitchUser, gearboxAs, gearboxBin, type Run, scriptAs } from '../helpers/as-user';
import { tempDir } from '../helpers/daemon-harness';
import { selfSignedCert, type TestCert } from '../helpers/self-signed-cert';

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
    version: VERSION,
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

/**
 * A TLS listener with its own certificate standing in for an impostor: records what reaches it
 * decrypted, and answers a whole request with 401 so that a client that did talk to it finishes.
 */
async function tlsImpostor(cert: TestCert): Promise<{ port: number; received: () => string; close(): void }> {
  let received = '';
  const server = tls.createServer({ cert: cert.pem, key: fs.readFileSync(cert.keyPath) }, (sock) => {
    sock.on('data', (d) => {
      received += d.toString('latin1');
      if (received.includes('\r\n\r\n')) sock.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
    });
    sock.on('error', () => {});
  });
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, received: () => received, close: () => server.close() };
}

/** One JSON-RPC request on a raw socket, resolved with its answer. */
function rpc(socket: import('ws').WebSocket, method: string, params: unknown): Promise<any> {
  const id = Math.floor(Math.random() * 1e9);
  return new Promise((resolve) => {
    const onMessage = (data: Buffer) => {
      const m = JSON.parse(data.toString());
      if (m.id !== id) return;
      socket.off('message', onMessage);
      resolve(m);
    };
    socket.on('message', onMessage);
    socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }));
  });
}

describe("security: clients pin the daemon's TLS certificate", function () {
  this.timeout(120_000);

  it('the extension starts a TLS daemon and connects, the CLI too; the daemon writes its own log', async () => {
    const work = tempDir('gearbox-tls-');
    const cert = selfSignedCert(work, 'daemon');
    const configPath = path.join(work, 'config.json');
    const config = { tls: { certPath: cert.certPath, keyPath: cert.keyPath }, gpu: false, threads: 1 };
    fs.writeFileSync(configPath, JSON.stringify(config));
    const runtimeDir = path.join(work, 'run');
    const env = { PATH: process.env.PATH, HOME: work, GEARBOX_RUNTIME_DIR: runtimeDir, GEARBOX_CONFIG: configPath };
    const run = (args: string[]) =>
      new Promise<Run>((resolve) =>
        execFile(process.execPath, [gearboxBin, ...args], { env }, (err, stdout, stderr) =>
          resolve({ code: err ? 1 : 0, stdout, stderr }),
        ),
      );
    try {
      // The extension's logic finds no daemon, starts the built one on this runtime, and connects over wss.
      const { discovery, socket } = await connectOrStartDaemon({
        runtimeDir,
        configPath,
        execPath: process.execPath,
        daemonScript: gearboxBin,
        env,
        log: () => {},
      });
      assert.equal(discovery.tls?.cert, cert.pem);
      assert.equal(socket.url, `wss://127.0.0.1:${discovery.port}/`);
      const init = await rpc(socket, 'initialize', { processId: null, rootUri: null, capabilities: {} });
      assert.ok(init.result?.capabilities, JSON.stringify(init));
      socket.close();

      const cli = await connectToDaemon({ runtimeDir });
      assert.equal((await cli.request('gearbox/status', {})).pid, discovery.pid);
      await cli.close();
      const built = await run(['status', '--json']);
      assert.equal(built.code, 0, refusal(built));
      assert.equal(JSON.parse(built.stdout).pid, discovery.pid);

      // Its stdio points nowhere: it writes (and rotates) daemon.log itself.
      if (process.platform === 'linux')
        for (const fd of [1, 2]) assert.equal(fs.readlinkSync(`/proc/${discovery.pid}/fd/${fd}`), '/dev/null');
      const log = fs.readFileSync(path.join(runtimeDir, 'daemon.log'), 'utf8');
      assert.match(log, /"msg":"daemon ready"/);
    } finally {
      const stop = await run(['stop']);
      assert.equal(stop.code, 0, refusal(stop));
    }
  });

  it('a server with another certificate gets nothing: CLI and extension refuse before sending the token', async () => {
    const work = tempDir('gearbox-pin-');
    const pinned = selfSignedCert(work, 'daemon');
    const other = selfSignedCert(work, 'impostor');
    const impostor = await tlsImpostor(other);
    const runtimeDir = path.join(work, 'run');
    fs.mkdirSync(runtimeDir, { mode: 0o700 });
    const write = (cert: TestCert) => {
      const d = { pid: process.pid, port: impostor.port, host: '127.0.0.1', tls: { cert: cert.pem } };
      const full = { ...d, protocolVersion: PROTOCOL_VERSION, version: VERSION, startedAt: new Date().toISOString() };
      fs.writeFileSync(path.join(runtimeDir, 'daemon.json'), JSON.stringify(full), { mode: 0o600 });
      fs.writeFileSync(path.join(runtimeDir, 'token'), 'the-real-token-value', { mode: 0o600 });
    };
    try {
      write(pinned);
      await assert.rejects(connectToDaemon({ runtimeDir }), /did not present the certificate in its discovery file/);
      const loc = { runtimeDir, execPath: process.execPath, daemonScript: gearboxBin, env: {}, log: () => {} };
      await assert.rejects(connectOrStartDaemon(loc), /did not present the certificate in its discovery file/);
      assert.equal(impostor.received(), '', 'not a byte of the upgrade (nor the token) reached it');

      // The control: pinning the impostor's own certificate, the same clients do talk to it.
      write(other);
      await assert.rejects(connectToDaemon({ runtimeDir }), /refused the connection: HTTP 401/);
      assert.match(impostor.received(), /authorization: Bearer the-real-token-value/i);
    } finally {
      impostor.close();
    }
  });
});
