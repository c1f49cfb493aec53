// Security properties of the daemon, each a test that fails if its protection is removed:
// loopback-only bind (TLS otherwise), exact Host and Origin checks (raw TCP too), private runtime
// files, no CORS, WebSocket limits, API keys kept out of every log, error, file and the model
// host, hostile GGUF headers, and model paths confined to the allowed dirs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import WebSocket from 'ws';
import { tokenEquals } from '../../daemon/auth';
import { DaemonConfigSchema } from '../../daemon/config';
import { startDaemon } from '../../daemon/daemon';
import { RotatingLog } from '../../daemon/rotating-log';
import { MAX_PAYLOAD_BYTES, isLoopbackHost } from '../../daemon/server';
import { DaemonRefusedError, openDaemonSocket } from '../../shared/daemon-socket';
import { readDiscovery } from '../../shared/discovery';
import { ErrorCodes } from '../../shared/protocol';
import { startFakeOpenAI } from '../fakes/fake-openai';
import { FakeModelHost } from '../fakes/fake-model-host';
import { startTestDaemon, tempDir, type TestDaemon } from '../helpers/daemon-harness';
import { selfSignedCert } from '../helpers/self-signed-cert';

/** Sends raw bytes and returns the status code of the first response line. */
function rawHttp(port: number, request: string): Promise<{ status: number; head: string }> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write(request));
    let data = '';
    sock.on('data', (d) => {
      data += d.toString('latin1');
      if (data.includes('\r\n\r\n')) {
        sock.destroy();
        resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(data)?.[1] ?? 0), head: data.split('\r\n\r\n')[0]! });
      }
    });
    sock.on('error', reject);
    sock.on('close', () => resolve({ status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(data)?.[1] ?? 0), head: data }));
  });
}

