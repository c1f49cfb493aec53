// The daemon over a real WebSocket: auth, runtime files, LSP round trips, bad messages,
// inline completion, chat streaming and cancellation (model host faked; see model-host tests
// for llama.cpp itself).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import WebSocket from 'ws';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import { AlreadyRunningError, startDaemon } from '../../daemon/daemon';
import { DaemonConfigSchema } from '../../daemon/config';
import { ErrorCodes } from '../../shared/protocol';
import { FakeModelHost } from '../fakes/fake-model-host';
import { startTestDaemon, tempDir, type TestDaemon } from '../helpers/daemon-harness';

const LOCAL = { id: 'local/tiny', source: '/nonexistent/tiny.gguf', tier: 0 };

function rawConnect(port: number, headers: Record<string, string>): Promise<{ status?: number; ws?: WebSocket }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { headers, perMessageDeflate: false });
    ws.once('open', () => resolve({ ws }));
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode }));
    ws.once('error', reject);
  });
}

function nextMessage(ws: WebSocket): Promise<any> {
  return new Promise((resolve) => ws.once('message', (d) => resolve(JSON.parse(d.toString()))));
}

function httpGet(
  port: number,
  headers: Record<string, string>,
): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path: '/', headers }, (res) => {
        res.resume();
        resolve({ status: res.statusCode!, headers: res.headers });
      })
      .on('error', reject);
  });
}

