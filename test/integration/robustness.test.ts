// Robustness of the daemon's WebSocket side under misbehaving clients: one that stops reading
// while a model streams (backpressure, then disconnect), one that stops answering pings
// (heartbeat), one that floods requests (rate limit); and two `gearbox start` racing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import type net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type WebSocket from 'ws';
import type { LocalChatRequest } from '../../daemon/model-host-api';
import { openDaemonSocket } from '../../shared/daemon-socket';
import { readDiscovery } from '../../shared/discovery';
import { ErrorCodes } from '../../shared/protocol';
import { FakeModelHost } from '../fakes/fake-model-host';
import { startTestDaemon, tempDir, type TestDaemon } from '../helpers/daemon-harness';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const LOCAL = { id: 'local/tiny', source: '/nonexistent/tiny.gguf', tier: 0 };

/** A model host that streams `count` deltas of `size` bytes as fast as the event loop allows. */
class FirehoseHost extends FakeModelHost {
  emitted = 0;
  private allEmitted!: () => void;
  /** Resolves once the last delta was handed to the daemon. */
  readonly finished = new Promise<void>((resolve) => (this.allEmitted = resolve));
  constructor(
    private readonly count: number,
    private readonly size: number,
  ) {
    super();
  }
  override async chat(_req: LocalChatRequest, onDelta: (t: string) => void, signal?: AbortSignal) {
    let text = '';
    for (let i = 0; i < this.count; i++) {
      if (signal?.aborted) throw Object.assign(new Error('aborted'), { name: 'AbortError' });
      const delta = String(i % 10).repeat(this.size);
      text += delta;
      onDelta(delta);
      this.emitted++;
      await new Promise((r) => setImmediate(r));
    }
    this.allEmitted();
    return { text, usage: { inputTokens: 1, outputTokens: this.count, evaluatedPromptTokens: 1 } };
  }
}

interface RawClient {
  ws: WebSocket;
  messages: any[];
  waitFor(pred: (m: any) => boolean): Promise<any>;
  send(msg: object): void;
  tcp(): net.Socket;
  /** The close code, whenever the connection closes (listened to from the start). */
  closed: Promise<number>;
}

async function rawClient(d: TestDaemon, opts: WebSocket.ClientOptions = {}, initialize = true): Promise<RawClient> {
  const ws = await openDaemonSocket(readDiscovery(d.paths)!, d.token, { ws: opts });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  const messages: any[] = [];
  const waiters: { pred: (m: any) => boolean; resolve: (m: any) => void }[] = [];
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString());
    messages.push(m);
    for (const w of [...waiters])
      if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
  });
  const c: RawClient = {
    ws,
    messages,
    send: (msg) => ws.send(JSON.stringify({ jsonrpc: '2.0', ...msg })),
    waitFor: (pred) => {
      const found = messages.find(pred);
      return found ? Promise.resolve(found) : new Promise((resolve) => waiters.push({ pred, resolve }));
    },
    tcp: () => (ws as unknown as { _socket: net.Socket })._socket,
    closed,
  };
  if (!initialize) return c;
  c.send({ id: 0, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } });
  await c.waitFor((m) => m.id === 0);
  return c;
}