function upgradeRequest(headers: Record<string, string | undefined>, version = '1.1'): string {
  const lines = [`GET / HTTP/${version}`];
  const all: Record<string, string | undefined> = {
    connection: 'Upgrade',
    upgrade: 'websocket',
    'sec-websocket-version': '13',
    'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
    ...headers,
  };
  for (const [k, v] of Object.entries(all)) if (v !== undefined) lines.push(`${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

function request(
  port: number,
  method: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path: '/', headers }, (res) => {
      res.resume();
      resolve({ status: res.statusCode!, headers: res.headers });
    });
    req.on('error', reject);
    req.end();
  });
}

function wsConnect(
  port: number,
  token: string,
  extra: WebSocket.ClientOptions = {},
): Promise<{ ws: WebSocket; res: http.IncomingMessage }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { headers: { authorization: `Bearer ${token}` }, ...extra });
    let res: http.IncomingMessage | undefined;
    ws.once('upgrade', (r) => (res = r));
    ws.once('open', () => resolve({ ws, res: res! }));
    ws.once('unexpected-response', (_q, r) => reject(new Error(`status ${r.statusCode}`)));
    ws.once('error', reject);
  });
}

const closed = (ws: WebSocket) => new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

describe('security: network face', () => {
  let d: TestDaemon;
  before(async () => {
    d = await startTestDaemon({}, { modelHost: new FakeModelHost() });
  });
  after(async () => d?.stop());

  it('knows which binds are loopback', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'])
      assert.ok(isLoopbackHost(h), h);
    for (const h of ['0.0.0.0', '::', '192.168.1.5', '10.0.0.1', 'example.com', '::ffff:10.0.0.1', '128.0.0.1'])
      assert.ok(!isLoopbackHost(h), h);
  });

  it('refuses a non-loopback bind without TLS, with a clear error, and leaves no lock behind', async () => {
    const runtimeDir = path.join(tempDir(), 'run');
    for (const host of ['0.0.0.0', '::', '192.168.1.5']) {
      await assert.rejects(
        startDaemon({
          runtimeDir,
          configPath: '/nonexistent/config.json',
          config: DaemonConfigSchema.parse({ host }),
          modelHost: new FakeModelHost(),
          logWrite: () => {},
        }),
        (e: Error) => e.message.includes(`Refusing to listen on "${host}"`) && /TLS/.test(e.message),
      );
    }
    assert.equal(fs.existsSync(path.join(runtimeDir, 'daemon.lock')), false);
    assert.equal(fs.existsSync(path.join(runtimeDir, 'token')), false);
  });

  it('serves wss through node:https when TLS is configured for a non-loopback bind', async () => {
    const cert = selfSignedCert(tempDir(), 'daemon');
    const t = await startTestDaemon(
      { host: '0.0.0.0', tls: { certPath: cert.certPath, keyPath: cert.keyPath } },
      { modelHost: new FakeModelHost() },
    );
    try {
      assert.equal(JSON.parse(fs.readFileSync(t.paths.discovery, 'utf8')).tls.cert, cert.pem, 'the cert, for pinning');
      // our own client reaches it on loopback, over wss with the pinned certificate
      const c = await t.connect();
      assert.equal((await c.request('gearbox/status', {})).pid, process.pid);
      // plain ws:// gets nowhere, and the token is still required over TLS
      const plain = await rawHttp(
        t.port,
        upgradeRequest({ host: `127.0.0.1:${t.port}`, authorization: `Bearer ${t.token}` }),
      );
      assert.notEqual(plain.status, 101);
      const noToken = new WebSocket(`wss://127.0.0.1:${t.port}/`, { rejectUnauthorized: false });
      const status = await new Promise<number>((resolve) =>
        noToken.once('unexpected-response', (_q, r) => resolve(r.statusCode!)),
      );
      assert.equal(status, 401);
    } finally {
      await t.stop();
    }
  });

  const hostTitle =
    'answers 403 to any Host but 127.0.0.1:PORT, localhost:PORT or [::1]:PORT, ' +
    'over HTTP and WebSocket, raw TCP included';
  it(hostTitle, async () => {
    const p = d.port;
    const auth = `Bearer ${d.token}`;
    const bad: (string | undefined)[] = [
      undefined,
      '',
      ' ',
      `evil.example:${p}`,
      '127.0.0.1',
      `127.0.0.1:${p + 1}`,
      `127.0.0.2:${p}`,
      `localhost.:${p}`,
      `127.0.0.1:${p}.evil.example`,
      `0.0.0.0:${p}`,
      `[::1]`,
      `user@127.0.0.1:${p}`,
    ];
    for (const host of bad) {
      const ws = await rawHttp(p, upgradeRequest({ host, authorization: auth }));
      assert.equal(ws.status, 403, `WebSocket with Host ${JSON.stringify(host)}: ${ws.head}`);
      const lines = [
        `GET / HTTP/1.1`,
        ...(host === undefined ? [] : [`Host: ${host}`]),
        `Authorization: ${auth}`,
        'Connection: close',
      ];
      const plain = await rawHttp(p, `${lines.join('\r\n')}\r\n\r\n`);
      assert.equal(plain.status, 403, `HTTP with Host ${JSON.stringify(host)}: ${plain.head}`);
    }
    // HTTP/1.0 has no Host requirement in the protocol; the daemon still wants one
    assert.equal((await rawHttp(p, `GET / HTTP/1.0\r\nAuthorization: ${auth}\r\n\r\n`)).status, 403);
    assert.equal((await rawHttp(p, upgradeRequest({ authorization: auth }, '1.0'))).status, 403);
    for (const host of [`127.0.0.1:${p}`, `localhost:${p}`, `[::1]:${p}`]) {
      assert.equal((await rawHttp(p, upgradeRequest({ host, authorization: auth }))).status, 101, host);
    }
  });

  it('answers 403 to a foreign, null or non-http Origin', async () => {
    const p = d.port;
    const auth = `Bearer ${d.token}`;
    for (const origin of [
      'http://evil.example',
      'null',
      '',
      `http://127.0.0.1:${p + 1}`,
      `https://evil.example:${p}`,
      `file://`,
      `http://evil.example@127.0.0.1:${p}x`,
    ]) {
      assert.equal(
        (await rawHttp(p, upgradeRequest({ host: `127.0.0.1:${p}`, authorization: auth, origin }))).status,
        403,
        origin,
      );
    }
    assert.equal(
      (
        await rawHttp(
          p,
          upgradeRequest({ host: `127.0.0.1:${p}`, authorization: auth, origin: `http://localhost:${p}` }),
        )
      ).status,
      101,
    );
  });

  it('takes the bearer scheme in any case (RFC 7235), the token only as issued', async () => {
    const p = d.port;
    for (const scheme of ['bearer', 'BEARER', 'Bearer'])
      assert.equal(
        (await rawHttp(p, upgradeRequest({ host: `127.0.0.1:${p}`, authorization: `${scheme} ${d.token}` }))).status,
        101,
        scheme,
      );
    const upper = d.token.toUpperCase() === d.token ? `${d.token}x` : d.token.toUpperCase();
    assert.equal(
      (await rawHttp(p, upgradeRequest({ host: `127.0.0.1:${p}`, authorization: `bearer ${upper}` }))).status,
      401,
    );
  });

  it('never sends CORS headers, preflights with Access-Control-Request-Private-Network included', async () => {
    const p = d.port;
    const cases: Record<string, string>[] = [
      {
        origin: 'http://evil.example',
        'access-control-request-method': 'GET',
        'access-control-request-private-network': 'true',
      },
      {
        origin: `http://127.0.0.1:${p}`,
        'access-control-request-method': 'GET',
        'access-control-request-private-network': 'true',
      },
      {
        origin: `http://127.0.0.1:${p}`,
        'access-control-request-private-network': 'true',
        authorization: `Bearer ${d.token}`,
      },
      { authorization: `Bearer ${d.token}` },
      {},
    ];
    for (const headers of cases) {
      for (const method of ['OPTIONS', 'GET', 'POST']) {
        const res = await request(p, method, headers);
        const cors = Object.keys(res.headers).filter((h) => h.startsWith('access-control-'));
        assert.deepEqual(cors, [], `${method} ${JSON.stringify(headers)} → ${res.status} ${cors.join(',')}`);
        assert.ok(res.status === 401 || res.status === 403 || res.status === 426, `${method}: ${res.status}`);
      }
    }
  });

  it('keeps the WebSocket lean: no permessage-deflate, frames over 1 MiB close with 1009', async () => {
    const { ws, res } = await wsConnect(d.port, d.token, { perMessageDeflate: { clientNoContextTakeover: true } });
    assert.equal(res.headers['sec-websocket-extensions'], undefined);
    assert.equal(ws.extensions, '');
    const code = closed(ws);
    ws.send('x'.repeat(MAX_PAYLOAD_BYTES + 1));
    assert.equal(await code, 1009);
    // the daemon is fine and serves the next client
    const c = await d.connect();
    assert.equal((await c.request('gearbox/status', {})).pid, process.pid);
  });

  it('compares tokens in constant time over equal-length digests', () => {
    assert.ok(tokenEquals('abc', 'abc'));
    assert.ok(!tokenEquals('abc', 'abd'));
    assert.ok(!tokenEquals('', 'abc'));
    assert.ok(!tokenEquals('abc'.repeat(1000), 'abc'));
  });
});

