// Protocol fuzzing against an in-process daemon: every case of test/integration/fuzz/corpus (one JSON file
// per case: the frame, how to send it, what must come back), then seeded random mutations of
// them, then malformed WebSocket frames on a raw socket. Throughout, the daemon must stay up:
// a crash or stack overflow in it would fail this process; at the end a valid request succeeds.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { openDaemonSocket } from '../../shared/daemon-socket';
import { readDiscovery } from '../../shared/discovery';
import { FakeModelHost } from '../fakes/fake-model-host';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon-harness';

const here = path.dirname(fileURLToPath(import.meta.url));
const CORPUS_DIR = path.join(here, 'fuzz', 'corpus');
const MUTATIONS = Number(process.env.GEARBOX_FUZZ_MUTATIONS ?? 300);
const SEED = Number(process.env.GEARBOX_FUZZ_SEED ?? 0x5eed);
/** The daemon's default chat/refactor timeout: the timer each such request holds while it runs. */
const CHAT_TIMEOUT_MS = 300_000;

type Expect =
  | 'none'
  | 'any'
  | { result: true }
  | { error: number; message?: string; id?: string | number }
  | { close: number };
interface Case {
  name: string;
  description: string;
  frame: Buffer;
  binary: boolean;
  expect: Expect;
}

function loadCorpus(): Case[] {
  return fs
    .readdirSync(CORPUS_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => {
      const raw = JSON.parse(fs.readFileSync(path.join(CORPUS_DIR, f), 'utf8'));
      let frame: Buffer;
      if (typeof raw.frame === 'string') frame = Buffer.from(raw.frame, 'utf8');
      else if (typeof raw.base64 === 'string') frame = Buffer.from(raw.base64, 'base64');
      else {
        const g = raw.generate as {
          prefix?: string;
          repeat: string;
          times: number;
          middle?: string;
          suffixRepeat?: string;
          suffix?: string;
        };
        frame = Buffer.from(
          (g.prefix ?? '') +
            g.repeat.repeat(g.times) +
            (g.middle ?? '') +
            (g.suffixRepeat ?? '').repeat(g.times) +
            (g.suffix ?? ''),
          'utf8',
        );
      }
      return {
        name: f.replace(/\.json$/, ''),
        description: raw.description,
        frame,
        binary: raw.binary === true,
        expect: raw.expect,
      };
    });
}

/** mulberry32: small, seeded, good enough to pick mutations reproducibly. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS = [
  '{',
  '}',
  '[',
  ']',
  '"',
  ',',
  ':',
  '\\',
  '\\u',
  'null',
  'true',
  '1e999',
  '-0',
  '9007199254740993',
  '"id":',
  '"method":',
  '"params":',
  '"jsonrpc":"2.0"',
  '"gearbox/chat"',
  '"gearbox/route"',
  '"gearbox/models"',
  '"textDocument/didOpen"',
  '"__proto__"',
  '\u0000',
  '\ud800',
  '\uffff',
  '\xc0',
  '[[[[[[[[',
  '{"a":{"a":{"a":',
];

function mutate(input: Buffer, rand: () => number, corpus: Case[]): Buffer {
  let b = Buffer.from(input);
  const pick = (n: number) => Math.floor(rand() * n);
  const ops = 1 + pick(3);
  for (let i = 0; i < ops; i++) {
    const at = pick(b.length + 1);
    switch (pick(8)) {
      case 0: // flip a bit
        if (b.length) b[pick(b.length)]! ^= 1 << pick(8);
        break;
      case 1: // random byte
        b = Buffer.concat([b.subarray(0, at), Buffer.from([pick(256)]), b.subarray(at)]);
        break;
      case 2: // delete a range
        b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + pick(16)))]);
        break;
      case 3: // truncate
        b = b.subarray(0, at);
        break;
      case 4: // duplicate a range
        b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + pick(64)), b.subarray(at)]);
        break;
      case 5: // insert a JSON-ish token
        b = Buffer.concat([b.subarray(0, at), Buffer.from(TOKENS[pick(TOKENS.length)]!, 'utf8'), b.subarray(at)]);
        break;
      case 6: // splice with another case
        {
          const other = corpus[pick(corpus.length)]!.frame;
          const from = pick(other.length + 1);
          b = Buffer.concat([b.subarray(0, at), other.subarray(from, from + pick(256))]);
        }
        break;
      default: // replace a digit run with a big or odd number
        b = Buffer.from(
          b.toString('latin1').replace(/\d+/, ['-1', '1e309', '0.5', '4294967296', '-9223372036854775809'][pick(5)]!),
          'latin1',
        );
    }
  }
  return b;
}

interface Conn {
  ws: WebSocket;
  messages: any[];
  closedWith?: number;
}

async function open(d: TestDaemon): Promise<Conn> {
  const ws = await openDaemonSocket(readDiscovery(d.paths)!, d.token);
  const conn: Conn = { ws, messages: [] };
  ws.on('message', (data) => {
    try {
      conn.messages.push(JSON.parse(data.toString()));
    } catch {
      conn.messages.push({ unparsable: data.toString().slice(0, 200) });
    }
  });
  ws.on('close', (code) => (conn.closedWith = code));
  ws.on('error', () => {});
  return conn;
}

let probeId = 0;
/**
 * A status request through the same connection: proves it (and the daemon) still work, and fences
 * the case's answers.
 */