const until = async (cond: () => boolean, ms: number, what: string) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('robustness: slow clients and send-buffer backpressure', function () {
  this.timeout(20_000);
  let d: TestDaemon | undefined;
  afterEach(async () => {
    await d?.stop();
    d = undefined;
  });

  it('drops a client that stops reading while a model streams, and keeps serving others', async () => {
    const host = new FirehoseHost(1000, 64 * 1024); // 64 MiB if nobody stopped it
    d = await startTestDaemon(
      { localModels: [LOCAL], server: { sendHighWaterBytes: 256 * 1024, slowClientTimeoutMs: 400 } },
      { modelHost: host },
    );
    const c = await rawClient(d);
    c.send({ id: 1, method: 'gearbox/chat', params: { streamId: 's', messages: [{ role: 'user', content: 'go' }] } });
    await c.waitFor((m) => m.method === 'gearbox/chatChunk');
    c.tcp().pause(); // stop reading: the kernel buffers fill, then the daemon's
    await until(() => d!.server.sessions.size === 0, 10_000, 'the daemon to drop the slow client');
    assert.ok(
      d.logs.some((l) => /client too slow/.test(l) && /"level":"warn"/.test(l)),
      'the drop is logged',
    );
    c.tcp().resume();
    assert.ok([1006, 1013].includes(await c.closed));
    const other = await d.connect();
    assert.equal((await other.request('gearbox/status', {})).clients, 1);
  });

  const lagTitle =
    'holds chunks back while the client lags and delivers all of them, merged and in order, when it catches up';
  it(lagTitle, async () => {
    const host = new FirehoseHost(400, 64 * 1024); // 25 MiB
    d = await startTestDaemon(
      { localModels: [LOCAL], server: { sendHighWaterBytes: 256 * 1024, slowClientTimeoutMs: 10_000 } },
      { modelHost: host },
    );
    const c = await rawClient(d);
    c.send({ id: 1, method: 'gearbox/chat', params: { streamId: 's', messages: [{ role: 'user', content: 'go' }] } });
    await c.waitFor((m) => m.method === 'gearbox/chatChunk');
    c.tcp().pause();
    // The whole answer (25 MiB, far more than the socket buffers hold) is produced while the client
    // reads nothing: the daemon has to hold chunks back, however long that takes on a busy machine.
    await host.finished;
    c.tcp().resume();
    const res = await c.waitFor((m) => m.id === 1);
    assert.ok(res.result, JSON.stringify(res.error));
    const chunks = c.messages.filter((m) => m.method === 'gearbox/chatChunk');
    assert.equal(chunks.map((m) => m.params.delta).join(''), res.result.text, 'nothing lost, nothing reordered');
    assert.ok(
      chunks.length < host.emitted,
      `chunks were merged while the client lagged (${chunks.length} frames for ${host.emitted} deltas)`,
    );
    assert.equal(c.messages.indexOf(res), c.messages.length - 1, 'the answer comes after its last chunk');
    c.ws.close();
  });
});

describe('robustness: heartbeat', function () {
  this.timeout(10_000);
  it('terminates a peer that stops answering pings, and keeps a live one', async () => {
    const d = await startTestDaemon({ server: { heartbeatMs: 100 } }, { modelHost: new FakeModelHost() });
    try {
      // No handshake for the dead peer, and its close is listened to from the start: on a busy machine
      // it can be dropped before the live one is in, or before an initialize would be answered.
      const dead = await rawClient(d, { autoPong: false }, false);
      const live = await rawClient(d);
      let liveClosed = false;
      live.ws.once('close', () => (liveClosed = true));
      let livePings = 0;
      live.ws.on('ping', () => livePings++);
      await dead.closed;
      // Three more heartbeats after the dead peer went: the live one answered each and is still there.
      const after = livePings;
      await new Promise<void>((resolve) => live.ws.on('ping', () => livePings >= after + 3 && resolve()));
      assert.equal(liveClosed, false, 'a peer that answers pings stays');
      assert.equal(d.server.sessions.size, 1);
      assert.ok(d.logs.some((l) => /missed a heartbeat/.test(l)));
      live.ws.close();
    } finally {
      await d.stop();
    }
  });
});