/** Log lines as parsed objects, with a way to wait for one. */
function logSink() {
  const lines: Record<string, any>[] = [];
  const waiters: { pred: (l: Record<string, any>) => boolean; resolve: () => void }[] = [];
  return {
    lines,
    write(line: string) {
      const l = JSON.parse(line) as Record<string, any>;
      lines.push(l);
      for (const w of waiters.filter((x) => x.pred(l))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    },
    waitFor(pred: (l: Record<string, any>) => boolean): Promise<void> {
      if (lines.some(pred)) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ pred, resolve }));
    },
  };
}

describe('security: refusals cannot flood the log or the daemon', () => {
  it('a flood of refused upgrades with 15 KB headers: a capped log, clipped values, one line, a count', async () => {
    const dir = tempDir('gearbox-flood-');
    const logFile = new RotatingLog(path.join(dir, 'daemon.log'), 64 * 1024, 3);
    // An interval longer than any test run: every refusal after the first is counted, not logged.
    const d = await startTestDaemon(
      { server: { refusalLogIntervalMs: 3_600_000 } },
      { modelHost: new FakeModelHost(), logWrite: (l) => logFile.write(l) },
    );
    const p = d.port;
    const huge = 'h'.repeat(15_000);
    const flood = 200;
    try {
      for (let i = 0; i < flood; i++) {
        const headers =
          i % 2 === 0
            ? { host: huge, authorization: `Bearer ${d.token}` }
            : { host: `127.0.0.1:${p}`, origin: `http://${huge}`, authorization: `Bearer ${d.token}` };
        assert.equal((await rawHttp(p, upgradeRequest(headers))).status, 403);
      }
      const c = await d.connect();
      assert.equal((await c.request('gearbox/status', {})).pid, process.pid, 'the daemon still serves');
    } finally {
      await d.stop();
      logFile.close();
    }
    const files = fs.readdirSync(dir).filter((f) => f.startsWith('daemon.log'));
    const total = files.reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    assert.ok(total <= 3 * 64 * 1024, `${total} bytes in ${files.join(', ')}`);
    const lines = files.flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').trim().split('\n'));
    for (const line of lines) assert.ok(line.length < 1000, `a ${line.length}-char log line: ${line.slice(0, 200)}`);
    const entries = lines.map((l) => JSON.parse(l));
    const refused = entries.filter((e) => e.msg === 'connection refused');
    assert.equal(refused.length, 1, 'one refusal line per interval');
    assert.equal(refused[0].reason, 'host-not-allowed');
    assert.match(refused[0].value, /^h{100}… \(15000 chars\)$/);
    const summary = entries.filter((e) => e.msg === 'more connections refused (not logged one by one)');
    assert.deepEqual(
      summary.map((e) => e.count),
      [flood - 1],
      'the refusals left out are counted',
    );
  });

  it('caps connections with 503 and a reason, logged once, and serves again once one leaves', async () => {
    const log = logSink();
    const d = await startTestDaemon(
      { server: { maxConnections: 2, refusalLogIntervalMs: 3_600_000 } },
      { modelHost: new FakeModelHost(), logWrite: (l) => log.write(l) },
    );
    try {
      const first = await d.connect();
      await d.connect();
      const discovery = readDiscovery(d.paths)!;
      for (let i = 0; i < 5; i++) {
        await assert.rejects(
          openDaemonSocket(discovery, d.token),
          (e: DaemonRefusedError) =>
            e instanceof DaemonRefusedError && e.status === 503 && /too many connections.* 2 at once/.test(e.message),
        );
      }
      const capLines = log.lines.filter((l) => l.msg === 'connection refused: too many connections');
      assert.equal(capLines.length, 1, 'logged once');
      assert.equal(capLines[0]!.maxConnections, 2);
      await first.close();
      await log.waitFor((l) => l.msg === 'client disconnected');
      const again = await openDaemonSocket(discovery, d.token);
      again.close();
    } finally {
      await d.stop();
    }
    assert.deepEqual(
      log.lines.filter((l) => l.msg === 'more connections refused over the cap').map((l) => l.count),
      [4],
    );
  });
});