async function probe(conn: Conn, timeoutMs = 5000): Promise<'ok' | 'closed'> {
  const id = `probe-${++probeId}`;
  if (conn.ws.readyState !== WebSocket.OPEN) return 'closed';
  conn.ws.send(JSON.stringify({ jsonrpc: '2.0', id, method: 'gearbox/status', params: {} }));
  const end = Date.now() + timeoutMs;
  for (;;) {
    const m = conn.messages.find((x) => x.id === id);
    if (m) {
      assert.ok(m.result?.pid, `probe failed: ${JSON.stringify(m).slice(0, 300)}`);
      return 'ok';
    }
    if (conn.closedWith !== undefined) return 'closed';
    if (Date.now() > end) assert.fail(`no answer to ${id} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Waits for an answer other than a probe's among the messages from `from` on. */
async function answered(conn: Conn, from: number, timeoutMs = 30_000): Promise<'ok' | 'closed'> {
  const end = Date.now() + timeoutMs;
  const isAnswer = (m: any) =>
    'id' in m && ('result' in m || 'error' in m) && !(typeof m.id === 'string' && m.id.startsWith('probe-'));
  for (;;) {
    if (conn.messages.slice(from).some(isAnswer)) return 'ok';
    if (conn.closedWith !== undefined) return 'closed';
    if (Date.now() > end) return 'ok'; // check() then reports what did come back
    await new Promise((r) => setTimeout(r, 2));
  }
}

function check(c: Case, got: any[], closedWith: number | undefined): void {
  const e = c.expect;
  const label = `${c.name} (${c.description}): got ${JSON.stringify(got).slice(0, 400)} close=${closedWith}`;
  if (e === 'any') return;
  if (e === 'none') return assert.equal(got.length, 0, label);
  if ('close' in e) return assert.equal(closedWith, e.close, label);
  assert.equal(closedWith, undefined, `${label}: the connection must live`);
  const answers = got.filter((m) => 'id' in m && ('result' in m || 'error' in m));
  assert.equal(answers.length, 1, label);
  if ('result' in e) return assert.ok(answers[0].result !== undefined && !answers[0].error, label);
  assert.equal(answers[0].error?.code, e.error, label);
  if (e.id !== undefined) assert.equal(answers[0].id, e.id, `${label}: answered on the request's id`);
  if (e.message) assert.match(answers[0].error.message, new RegExp(e.message), label);
}

describe('fuzz: the JSON-RPC/WebSocket surface', function () {
  this.timeout(60_000);
  let d: TestDaemon;
  let host: FakeModelHost;
  const corpus = loadCorpus();

  before(async () => {
    host = new FakeModelHost();
    d = await startTestDaemon(
      {
        localModels: [{ id: 'local/tiny', source: '/nonexistent/tiny.gguf', tier: 0, contextSize: 2_000_000 }],
        server: { requestsPerSecond: 1e6, requestBurst: 1e6 },
      },
      { modelHost: host },
    );
  });
  after(async () => d?.stop());

  it(`answers every corpus case as recorded (${corpus.length} cases) and keeps the connection`, async () => {
    assert.ok(corpus.length >= 30);
    let conn = await open(d);
    for (const c of corpus) {
      const before = conn.messages.length;
      conn.ws.send(c.frame, { binary: c.binary });
      let state = await probe(conn);
      // A request that takes a while (a 1 MiB chat is counted and routed) may answer after the probe.
      if (state === 'ok' && typeof c.expect === 'object' && !('close' in c.expect))
        state = await answered(conn, before);
      const got = conn.messages
        .slice(before)
        .filter(
          (m) =>
            !(typeof m.id === 'string' && m.id.startsWith('probe-')) &&
            m.method !== 'gearbox/chatChunk' &&
            m.method !== 'gearbox/modelProgress',
        );
      if (state === 'closed')
        await new Promise((r) => (conn.closedWith !== undefined ? r(null) : conn.ws.once('close', r)));
      check(c, got, state === 'closed' ? conn.closedWith : undefined);
      if (state === 'closed') conn = await open(d);
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
    conn.ws.close();
  });

  it('bad params start nothing: no request timer is left behind and no model is called', async () => {
    // Every timer of the chat timeout's length, until cleared: a request that started and was not
    // disposed would keep one (and hold its abort for 300 s).
    const pending = new Set<unknown>();
    let seen = 0;
    const realSet = globalThis.setTimeout;
    const realClear = globalThis.clearTimeout;
    globalThis.setTimeout = ((fn: () => void, ms?: number, ...rest: unknown[]) => {
      const t = realSet(fn, ms, ...rest);
      if (ms === CHAT_TIMEOUT_MS) {
        pending.add(t);
        seen++;
      }
      return t;
    }) as typeof setTimeout;
    globalThis.clearTimeout = ((t: Parameters<typeof clearTimeout>[0]) => {
      pending.delete(t);
      realClear(t);
    }) as typeof clearTimeout;
    try {
      const conn = await open(d);
      let n = 0;
      const send = (method: string, params: unknown) =>
        conn.ws.send(JSON.stringify({ jsonrpc: '2.0', id: `bad-${++n}`, method, params }));
      const chat = { streamId: 'p', messages: [{ role: 'user', content: 'hi' }] };
      const calls = host.calls.length;
      send('gearbox/chat', [chat, 5]);
      send('gearbox/chat', [chat]);
      send('gearbox/refactor', [{ kind: 'explain', uri: 'file:///x', range: {}, text: 'x' }, {}]);
      send('textDocument/inlineCompletion', [{ textDocument: { uri: 'file:///x' }, position: {} }, 5]);
      send('textDocument/inlineCompletion', {});
      assert.equal(await probe(conn), 'ok');
      assert.equal(pending.size, 0, 'a request timer was left behind');
      assert.equal(host.calls.length, calls, 'no model was called');
      const answers = conn.messages.filter((m) => typeof m.id === 'string' && m.id.startsWith('bad-'));
      assert.equal(answers.length, 5, JSON.stringify(answers));
      for (const a of answers) assert.equal(a.error?.code, -32602, JSON.stringify(a));
      // The capture works: a valid chat starts its timer and clears it.
      send('gearbox/chat', chat);
      while (!conn.messages.some((m) => m.id === `bad-${n}` && m.result)) await new Promise((r) => realSet(r, 5));
      assert.ok(seen >= 1 && pending.size === 0, `seen ${seen}, pending ${pending.size}`);
      conn.ws.close();
    } finally {
      globalThis.setTimeout = realSet;
      globalThis.clearTimeout = realClear;
    }
  });

  it(`survives ${MUTATIONS} seeded mutations (seed ${SEED}) and still answers a valid request`, async () => {
    const rand = rng(SEED);
    const small = corpus.filter((c) => c.frame.length < 64 * 1024);
    let conn = await open(d);
    let reconnects = 0;
    for (let i = 0; i < MUTATIONS; i++) {
      const base = small[Math.floor(rand() * small.length)]!;
      const frame = mutate(base.frame, rand, small);
      const binary = rand() < 0.5;
      try {
        conn.ws.send(frame, { binary });
      } catch (err) {
        assert.fail(`send failed at mutation ${i}: ${(err as Error).message}`);
      }
      if ((await probe(conn)) === 'closed') {
        // Only the WebSocket layer may close it: invalid UTF-8 in a text frame (1007).
        await new Promise((r) => (conn.closedWith !== undefined ? r(null) : conn.ws.once('close', r)));
        assert.ok(
          !binary && conn.closedWith === 1007,
          `mutation ${i} of ${base.name} closed the connection with ${conn.closedWith}: ` +
            JSON.stringify(frame.toString('latin1').slice(0, 200)),
        );
        reconnects++;
        conn = await open(d);
      }
    }
    assert.equal(await probe(conn), 'ok');
    const c = await d.connect();
    const res = await c.request('gearbox/chat', {
      streamId: 'final',
      messages: [{ role: 'user', content: 'still there?' }],
    });
    assert.equal(res.model, 'local/tiny');
    conn.ws.close();
    assert.ok(reconnects < MUTATIONS);
  });

  it('survives malformed WebSocket frames on a raw socket', async () => {
    const key = crypto.randomBytes(16).toString('base64');
    const handshake =
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${d.port}\r\nAuthorization: Bearer ${d.token}\r\n` +
      `Connection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${key}\r\n\r\n`;
    const mask = (payload: Buffer, opcode = 0x1, fin = true, rsv = 0) => {
      const m = crypto.randomBytes(4);
      const body = Buffer.from(payload.map((x, i) => x ^ m[i % 4]!));
      const len =
        payload.length < 126
          ? Buffer.from([0x80 | payload.length])
          : Buffer.from([0x80 | 126, payload.length >> 8, payload.length & 0xff]);
      return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | rsv | opcode]), len, m, body]);
    };
    const json = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'gearbox/status', params: {} }));
    const frames: [string, Buffer][] = [
      ['a truncated frame header', Buffer.from([0x81])],
      ['a truncated frame payload', mask(json).subarray(0, 10)],
      [
        'a length field of 2^63-1',
        Buffer.concat([
          Buffer.from([0x81, 0x80 | 127, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
          crypto.randomBytes(4),
        ]),
      ],
      ['an unmasked client frame', Buffer.concat([Buffer.from([0x81, json.length]), json])],
      ['reserved bits set', mask(json, 0x1, true, 0x70)],
      ['a reserved opcode', mask(json, 0x3)],
      ['a fragmented control frame', mask(Buffer.from('x'), 0x9, false)],
      ['a continuation frame without a start', mask(json, 0x0)],
      ['a close frame with an invalid code', mask(Buffer.from([0x03, 0xe7]), 0x8)],
      ['a fragment then the socket ends', mask(json.subarray(0, 20), 0x1, false)],
    ];
    for (const [what, bytes] of frames) {
      const sock = net.connect(d.port, '127.0.0.1');
      sock.on('error', () => {});
      await new Promise((r) => sock.once('connect', r));
      sock.write(handshake);
      await new Promise<void>((resolve) => {
        let head = '';
        const onData = (b: Buffer) => {
          head += b.toString('latin1');
          if (head.includes('\r\n\r\n')) {
            sock.off('data', onData);
            assert.match(head, /^HTTP\/1\.1 101/, what);
            resolve();
          }
        };
        sock.on('data', onData);
      });
      sock.write(bytes);
      await new Promise((r) => setTimeout(r, 20));
      sock.end();
      await new Promise((r) => setTimeout(r, 10));
      sock.destroy();
    }
    const c = await d.connect();
    assert.equal((await c.request('gearbox/status', {})).pid, process.pid);
  });
});