describe('daemon', () => {
  let d: TestDaemon;
  let host: FakeModelHost;

  beforeEach(async () => {
    host = new FakeModelHost();
    d = await startTestDaemon({ localModels: [LOCAL] }, { modelHost: host });
  });
  afterEach(async () => {
    await d.stop();
  });

  describe('runtime dir', () => {
    it('writes a 0700 dir, a 0600 token of 256 bits and a discovery file', () => {
      if (process.platform === 'win32') return;
      assert.equal(fs.statSync(d.runtimeDir).mode & 0o777, 0o700);
      assert.equal(fs.statSync(d.paths.token).mode & 0o777, 0o600);
      assert.ok(Buffer.from(d.token, 'base64url').length >= 32);
      const disc = JSON.parse(fs.readFileSync(d.paths.discovery, 'utf8'));
      assert.equal(disc.port, d.port);
      assert.equal(disc.pid, process.pid);
      assert.equal(disc.protocolVersion, 1);
    });

    it('refuses a second daemon on the same runtime dir', async () => {
      await assert.rejects(
        startDaemon({
          runtimeDir: d.runtimeDir,
          configPath: '/nonexistent',
          config: DaemonConfigSchema.parse({}),
          modelHost: new FakeModelHost(),
          logWrite: () => {},
        }),
        AlreadyRunningError,
      );
    });

    it('removes discovery, token and lock on stop, and a new start gets a fresh token', async () => {
      const old = d.token;
      await d.stop();
      assert.equal(fs.existsSync(d.paths.discovery), false);
      assert.equal(fs.existsSync(d.paths.token), false);
      assert.equal(fs.existsSync(d.paths.lock), false);
      d = await startTestDaemon({}, { runtimeDir: d.runtimeDir, modelHost: new FakeModelHost() });
      assert.notEqual(d.token, old);
    });

    it('takes over a lock left by a dead process', async () => {
      await d.stop();
      fs.writeFileSync(d.paths.lock, '999999999');
      d = await startTestDaemon({}, { runtimeDir: d.runtimeDir, modelHost: new FakeModelHost() });
      assert.equal(fs.readFileSync(d.paths.lock, 'utf8'), String(process.pid));
    });
  });

  describe('auth', () => {
    it('answers 401 without a token and with a wrong one', async () => {
      assert.equal((await rawConnect(d.port, {})).status, 401);
      assert.equal((await rawConnect(d.port, { authorization: 'Bearer wrong' })).status, 401);
      assert.equal((await httpGet(d.port, {})).status, 401);
    });

    it('answers 403 to a foreign Origin or a non-loopback Host', async () => {
      const auth = { authorization: `Bearer ${d.token}` };
      assert.equal((await rawConnect(d.port, { ...auth, origin: 'http://evil.example' })).status, 403);
      assert.equal((await rawConnect(d.port, { ...auth, host: `evil.example:${d.port}` })).status, 403);
      assert.equal((await rawConnect(d.port, { ...auth, host: `127.0.0.1:${d.port + 1}` })).status, 403);
      const res = await httpGet(d.port, { ...auth, origin: 'http://evil.example' });
      assert.equal(res.status, 403);
      assert.equal(res.headers['access-control-allow-origin'], undefined);
    });

    it('accepts the token', async () => {
      const { ws, status } = await rawConnect(d.port, { authorization: `Bearer ${d.token}` });
      assert.equal(status, undefined);
      ws!.close();
    });
  });

  describe('LSP over WebSocket', () => {
    it('serves several clients at once', async () => {
      const a = await d.connect();
      const b = await d.connect();
      const [sa, sb] = await Promise.all([a.request('gearbox/status', {}), b.request('gearbox/status', {})]);
      assert.equal(sa.clients, 2);
      assert.equal(sb.pid, process.pid);
      assert.equal(sa.port, d.port);
    });

    it('answers malformed JSON with -32700 and keeps the connection', async () => {
      const { ws } = await rawConnect(d.port, { authorization: `Bearer ${d.token}` });
      const m1 = nextMessage(ws!);
      ws!.send('{"jsonrpc": "2.0", "id": 1, "method": ');
      assert.equal((await m1).error.code, ErrorCodes.ParseError);
      const m2 = nextMessage(ws!);
      ws!.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]));
      assert.equal((await m2).error.code, ErrorCodes.ParseError);
      const m3 = nextMessage(ws!);
      ws!.send(JSON.stringify({ hello: 'world' }));
      assert.equal((await m3).error.code, ErrorCodes.InvalidRequest);
      const m4 = nextMessage(ws!);
      ws!.send(
        JSON.stringify({
          jsonrpc: '2.0',
          id: 7,
          method: 'initialize',
          params: { processId: null, rootUri: null, capabilities: {} },
        }),
      );
      const init = await m4;
      assert.equal(init.id, 7);
      assert.equal(init.result.capabilities.inlineCompletionProvider, true);
      ws!.close();
    });

    it('answers unknown methods with -32601 and bad params with -32602 naming the field', async () => {
      const c = await d.connect();
      await assert.rejects(
        c.connection.sendRequest('gearbox/nope', {}),
        (e: any) => e.code === ErrorCodes.MethodNotFound,
      );
      await assert.rejects(
        c.connection.sendRequest('gearbox/chat', { streamId: 's', messages: 'not an array' }),
        (e: any) => e.code === ErrorCodes.InvalidParams && /messages/.test(e.message),
      );
      // and the connection still works
      assert.equal((await c.request('gearbox/status', {})).clients, 1);
    });

    it('lists models with availability', async () => {
      const c = await d.connect();
      const { models } = await c.request('gearbox/models', {});
      const local = models.find((m) => m.id === 'local/tiny');
      assert.ok(local?.local && local.available);
      const gpt = models.find((m) => m.providerKind === 'openai');
      assert.ok(gpt, 'built-in OpenAI models are listed');
      assert.equal(gpt.available, false);
      assert.equal(gpt.unavailable, 'no-key');
      assert.match(gpt.unavailableReason ?? '', /key/i);
    });

    it('holds keys in memory and never echoes them', async () => {
      const c = await d.connect();
      const res = await c.request('gearbox/setKeys', { keys: { openai: 'sk-test-secret-123456' } });
      assert.deepEqual(res.providersWithKeys, ['openai']);
      const st = await c.request('gearbox/status', {});
      assert.ok(!JSON.stringify(st).includes('sk-test-secret-123456'));
      const { models } = await c.request('gearbox/models', {});
      assert.ok(models.some((m) => m.providerKind === 'openai' && m.available));
      await c.request('gearbox/setKeys', { keys: { openai: '' } });
      assert.deepEqual((await c.request('gearbox/status', {})).providersWithKeys, []);
      assert.ok(!d.logs.join('\n').includes('sk-test-secret-123456'));
      await assert.rejects(
        c.request('gearbox/setKeys', { keys: { nosuch: 'x' } }),
        (e: any) => e.code === ErrorCodes.InvalidParams,
      );
    });
  });

  describe('inline completion', () => {
    const uri = 'file:///work/demo.py';
    const text = 'def add(a, b):\n    return \n\nprint(add(1, 2))\n';

    it('returns ghost text from the local model with FIM prefix and suffix', async () => {
      host.reply = () => 'a + b\nextra line';
      const c = await d.connect();
      await c.connection.sendNotification('textDocument/didOpen', {
        textDocument: { uri, languageId: 'python', version: 1, text },
      });
      const res: any = await c.connection.sendRequest('textDocument/inlineCompletion', {
        textDocument: { uri },
        position: { line: 1, character: 11 },
        context: { triggerKind: 1 },
      });
      assert.equal(res.items[0].insertText, 'a + b', 'mid-line completions stop at the line end');
      const call = host.calls.at(-1)!;
      assert.equal(call.kind, 'complete');
      const req = call.req as any;
      assert.ok(req.prefix.endsWith('def add(a, b):\n    return '));
      assert.ok(req.suffix.startsWith('\n\nprint(add(1, 2))'));
      assert.match(req.sessionKey, /demo\.py$/);
    });

    it('follows incremental edits', async () => {
      host.reply = () => 'x';
      const c = await d.connect();
      await c.connection.sendNotification('textDocument/didOpen', {
        textDocument: { uri, languageId: 'python', version: 1, text },
      });
      await c.connection.sendNotification('textDocument/didChange', {
        textDocument: { uri, version: 2 },
        contentChanges: [
          { range: { start: { line: 1, character: 11 }, end: { line: 1, character: 11 } }, text: 'a +' },
        ],
      });
      await c.connection.sendRequest('textDocument/inlineCompletion', {
        textDocument: { uri },
        position: { line: 1, character: 14 },
        context: { triggerKind: 1 },
      });
      assert.ok((host.calls.at(-1)!.req as any).prefix.endsWith('    return a +'));
    });

    it('warms the cache after an edit in a file it completed in: the prompt at the edit', async () => {
      host.reply = () => 'x';
      const c = await d.connect();
      const warmUri = 'file:///work/warm.py';
      await c.connection.sendNotification('textDocument/didOpen', {
        textDocument: { uri: warmUri, languageId: 'python', version: 1, text },
      });
      // No completion in this file yet: an edit warms nothing (the daemon does not know the model).
      await c.connection.sendNotification('textDocument/didChange', {
        textDocument: { uri: warmUri, version: 2 },
        contentChanges: [{ range: { start: { line: 1, character: 11 }, end: { line: 1, character: 11 } }, text: 'a' }],
      });
      await c.connection.sendRequest('textDocument/inlineCompletion', {
        textDocument: { uri: warmUri },
        position: { line: 1, character: 12 },
        context: { triggerKind: 1 },
      });
      assert.equal(host.prefills.filter((p) => p.sessionKey.endsWith('warm.py')).length, 0);
      const completed = host.calls.at(-1)!.req as any;

      const warmed = new Promise<any>((resolve) =>
        host.onPrefill((p) => p.sessionKey.endsWith('warm.py') && resolve(p)),
      );
      await c.connection.sendNotification('textDocument/didChange', {
        textDocument: { uri: warmUri, version: 3 },
        contentChanges: [{ range: { start: { line: 1, character: 12 }, end: { line: 1, character: 12 } }, text: ' +' }],
      });
      const p = await warmed;
      assert.equal(p.modelId, LOCAL.id);
      assert.equal(p.sessionKey, completed.sessionKey, 'the same session (sequence) as the completions');
      assert.ok(p.prefix.endsWith('    return a +'), p.prefix);
      assert.ok(p.suffix.startsWith('\n\nprint(add(1, 2))'), p.suffix);
    });

    it('cancels a superseded completion before it finishes', async () => {
      let release!: () => void;
      host.gate = new Promise<void>((r) => (release = r));
      const c = await d.connect();
      await c.connection.sendNotification('textDocument/didOpen', {
        textDocument: { uri, languageId: 'python', version: 1, text },
      });
      const started = new Promise<void>((r) => host.onStart(() => r()));
      const aborted = new Promise<void>((r) => host.onAbort(() => r()));
      const first = c.connection.sendRequest('textDocument/inlineCompletion', {
        textDocument: { uri },
        position: { line: 1, character: 11 },
        context: { triggerKind: 2 },
      });
      await started;
      const second = c.connection.sendRequest('textDocument/inlineCompletion', {
        textDocument: { uri },
        position: { line: 1, character: 11 },
        context: { triggerKind: 2 },
      });
      await aborted;
      release();
      await assert.rejects(first, (e: any) => e.code === ErrorCodes.RequestCancelled);
      assert.ok(((await second) as any).items.length >= 0);
    });

    it('errors clearly for a document that is not open', async () => {
      const c = await d.connect();
      await assert.rejects(
        c.connection.sendRequest('textDocument/inlineCompletion', {
          textDocument: { uri: 'file:///nope.py' },
          position: { line: 0, character: 0 },
          context: { triggerKind: 1 },
        }),
        (e: any) => e.code === ErrorCodes.DocumentNotOpen && /didOpen/.test(e.message),
      );
    });
  });

  describe('chat', () => {
    it('streams chunks and ends with model, route and usage', async () => {
      host.reply = () => 'Here is the answer you asked for.';
      const c = await d.connect();
      const chunks: string[] = [];
      let firstModel: string | undefined;
      c.onNotification('gearbox/chatChunk', (p) => {
        if (p.streamId !== 's1') return;
        if (chunks.length === 0) firstModel = p.model;
        chunks.push(p.delta);
      });
      const res = await c.request('gearbox/chat', {
        streamId: 's1',
        messages: [{ role: 'user', content: 'rename x to y' }],
      });
      assert.equal(res.text, 'Here is the answer you asked for.');
      assert.equal(chunks.join(''), res.text);
      assert.ok(chunks.length > 1);
      assert.equal(firstModel, 'local/tiny');
      assert.equal(res.model, 'local/tiny');
      assert.equal(res.costUsd, 0);
      assert.ok(res.route.reasons.length > 0);
      assert.ok(res.usage.outputTokens > 0);
    });

    it('cancellation reaches the model host', async () => {
      host.gate = new Promise(() => {});
      const c = await d.connect();
      const cts = new CancellationTokenSource();
      const started = new Promise<void>((r) => host.onStart(() => r()));
      const aborted = new Promise<void>((r) => host.onAbort(() => r()));
      const p = c.request('gearbox/chat', { streamId: 's2', messages: [{ role: 'user', content: 'hello' }] }, cts);
      await started;
      cts.cancel();
      // The model host's request is aborted (not only the client's reply), and the client is told so.
      await aborted;
      await assert.rejects(p, (e: any) => e.code === ErrorCodes.RequestCancelled);
    });

    it('uses the model pinned in workspace settings', async () => {
      await d.stop();
      host = new FakeModelHost();
      d = await startTestDaemon(
        { localModels: [LOCAL, { id: 'local/other', source: '/x.gguf', tier: 1 }] },
        { modelHost: host },
      );
      const c = await d.connect({ models: { chat: 'local/other' } });
      const res = await c.request('gearbox/chat', { streamId: 's3', messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(res.model, 'local/other');
      assert.equal(res.route.pinned, true);
      assert.equal((host.calls.at(-1)!.req as any).modelId, 'local/other');
    });

    it('explains a route without running it', async () => {
      const c = await d.connect();
      const before = host.calls.length;
      const decision = await c.request('gearbox/route', { task: 'chat', prompt: 'explain this function' });
      assert.equal(decision.model, 'local/tiny');
      assert.equal(host.calls.length, before);
    });
  });

  describe('refactor and code actions', () => {
    const uri = 'file:///work/r.ts';
    const text = 'function f(a) {\n  if (a) { return true; } else { return false; }\n}\n';

    it('offers refactor code actions on a selection', async () => {
      const c = await d.connect();
      await c.connection.sendNotification('textDocument/didOpen', {
        textDocument: { uri, languageId: 'typescript', version: 1, text },
      });
      const actions: any[] = await c.connection.sendRequest('textDocument/codeAction', {
        textDocument: { uri },
        range: { start: { line: 0, character: 0 }, end: { line: 2, character: 1 } },
        context: { diagnostics: [] },
      });
      assert.ok(actions.some((a) => a.title === 'Gearbox: Simplify' && a.kind.startsWith('refactor')));
      assert.equal(actions[0].command.command, 'gearbox.refactor');
    });

    it('returns the edit from the code block of the answer', async () => {
      host.reply = () => 'Sure:\n```ts\nfunction f(a) {\n  return Boolean(a);\n}\n```\nShorter.';
      const c = await d.connect();
      await c.connection.sendNotification('textDocument/didOpen', {
        textDocument: { uri, languageId: 'typescript', version: 1, text },
      });
      const range = { start: { line: 0, character: 0 }, end: { line: 2, character: 1 } };
      const res = await c.request('gearbox/refactor', { kind: 'simplify', uri, range, languageId: 'typescript' });
      assert.deepEqual(res.edits, [{ range, newText: 'function f(a) {\n  return Boolean(a);\n}' }]);
      assert.match(res.explanation, /Shorter/);
      const sent = (host.calls.at(-1)!.req as any).messages.at(-1).content as string;
      assert.ok(sent.includes('if (a) { return true; }'), 'the selection is sent to the model');
    });
  });
});