describe('security: runtime dir and token', () => {
  it('makes a pre-existing 0755 dir 0700, every file in it 0600, and the token a fresh 256-bit secret', async () => {
    if (process.platform === 'win32') return;
    const runtimeDir = path.join(tempDir(), 'run');
    fs.mkdirSync(runtimeDir, { mode: 0o755 });
    fs.chmodSync(runtimeDir, 0o755);
    fs.writeFileSync(path.join(runtimeDir, 'daemon.log'), 'old log\n', { mode: 0o644 });
    fs.chmodSync(path.join(runtimeDir, 'daemon.log'), 0o644);
    const oldUmask = process.umask(0o000);
    let d: TestDaemon | undefined;
    try {
      d = await startTestDaemon({}, { runtimeDir, modelHost: new FakeModelHost() });
    } finally {
      process.umask(oldUmask);
    }
    try {
      assert.equal(fs.statSync(runtimeDir).mode & 0o777, 0o700);
      for (const name of fs.readdirSync(runtimeDir)) {
        assert.equal(fs.statSync(path.join(runtimeDir, name)).mode & 0o777, 0o600, name);
      }
      assert.equal(fs.statSync(d.paths.token).mode & 0o777, 0o600);
      const raw = fs.readFileSync(d.paths.token, 'utf8');
      assert.match(raw, /^[A-Za-z0-9_-]{43}$/);
      assert.ok(Buffer.from(raw, 'base64url').length >= 32);
      const first = raw;
      await d.stop();
      d = await startTestDaemon({}, { runtimeDir, modelHost: new FakeModelHost() });
      assert.notEqual(fs.readFileSync(d.paths.token, 'utf8'), first, 'a fresh token each start');
    } finally {
      await d?.stop();
    }
  });
});