describe('robustness: per-connection rate limit', function () {
  this.timeout(10_000);
  it('answers requests above the token bucket with a clear error and keeps the connection', async () => {
    const d = await startTestDaemon(
      { server: { requestsPerSecond: 10, requestBurst: 100 } },
      { modelHost: new FakeModelHost() },
    );
    try {
      const c = await rawClient(d);
      const sent = performance.now();
      for (let i = 1; i <= 200; i++) c.send({ id: i, method: 'gearbox/status', params: {} });
      await until(
        () => c.messages.filter((m) => typeof m.id === 'number' && m.id >= 1).length === 200,
        15_000,
        '200 answers',
      );
      // The bucket refills while the daemon works through them: a busy machine takes longer and earns more.
      const refilled = Math.ceil((10 * (performance.now() - sent)) / 1000);
      const answers = c.messages.filter((m) => typeof m.id === 'number' && m.id >= 1);
      const limited = answers.filter((m) => m.error?.code === ErrorCodes.TooManyRequests);
      const ok = answers.filter((m) => m.result);
      assert.ok(
        ok.length >= 99 && ok.length <= 100 + refilled,
        `${ok.length} served (the burst of 100 less initialize's token, and at most ${refilled} refilled)`,
      );
      assert.ok(limited.length > 0, 'some were refused');
      assert.equal(ok.length + limited.length, 200);
      assert.match(
        limited[0].error.message,
        /Too many requests: .*10 requests\/s .*bursts of 100.*gearbox\/status was not run/,
      );
      // notifications are not counted, and after a pause requests are served again on the same connection
      for (let i = 0; i < 300; i++) c.send({ method: '$/cancelRequest', params: { id: 99999 } });
      await new Promise((r) => setTimeout(r, 250));
      c.send({ id: 1000, method: 'gearbox/status', params: {} });
      assert.ok((await c.waitFor((m) => m.id === 1000)).result);
      // a second connection has its own bucket
      const other = await d.connect();
      assert.ok((await other.request('gearbox/status', {})).pid);
      c.ws.close();
    } finally {
      await d.stop();
    }
  });
});

describe('robustness: two `gearbox start` racing (built CLI)', function () {
  this.timeout(60_000);
  const bin = path.join(root, 'dist', 'daemon', 'gearbox.mjs');

  before(async () => {
    await new Promise<void>((resolve, reject) => {
      const b = spawn(process.execPath, [path.join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'ignore' });
      b.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`build failed: ${code}`))));
    });
  });

  it('exactly one wins; the others exit 0 with a message', async () => {
    for (let round = 0; round < 2; round++) {
      const work = tempDir('gearbox-race-');
      const env = {
        PATH: process.env.PATH,
        HOME: work,
        GEARBOX_RUNTIME_DIR: path.join(work, 'run'),
        GEARBOX_CONFIG: path.join(work, 'none.json'),
        XDG_STATE_HOME: path.join(work, 'state'),
      };
      const racers = [0, 1, 2].map(() => {
        const child = spawn(process.execPath, [bin, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
        const out = { stdout: '', stderr: '', code: undefined as number | null | undefined };
        child.stdout.on('data', (b) => (out.stdout += b));
        child.stderr.on('data', (b) => (out.stderr += b));
        const exited = new Promise<void>((resolve) =>
          child.on('exit', (code) => {
            out.code = code;
            resolve();
          }),
        );
        return { child, out, exited };
      });
      try {
        await until(
          () =>
            racers.filter((r) => r.out.code !== undefined).length === 2 &&
            racers.some((r) => /listening on/.test(r.out.stdout)),
          20_000,
          'one winner and two losers',
        );
        const winners = racers.filter((r) => r.out.code === undefined);
        assert.equal(winners.length, 1);
        assert.match(winners[0]!.out.stdout, /listening on 127\.0\.0\.1:\d+/);
        for (const loser of racers.filter((r) => r.out.code !== undefined)) {
          assert.equal(loser.out.code, 0, loser.out.stderr);
          assert.match(loser.out.stdout, /already running/);
        }
        const disc = JSON.parse(fs.readFileSync(path.join(work, 'run', 'daemon.json'), 'utf8'));
        assert.equal(disc.pid, winners[0]!.child.pid);
        winners[0]!.child.kill('SIGTERM');
        await winners[0]!.exited;
        assert.equal(winners[0]!.out.code, 0);
      } finally {
        for (const r of racers) if (r.out.code === undefined) r.child.kill('SIGKILL');
      }
    }
  });
});