describe('daemon config', () => {
  it('rejects a bad config file with a clear message', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'config.json');
    fs.writeFileSync(file, JSON.stringify({ providers: [{ id: 'vllm', kind: 'openai-compatible' }] }));
    const { loadConfig } = await import('../../daemon/config');
    assert.throws(() => loadConfig(file), /openai-compatible provider needs baseUrl/);
    fs.writeFileSync(file, '{ nope');
    assert.throws(() => loadConfig(file), /not valid JSON/);
    fs.writeFileSync(file, JSON.stringify({ localModels: [{ id: 'm', source: 'models/m.gguf' }] }));
    assert.equal(loadConfig(file).localModels[0]!.source, path.join(dir, 'models/m.gguf'));
  });
});

describe('daemon with providers and client capabilities', () => {
  let d: TestDaemon | undefined;
  afterEach(async () => {
    await d?.stop();
    d = undefined;
  });

  it('pulls per-workspace settings through workspace/configuration and re-pulls on change', async () => {
    const host = new FakeModelHost();
    d = await startTestDaemon(
      { localModels: [LOCAL, { id: 'local/other', source: '/x.gguf', tier: 0 }] },
      { modelHost: host },
    );
    let settings: unknown = { models: { chat: 'local/other' } };
    const asked: unknown[] = [];
    const { connectToDaemon } = await import('../../daemon/cli/client');
    const c = await connectToDaemon({
      runtimeDir: d.runtimeDir,
      capabilities: { workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: false } } },
      onConnection: (conn) =>
        conn.onRequest('workspace/configuration', (p: any) => {
          asked.push(p);
          return [settings];
        }),
    });
    try {
      const a = await c.request('gearbox/chat', { streamId: 'w1', messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(a.model, 'local/other');
      assert.deepEqual((asked[0] as any).items, [{ section: 'gearbox' }]);
      settings = { models: { chat: 'local/tiny' } };
      const pulled = asked.length;
      await c.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
      // The daemon answers our next request only after its configuration request was served, so wait for it.
      while (asked.length === pulled) await new Promise((r) => setImmediate(r));
      const b = await c.request('gearbox/chat', { streamId: 'w2', messages: [{ role: 'user', content: 'hi' }] });
      assert.equal(b.model, 'local/tiny');
      // an invalid setting is reported and ignored
      settings = { routing: { quality: 99 } };
      const warned = new Promise<any>((resolve) => c.connection.onNotification('window/showMessage', resolve));
      await c.connection.sendNotification('workspace/didChangeConfiguration', { settings: null });
      assert.match((await warned).message, /invalid settings ignored.*quality/);
      assert.equal(
        (await c.request('gearbox/chat', { streamId: 'w3', messages: [{ role: 'user', content: 'hi' }] })).model,
        'local/tiny',
      );
    } finally {
      await c.close();
    }
  });

  it('reports model loading through window/workDoneProgress and gearbox/modelProgress', async () => {
    const host = new FakeModelHost();
    d = await startTestDaemon({ localModels: [LOCAL] }, { modelHost: host });
    const { connectToDaemon } = await import('../../daemon/cli/client');
    const progress: any[] = [];
    const created: any[] = [];
    const c = await connectToDaemon({
      runtimeDir: d.runtimeDir,
      capabilities: { window: { workDoneProgress: true } },
      onConnection: (conn) => {
        conn.onRequest('window/workDoneProgress/create', (p: any) => {
          created.push(p);
          return null;
        });
        conn.onNotification('$/progress', (p: any) => {
          progress.push(p.value);
        });
      },
    });
    try {
      const modelProgress: number[] = [];
      c.onNotification('gearbox/modelProgress', (p) => modelProgress.push(p.progress));
      await c.request('gearbox/chat', { streamId: 'p1', messages: [{ role: 'user', content: 'hi' }] });
      assert.deepEqual(modelProgress, [0, 1]);
      while (!progress.some((v) => v.kind === 'end')) await new Promise((r) => setImmediate(r));
      assert.equal(created.length, 1);
      assert.equal(progress[0].kind, 'begin');
      assert.match(progress[0].title, /loading local\/tiny/);
    } finally {
      await c.close();
    }
  });

  const fallbackTitle =
    'falls back to the next candidate when a provider fails, and keeps partial text when a stream is cut';
  it(fallbackTitle, async () => {
    const { startFakeOpenAI } = await import('../fakes/fake-openai');
    const bad = await startFakeOpenAI();
    const good = await startFakeOpenAI();
    try {
      d = await startTestDaemon(
        {
          providers: [
            {
              id: 'bad',
              kind: 'openai-compatible',
              baseUrl: bad.url,
              noKey: true,
              models: [{ name: 'm', tier: 3, inputPricePerMTok: 1, outputPricePerMTok: 1 }],
            },
            {
              id: 'good',
              kind: 'openai-compatible',
              baseUrl: good.url,
              noKey: true,
              models: [{ name: 'm', tier: 3, inputPricePerMTok: 2, outputPricePerMTok: 2 }],
            },
          ],
        },
        { modelHost: new FakeModelHost() },
      );
      bad.setScript(() => ({ kind: 'error', status: 500, message: 'boom' }));
      const c = await d.connect();
      const res = await c.request('gearbox/chat', {
        streamId: 'f1',
        messages: [{ role: 'user', content: 'design a distributed lock @best' }],
      });
      assert.equal(res.model, 'good/m');
      assert.equal(res.attempts[0]!.model, 'bad/m');
      assert.match(res.attempts[0]!.error, /500|boom/);
      assert.equal(bad.requests.length, 3, 'the daemon retried the 5xx itself (SDK retries are off)');
      assert.ok(res.costUsd > 0);

      bad.setScript(undefined);
      good.setScript(() => ({ kind: 'reply', text: 'one two three four five six', cutAfter: 2 }));
      const chunks: string[] = [];
      c.onNotification('gearbox/chatChunk', (p) => {
        if (p.streamId === 'f2') chunks.push(p.delta);
      });
      await assert.rejects(
        c.request('gearbox/chat', { streamId: 'f2', model: 'good/m', messages: [{ role: 'user', content: 'hi' }] }),
        (e: any) => {
          assert.equal(e.code, ErrorCodes.StreamInterrupted);
          assert.equal(e.data.partialText, 'one two ');
          return true;
        },
      );
      assert.equal(chunks.join(''), 'one two ');
    } finally {
      await bad.close();
      await good.close();
    }
  });

  it('keeps prompts with secrets local, or redacts them for closed models when the workspace says so', async () => {
    const { startFakeOpenAI } = await import('../fakes/fake-openai');
    const cloud = await startFakeOpenAI();
    const host = new FakeModelHost();
    // Split so that secret scanners of this repository do not flag the fixture.
    const key = 'AK' + 'IATXUNQSDBH9GWSYWR';
    try {
      d = await startTestDaemon(
        {
          localModels: [LOCAL],
          providers: [
            {
              id: 'cloud',
              kind: 'openai-compatible',
              baseUrl: cloud.url,
              noKey: true,
              models: [{ name: 'big', tier: 3 }],
            },
          ],
        },
        { modelHost: host },
      );
      const prompt = `why is S3 denying access with aws_access_key_id = ${key} @best`;
      const local = await d.connect({ secrets: 'force-local' });
      const a = await local.request('gearbox/chat', { streamId: 's1', messages: [{ role: 'user', content: prompt }] });
      assert.equal(a.model, 'local/tiny');
      assert.ok(
        a.route.rejected.some((r) => r.model === 'cloud/big' && r.reason === 'privacy' && /secret/.test(r.detail)),
      );
      assert.equal(cloud.requests.length, 0);

      const redacting = await d.connect({ secrets: 'redact' });
      const b = await redacting.request('gearbox/chat', {
        streamId: 's2',
        messages: [{ role: 'user', content: prompt }],
      });
      assert.equal(b.model, 'cloud/big');
      assert.equal(b.route.redactSecrets, true);
      const sent = JSON.stringify(cloud.requests.at(-1)!.body.messages);
      assert.ok(!sent.includes(key), 'the key never reaches the closed model');
      assert.match(sent, /\[REDACTED:aws-access-key\]/);
    } finally {
      await cloud.close();
    }
  });

  it("escalates one tier after a failed local answer, and applies each window's own pinned model", async () => {
    const { startFakeOpenAI } = await import('../fakes/fake-openai');
    const cloud = await startFakeOpenAI();
    const host = new FakeModelHost();
    try {
      d = await startTestDaemon(
        {
          localModels: [LOCAL],
          providers: [
            {
              id: 'cloud',
              kind: 'openai-compatible',
              baseUrl: cloud.url,
              noKey: true,
              models: [{ name: 'mid', tier: 1, inputPricePerMTok: 1, outputPricePerMTok: 2 }],
            },
          ],
        },
        { modelHost: host },
      );
      const c = await d.connect();
      host.reply = () => '';
      const first = await c.request('gearbox/chat', {
        streamId: 'e1',
        messages: [{ role: 'user', content: 'rename x to count' }],
      });
      assert.equal(first.model, 'local/tiny');
      const second = await c.request('gearbox/chat', {
        streamId: 'e2',
        messages: [{ role: 'user', content: 'rename x to count' }],
      });
      assert.equal(second.model, 'cloud/mid', 'the empty local answer moved the next request one tier up');
      const third = await c.request('gearbox/chat', {
        streamId: 'e3',
        messages: [{ role: 'user', content: 'rename x to count' }],
      });
      assert.equal(third.model, 'local/tiny', 'a good answer resets the escalation');

      // Two windows, two workspaces, two pinned chat models, at the same time.
      host.reply = () => 'ok';
      const a = await d.connect({ models: { chat: 'local/tiny' } });
      const b = await d.connect({ models: { chat: 'cloud/mid' } });
      const [ra, rb] = await Promise.all([
        a.request('gearbox/chat', { streamId: 'wa', messages: [{ role: 'user', content: 'hi' }] }),
        b.request('gearbox/chat', { streamId: 'wb', messages: [{ role: 'user', content: 'hi' }] }),
      ]);
      assert.equal(ra.model, 'local/tiny');
      assert.equal(rb.model, 'cloud/mid');
    } finally {
      await cloud.close();
    }
  });

  it('exits by itself when idle with no clients, if configured', async () => {
    d = await startTestDaemon({ idleExitMinutes: 0.002 }, { modelHost: new FakeModelHost() });
    await d.stopped;
    assert.equal(fs.existsSync(d.paths.discovery), false);
  });
});