describe('security: API keys never leave the daemon', function () {
  this.timeout(120_000); // a hang guard: the real model host is several times slower under load
  const ENV_KEY = 'sk-envkey-' + 'Zq7Xv9Lw2Pn4Rt6Y';
  const SET_KEY = 'sk-setkey-' + 'Hb3Mk8Jd5Fs1Gq0W';
  const OPENAI_ENV_KEY = 'sk-openai-' + 'Cx2Vb7Nm4Lk9Jh3T';

  const keysOutTitle =
    'keeps keys set by gearbox/setKeys and by env out of logs, errors, files, the ledger and the model host';
  it(keysOutTitle, async () => {
    const work = tempDir('gearbox-keys-');
    const modelDir = path.join(work, 'models');
    fs.mkdirSync(modelDir);
    fs.writeFileSync(path.join(modelDir, 'bad.gguf'), 'not a model\n'.repeat(10));
    const ledgerPath = path.join(work, 'state', 'ledger.jsonl');
    // 401 (wrong key, echoed back in the body) for the env-keyed provider; 500 echoing the key for the other
    const envFake = await startFakeOpenAI({ apiKey: 'the-right-key-is-different' });
    const setFake = await startFakeOpenAI();
    const okFake = await startFakeOpenAI();
    const d = await startTestDaemon(
      {
        ledgerPath,
        modelDirs: [modelDir],
        localModels: [{ id: 'local/bad', source: path.join(modelDir, 'bad.gguf'), tier: 0 }],
        providers: [
          {
            id: 'envp',
            kind: 'openai-compatible',
            baseUrl: envFake.url,
            apiKeyEnv: 'ENVP_KEY',
            models: [{ name: 'm', tier: 3 }],
          },
          { id: 'setp', kind: 'openai-compatible', baseUrl: setFake.url, models: [{ name: 'm', tier: 3 }] },
          { id: 'okp', kind: 'openai-compatible', baseUrl: okFake.url, models: [{ name: 'm', tier: 3 }] },
        ],
      },
      {
        // the real model host (a child process), so that its environment can be inspected
        modelHost: undefined,
        ledgerPath,
        env: {
          PATH: process.env.PATH ?? '',
          HOME: work,
          ENVP_KEY: ENV_KEY,
          OPENAI_API_KEY: OPENAI_ENV_KEY,
          GGML_API_KEY: ENV_KEY,
        },
      },
    );
    const errors: string[] = [];
    try {
      const c = await d.connect();
      await c.request('gearbox/setKeys', { keys: { setp: SET_KEY, okp: SET_KEY } });
      setFake.setScript((_body, req) => ({
        kind: 'error',
        status: 500,
        message: `internal error for key ${String(req.headers.authorization)}`,
      }));
      const chat = async (model: string) => {
        try {
          const r = await c.request('gearbox/chat', {
            streamId: model,
            model,
            messages: [{ role: 'user', content: 'hi' }],
          });
          errors.push(JSON.stringify(r));
        } catch (e) {
          errors.push(
            JSON.stringify({
              message: (e as Error).message,
              code: (e as { code?: number }).code,
              data: (e as { data?: unknown }).data,
            }),
          );
        }
      };
      await chat('envp/m');
      await chat('setp/m');
      await chat('okp/m');
      await chat('local/bad');
      assert.ok(
        errors.some((e) => /401|Incorrect API key/.test(e)),
        errors.join('\n'),
      );
      assert.ok(
        errors.some((e) => /500|internal error/.test(e)),
        errors.join('\n'),
      );
      assert.ok(
        errors.some((e) => /Cannot load model local\/bad/.test(e)),
        errors.join('\n'),
      );
      assert.ok(
        envFake.requests.some((r) => r.headers.authorization === `Bearer ${ENV_KEY}`),
        'the env key was really used',
      );
      assert.ok(
        setFake.requests.some((r) => r.headers.authorization === `Bearer ${SET_KEY}`),
        'the set key was really used',
      );
      errors.push(JSON.stringify(await c.request('gearbox/status', {})));
      errors.push(JSON.stringify(await c.request('gearbox/models', {})));
      errors.push(JSON.stringify(await c.request('gearbox/usage', {})));

      const st = await c.request('gearbox/status', {});
      const hostPid = st.modelHost.pid;
      assert.ok(hostPid && hostPid !== process.pid, 'the model host runs in its own process');
      const hostFiles: string[] = [];
      if (process.platform === 'linux') {
        hostFiles.push(
          fs.readFileSync(`/proc/${hostPid}/environ`, 'latin1'),
          fs.readFileSync(`/proc/${hostPid}/cmdline`, 'latin1'),
        );
        assert.ok(hostFiles[0]!.includes('PATH='), 'environ was readable');
      }
      await d.engine.ledger.flush();
      const files = (dir: string): string[] =>
        fs.existsSync(dir)
          ? fs
              .readdirSync(dir, { withFileTypes: true })
              .flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]))
          : [];
      const written = [...files(d.runtimeDir), ...files(path.dirname(ledgerPath))];
      assert.ok(
        written.some((f) => f.endsWith('ledger.jsonl')) && fs.readFileSync(ledgerPath, 'utf8').length > 0,
        'the ledger was written',
      );
      const haystacks: [string, string][] = [
        ...written.map((f): [string, string] => [f, fs.readFileSync(f, 'latin1')]),
        ['logs', d.logs.join('\n')],
        ['errors and results', errors.join('\n')],
        ...hostFiles.map((t, i): [string, string] => [`model host /proc ${i ? 'cmdline' : 'environ'}`, t]),
      ];
      for (const key of [ENV_KEY, SET_KEY, OPENAI_ENV_KEY]) {
        for (const [where, text] of haystacks)
          assert.ok(!text.includes(key), `key ${key.slice(0, 10)}… found in ${where}`);
      }
    } finally {
      await d.stop();
      await Promise.all([envFake.close(), setFake.close(), okFake.close()]);
    }
  });
});

describe('security: model files', function () {
  this.timeout(120_000); // a hang guard: the real model host is several times slower under load

  it('confines model sources to modelDirs: ../ and symlinks out are rejected clearly', async () => {
    const work = tempDir('gearbox-confine-');
    const confDir = path.join(work, 'conf');
    const outside = path.join(work, 'outside');
    fs.mkdirSync(path.join(confDir, 'models'), { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'm.gguf'), 'x');
    fs.writeFileSync(path.join(confDir, 'models', 'ok.gguf'), 'x');
    fs.symlinkSync(path.join(outside, 'm.gguf'), path.join(confDir, 'models', 'link.gguf'));
    fs.symlinkSync(outside, path.join(confDir, 'models', 'linkdir'));
    const configPath = path.join(confDir, 'config.json');
    const runtimeDir = path.join(work, 'run');
    const env = { PATH: process.env.PATH ?? '', HOME: work, XDG_CACHE_HOME: path.join(work, 'cache') };
    const start = (source: string, extra: Record<string, unknown> = {}) => {
      fs.writeFileSync(configPath, JSON.stringify({ localModels: [{ id: 'local/m', source }], ...extra }));
      return startDaemon({ runtimeDir, configPath, env, logWrite: () => {}, ledgerPath: null });
    };
    for (const source of [
      '../outside/m.gguf',
      'models/../../outside/m.gguf',
      'models/link.gguf',
      'models/linkdir/m.gguf',
      path.join(outside, 'm.gguf'),
    ]) {
      await assert.rejects(
        start(source),
        (e: Error) =>
          /localModels\.0\.source of "local\/m" resolves to .*outside.*outside the allowed model dirs/.test(
            e.message,
          ) && /modelDirs/.test(e.message),
        source,
      );
    }
    // inside the config file's dir: fine, and the model host is given the real path
    const ok = await start('models/ok.gguf');
    await ok.stop();
    // an explicit allow-list replaces the defaults
    await assert.rejects(start('models/ok.gguf', { modelDirs: [outside] }), /outside the allowed model dirs/);
    const viaList = await start('models/link.gguf', { modelDirs: [outside] });
    await viaList.stop();
  });

  it('gives a clear error for hostile or corrupt GGUF headers, from the model host, and the daemon lives', async () => {
    const work = tempDir('gearbox-gguf-');
    const u32 = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(n);
      return b;
    };
    const u64 = (n: bigint) => {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(n);
      return b;
    };
    const str = (s: string) => Buffer.concat([u64(BigInt(Buffer.byteLength(s))), Buffer.from(s)]);
    const head = (tensors: bigint, kvs: bigint) => Buffer.concat([Buffer.from('GGUF'), u32(3), u64(tensors), u64(kvs)]);
    const pad = Buffer.alloc(256);
    const files: Record<string, { bytes: Buffer; why: RegExp }> = {
      tensors: { bytes: Buffer.concat([head(1n << 40n, 0n), pad]), why: /claims \d+ tensors/ },
      kvs: { bytes: Buffer.concat([head(0n, 1n << 44n), pad]), why: /claims \d+ metadata entries/ },
      u64max: { bytes: Buffer.concat([head(0xffffffffffffffffn, 0n), pad]), why: /tensor count is absurd/ },
      keylen: { bytes: Buffer.concat([head(0n, 1n), u64(1n << 60n), pad]), why: /metadata key #0 .*(absurd|claims)/ },
      strlen: {
        bytes: Buffer.concat([head(0n, 1n), str('general.name'), u32(8), u64(1n << 40n), pad]),
        why: /metadata "general\.name" claims \d+ bytes/,
      },
      arraylen: {
        bytes: Buffer.concat([head(0n, 1n), str('tokenizer.ggml.scores'), u32(9), u32(6), u64(1n << 50n), pad]),
        why: /array "tokenizer\.ggml\.scores" claims \d+ items/,
      },
      strarray: {
        bytes: Buffer.concat([head(0n, 1n), str('tokenizer.ggml.tokens'), u32(9), u32(8), u64(1000000n), pad]),
        why: /array "tokenizer\.ggml\.tokens" claims 1000000 items/,
      },
      nested: { bytes: Buffer.concat([head(0n, 1n), str('a'), u32(9), u32(9), u64(1n), pad]), why: /nested array/ },
      dims: { bytes: Buffer.concat([head(1n, 0n), str('t'), u32(1000), pad]), why: /tensor "t" has 1000 dimensions/ },
      version: { bytes: Buffer.concat([Buffer.from('GGUF'), u32(99), pad]), why: /unsupported GGUF version 99/ },
      magic: { bytes: Buffer.from('this is not a model\n'.repeat(20)), why: /not a GGUF file/ },
      tiny: { bytes: Buffer.from('GGUF'), why: /too small/ },
      cut: { bytes: Buffer.concat([head(0n, 3n), str('general.name'), u32(8)]), why: /header is corrupt/ },
    };
    for (const [name, f] of Object.entries(files)) fs.writeFileSync(path.join(work, `${name}.gguf`), f.bytes);
    const d = await startTestDaemon(
      {
        modelDirs: [work],
        gpu: false,
        threads: 1,
        localModels: Object.keys(files).map((name) => ({
          id: `local/${name}`,
          source: path.join(work, `${name}.gguf`),
          tier: 0,
        })),
      },
      { modelHost: undefined, ledgerPath: null },
    );
    try {
      const c = await d.connect();
      for (const [name, f] of Object.entries(files)) {
        await assert.rejects(
          c.request('gearbox/chat', {
            streamId: name,
            model: `local/${name}`,
            messages: [{ role: 'user', content: 'hi' }],
          }),
          (e: any) => {
            // the model host's ModelLoadFailed reaches the client as it is (not as a provider error)
            assert.equal(e.code, ErrorCodes.ModelLoadFailed, `${name}: ${e.code} ${e.message}`);
            assert.match(e.message, new RegExp(`Cannot load model local/${name} from .*${name}\\.gguf`));
            assert.match(e.message, f.why, name);
            return true;
          },
        );
      }
      const st = await c.request('gearbox/status', {});
      assert.equal(st.modelHost.restarts, 0, 'the model host never crashed');
      assert.equal(st.pid, process.pid);
    } finally {
      await d.stop();
    }
  });
});
