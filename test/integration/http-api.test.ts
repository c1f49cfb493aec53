// The OpenAI- and Anthropic-compatible HTTP API, driven by the official `openai` and
// `@anthropic-ai/sdk` clients against a daemon whose closed models are fake providers on loopback
// (an OpenAI-compatible one and an Anthropic one) and whose local model is the in-process fake host:
// streaming and not, tools both ways, FIM with `suffix`, the route headers and `gearbox` field, the
// ledger workspace, cancellation seen upstream, and every refusal in the called API's own shape.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { ApiKeyStore, apiKeysPath } from '../../daemon/http-api/api-keys';
import { startFakeAnthropic } from '../fakes/fake-anthropic';
import { FakeModelHost } from '../fakes/fake-model-host';
import { startFakeOpenAI } from '../fakes/fake-openai';
import type { FakeServer } from '../fakes/fake-server';
import { startTestDaemon, type TestDaemon } from '../helpers/daemon-harness';

const WEATHER = {
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
// Synthetic and random (not a real credential), split so that secret scanners leave this file alone.
const SECRET = `sk-${'proj-S7nrsMVr7mYa33tgK8nceIp44PwuDQjlaFgbWNg5Dq0Gn6vw'}`;

/** A daemon config: local/tiny (fake host), fake/fake-large and fake/fake-small, claude/claude-test. */
function config(fake: FakeServer, anthropic: FakeServer, extra: Record<string, unknown> = {}) {
  return {
    localModels: [{ id: 'local/tiny', source: '/fake/tiny.gguf', tasks: ['completion', 'chat', 'refactor'] }],
    providers: [
      {
        id: 'fake',
        kind: 'openai-compatible',
        baseUrl: fake.url,
        noKey: true,
        models: [
          { name: 'fake-large', tier: 3, contextWindow: 128000, inputPricePerMTok: 3, outputPricePerMTok: 15 },
          { name: 'fake-small', tier: 1, contextWindow: 32000, inputPricePerMTok: 0.1, outputPricePerMTok: 0.4 },
        ],
      },
      {
        id: 'claude',
        kind: 'anthropic',
        baseUrl: anthropic.url,
        noKey: true,
        models: [{ name: 'claude-test', tier: 3, contextWindow: 200000, inputPricePerMTok: 3, outputPricePerMTok: 15 }],
      },
    ],
    ...extra,
  };
}

function keyOf(d: TestDaemon, label?: string): string {
  return new ApiKeyStore(apiKeysPath(path.join(d.runtimeDir, 'unused-config.json'))).get(label);
}

/** A plain HTTP request with exactly these headers and body (for what no SDK would send). */
function raw(
  port: number,
  opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; json: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: opts.method ?? 'POST', path: opts.path, headers: opts.headers },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: any;
          try {
            json = JSON.parse(text);
          } catch {
            json = text;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
        });
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

async function ledgerLines(d: TestDaemon): Promise<{ workspace: string; model: string; outcome: string }[]> {
  await d.engine.ledger.flush();
  const file = path.join(path.dirname(d.runtimeDir), 'state', 'gearbox', 'ledger.jsonl');
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
}

describe('HTTP API', function () {
  this.timeout(60_000);
  let fake: FakeServer;
  let anthropic: FakeServer;
  let host: FakeModelHost;
  let d: TestDaemon;
  let key: string;
  let openai: OpenAI;
  let claude: Anthropic;

  before(async () => {
    fake = await startFakeOpenAI();
    anthropic = await startFakeAnthropic();
    host = new FakeModelHost();
    d = await startTestDaemon(config(fake, anthropic), { modelHost: host });
    key = keyOf(d);
    openai = new OpenAI({ baseURL: `http://127.0.0.1:${d.port}/v1`, apiKey: key, maxRetries: 0 });
    claude = new Anthropic({ baseURL: `http://127.0.0.1:${d.port}`, apiKey: key, maxRetries: 0 });
  });
  after(async () => {
    await d?.stop();
    await fake?.close();
    await anthropic?.close();
  });

  describe('OpenAI Chat Completions', () => {
    it('answers a pinned model, naming it and its route in headers and a gearbox field; bills api:<key>', async () => {
      const { data, response } = await openai.chat.completions
        .create({ model: 'fake/fake-large', messages: [{ role: 'user', content: 'What is a closure?' }] })
        .withResponse();
      assert.equal(data.object, 'chat.completion');
      assert.equal(data.model, 'fake/fake-large');
      assert.equal(data.choices[0]?.message.content, 'Fake OpenAI answer to "What is a closure?".');
      assert.equal(data.choices[0]?.finish_reason, 'stop');
      assert.ok((data.usage?.prompt_tokens ?? 0) > 0 && (data.usage?.completion_tokens ?? 0) > 0);
      assert.equal(response.headers.get('x-gearbox-model'), 'fake/fake-large');
      assert.match(response.headers.get('x-gearbox-route') ?? '', /^fake\/fake-large: pinned by the request/);
      const gearbox = (data as unknown as { gearbox: any }).gearbox;
      assert.equal(gearbox.model, 'fake/fake-large');
      assert.equal(gearbox.route.pinned, true);
      assert.ok(gearbox.costUsd > 0);
      assert.equal(response.headers.get('access-control-allow-origin'), null);
      const last = (await ledgerLines(d)).at(-1)!;
      assert.deepEqual([last.workspace, last.model, last.outcome], ['api:default', 'fake/fake-large', 'ok']);
    });

    it('streams deltas, ends with the finish reason and gearbox field, then usage when asked', async () => {
      fake.enqueue({
        kind: 'reply',
        chunks: ['Closures ', 'capture ', 'scope.'],
        usage: { inputTokens: 12, outputTokens: 3 },
      });
      const { data: stream, response } = await openai.chat.completions
        .create({
          model: 'fake/fake-large',
          stream: true,
          stream_options: { include_usage: true },
          messages: [{ role: 'user', content: 'Explain closures' }],
        })
        .withResponse();
      assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      assert.equal(response.headers.get('x-gearbox-model'), 'fake/fake-large');
      const chunks = [];
      for await (const c of stream) chunks.push(c);
      assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'Closures capture scope.');
      assert.equal(chunks[0]?.choices[0]?.delta.role, 'assistant');
      const finish = chunks.at(-2)!;
      assert.equal(finish.choices[0]?.finish_reason, 'stop');
      assert.equal((finish as unknown as { gearbox: { model: string } }).gearbox.model, 'fake/fake-large');
      const usage = chunks.at(-1)!;
      assert.deepEqual(usage.choices, []);
      assert.deepEqual(usage.usage, { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 });
      assert.ok(chunks.slice(0, -1).every((c) => c.usage === null));
    });

    it('passes tools and tool_choice to the closed model and returns its calls, streamed and not', async () => {
      const calls = [{ id: 'call_a', name: 'get_weather', arguments: '{"city":"Paris"}' }];
      const tools = [{ type: 'function' as const, function: WEATHER }];
      const messages = [{ role: 'user' as const, content: 'Weather in Paris?' }];
      fake.enqueue({ kind: 'reply', toolCalls: calls });
      const seen = fake.waitForRequests(fake.requests.length + 1);
      const stream = openai.chat.completions.stream({
        model: 'fake/fake-large',
        messages,
        tools,
        tool_choice: 'required',
      });
      const done = await stream.finalChatCompletion();
      const upstream = await seen;
      assert.deepEqual(upstream.body.tools, tools);
      assert.equal(upstream.body.tool_choice, 'required');
      assert.equal(done.choices[0]?.finish_reason, 'tool_calls');
      const call = done.choices[0]?.message.tool_calls?.[0];
      assert.ok(call?.type === 'function');
      assert.deepEqual(
        [call.id, call.function.name, JSON.parse(call.function.arguments)],
        ['call_a', 'get_weather', { city: 'Paris' }],
      );

      fake.enqueue({ kind: 'reply', toolCalls: calls });
      const plain = await openai.chat.completions.create({ model: 'fake/fake-large', messages, tools });
      assert.equal(plain.choices[0]?.finish_reason, 'tool_calls');
      assert.equal(plain.choices[0]?.message.content, null);
      assert.equal(plain.choices[0]?.message.tool_calls?.[0]?.id, 'call_a');
      assert.equal((plain as unknown as { gearbox: { tools: string } }).gearbox.tools, 'passed');
    });

    it('sends tool results back upstream, and an Anthropic model gets them as tool_result blocks', async () => {
      const messages: OpenAI.ChatCompletionMessageParam[] = [
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_a', content: 'sunny, 21 C' },
      ];
      const seen = anthropic.waitForRequests(anthropic.requests.length + 1);
      const r = await openai.chat.completions.create({
        model: 'claude/claude-test',
        messages,
        tools: [{ type: 'function', function: WEATHER }],
      });
      assert.match(r.choices[0]?.message.content ?? '', /^Fake Anthropic answer/);
      const up = (await seen).body;
      assert.deepEqual(up.tools, [
        { name: WEATHER.name, description: WEATHER.description, input_schema: WEATHER.parameters },
      ]);
      assert.deepEqual(up.messages.slice(1), [
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'call_a', name: 'get_weather', input: { city: 'Paris' } }],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_a', content: 'sunny, 21 C' }] },
      ]);
    });

    it('gearbox/auto: a request with tools goes to a model that takes them, not to the local one', async () => {
      const messages = [{ role: 'user' as const, content: 'rename x to count' }];
      const plain = await openai.chat.completions.create({ model: 'gearbox/auto', messages });
      assert.equal(plain.model, 'local/tiny');
      fake.enqueue({
        kind: 'reply',
        toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }],
      });
      const r = await openai.chat.completions.create({
        model: 'gearbox/auto',
        messages,
        tools: [{ type: 'function', function: WEATHER }],
      });
      assert.notEqual(r.model, 'local/tiny');
      assert.equal(r.choices[0]?.message.tool_calls?.[0]?.type, 'function');
      const gearbox = (r as unknown as { gearbox: { tools: string; route: { summary: string } } }).gearbox;
      assert.equal(gearbox.tools, 'passed');
      assert.match(gearbox.route.summary, /the request has tools: models that take them first/);
    });

    it('gearbox/local answers locally in text: tools are not offered, earlier tool turns arrive as text', async () => {
      const before = host.calls.length;
      const r = await openai.chat.completions.create({
        model: 'gearbox/local',
        messages: [
          { role: 'user', content: 'Weather in Paris?' },
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{}' } }],
          },
          { role: 'tool', tool_call_id: 'c1', content: 'sunny' },
        ],
        tools: [{ type: 'function', function: WEATHER }],
      });
      assert.equal(r.model, 'local/tiny');
      assert.equal(r.choices[0]?.message.content, 'fake answer');
      assert.equal((r as unknown as { gearbox: { tools: string } }).gearbox.tools, 'not-supported-by-model');
      const sent = host.calls[before]!.req as { messages: { role: string; content: string }[] };
      assert.deepEqual(
        sent.messages.slice(-2).map((m) => m.role),
        ['assistant', 'user'],
      );
      assert.match(sent.messages.at(-1)!.content, /^Result of tool call c1:\nsunny$/);
    });

    it('lists gearbox/auto, gearbox/local and the catalog in /v1/models', async () => {
      const ids = (await openai.models.list()).data.map((m) => m.id);
      assert.deepEqual(ids.slice(0, 2), ['gearbox/auto', 'gearbox/local']);
      for (const id of ['local/tiny', 'fake/fake-large', 'claude/claude-test']) assert.ok(ids.includes(id), id);
    });

    it('a client hang-up mid-stream cancels upstream: the provider sees the connection close', async () => {
      fake.enqueue({ kind: 'reply', chunks: ['a ', 'b ', 'c ', 'd ', 'e ', 'f ', 'g ', 'h'], delayMs: 50 });
      const ac = new AbortController();
      const hungUp = fake.nextAbort();
      const stream = await openai.chat.completions.create(
        { model: 'fake/fake-large', stream: true, messages: [{ role: 'user', content: 'count' }] },
        { signal: ac.signal },
      );
      // The SDK ends the iteration quietly on abort.
      for await (const c of stream) if (c.choices[0]?.delta.content) ac.abort();
      const abort = await hungUp;
      assert.ok(abort.chunksSent < 8, `upstream saw the hang-up after ${abort.chunksSent} of 8 chunks`);
      await d.engine.ledger.flush();
      assert.equal((await ledgerLines(d)).at(-1)?.outcome, 'cancelled');
    });

    it('a hang-up cancels local generation too', async () => {
      let open!: () => void;
      host.gate = new Promise<void>((r) => (open = r));
      const aborted = new Promise<void>((r) => host.onAbort(() => r()));
      const started = new Promise<void>((r) => host.onStart(() => r()));
      const ac = new AbortController();
      const pending = openai.chat.completions.create(
        { model: 'gearbox/local', stream: true, messages: [{ role: 'user', content: 'hello' }] },
        { signal: ac.signal },
      );
      await started;
      ac.abort();
      await assert.rejects(pending);
      await aborted;
      host.gate = undefined;
      open();
    });
  });

  describe('OpenAI Completions (FIM)', () => {
    it('runs prompt + suffix as fill-in-the-middle, cuts at stop sequences, and streams', async () => {
      host.reply = () => 'return a + b\n\nprint(add(1, 2))';
      const before = host.calls.length;
      const { data, response } = await openai.completions
        .create({
          model: 'gearbox/local',
          prompt: 'def add(a, b):\n    ',
          suffix: '\n',
          max_tokens: 32,
          stop: ['\n\n'],
        })
        .withResponse();
      assert.equal(data.choices[0]?.text, 'return a + b');
      assert.equal(data.choices[0]?.finish_reason, 'stop');
      assert.equal(response.headers.get('x-gearbox-model'), 'local/tiny');
      const call = host.calls[before]!;
      assert.equal(call.kind, 'complete');
      assert.deepEqual(
        [
          (call.req as { prefix: string }).prefix,
          (call.req as { suffix: string }).suffix,
          (call.req as { maxTokens: number }).maxTokens,
        ],
        ['def add(a, b):\n    ', '\n', 32],
      );
      const stream = await openai.completions.create({
        model: 'gearbox/local',
        prompt: 'def add(a, b):\n    ',
        suffix: '\n',
        stream: true,
        stop: ['\n\n'],
      });
      let text = '';
      for await (const c of stream) text += c.choices[0]?.text ?? '';
      assert.equal(text, 'return a + b');
      host.reply = () => 'fake answer';
    });
  });

  describe('Anthropic Messages', () => {
    it('answers with a message object and the route headers', async () => {
      const { data, response } = await claude.messages
        .create({ model: 'gearbox/auto', max_tokens: 200, messages: [{ role: 'user', content: 'What is a monad?' }] })
        .withResponse();
      assert.equal(data.type, 'message');
      assert.equal(data.role, 'assistant');
      assert.equal(data.stop_reason, 'end_turn');
      const text = data.content.find((b) => b.type === 'text');
      assert.ok(text && text.type === 'text' && text.text.length > 0);
      assert.equal(response.headers.get('x-gearbox-model'), data.model);
      assert.ok(response.headers.get('x-gearbox-route'));
    });

    it('streams the named events; the SDK assembles text, tool_use input and usage', async () => {
      anthropic.enqueue({
        kind: 'reply',
        chunks: ['Let me ', 'check.'],
        toolCalls: [{ id: 'toolu_1', name: 'get_weather', arguments: '{"city":"Rome"}' }],
        usage: { inputTokens: 20, outputTokens: 9 },
      });
      const seen = anthropic.waitForRequests(anthropic.requests.length + 1);
      const stream = claude.messages.stream({
        model: 'claude/claude-test',
        max_tokens: 300,
        system: 'Be brief.',
        messages: [{ role: 'user', content: 'Weather in Rome?' }],
        tools: [{ name: WEATHER.name, description: WEATHER.description, input_schema: WEATHER.parameters as never }],
        tool_choice: { type: 'auto' },
      });
      const types: string[] = [];
      stream.on('streamEvent', (e) => types.push(e.type));
      const msg = await stream.finalMessage();
      assert.deepEqual(types, [
        'message_start',
        'content_block_start',
        'content_block_delta',
        'content_block_delta',
        'content_block_stop',
        'content_block_start',
        'content_block_delta',
        'content_block_stop',
        'message_delta',
        'message_stop',
      ]);
      assert.equal(msg.stop_reason, 'tool_use');
      const blocks = msg.content.map((b) =>
        b.type === 'text' ? [b.type, b.text] : b.type === 'tool_use' ? [b.type, b.id, b.name, b.input] : [b.type],
      );
      assert.deepEqual(blocks, [
        ['text', 'Let me check.'],
        ['tool_use', 'toolu_1', 'get_weather', { city: 'Rome' }],
      ]);
      assert.deepEqual([msg.usage.input_tokens, msg.usage.output_tokens], [20, 9]);
      const up = (await seen).body;
      assert.equal(up.system, 'Be brief.');
      assert.deepEqual(up.tool_choice, { type: 'auto' });
    });

    it('takes tool_result blocks and sends them to an OpenAI-compatible model as tool turns', async () => {
      const seen = fake.waitForRequests(fake.requests.length + 1);
      await claude.messages.create({
        model: 'fake/fake-large',
        max_tokens: 100,
        messages: [
          { role: 'user', content: 'Weather in Rome?' },
          {
            role: 'assistant',
            content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Rome' } }],
          },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'rainy' }] },
        ],
        tools: [{ name: WEATHER.name, input_schema: WEATHER.parameters as never }],
      });
      const up = (await seen).body;
      assert.deepEqual(up.messages.slice(-2), [
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'toolu_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Rome"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'toolu_1', content: 'rainy' },
      ]);
    });

    it('a client hang-up mid-stream cancels upstream', async () => {
      anthropic.enqueue({ kind: 'reply', chunks: ['1 ', '2 ', '3 ', '4 ', '5 ', '6'], delayMs: 50 });
      const hungUp = anthropic.nextAbort();
      const stream = claude.messages.stream({
        model: 'claude/claude-test',
        max_tokens: 100,
        messages: [{ role: 'user', content: 'count' }],
      });
      stream.on('text', () => stream.abort());
      await assert.rejects(stream.finalMessage());
      const abort = await hungUp;
      assert.ok(abort.chunksSent < 6);
    });
  });

  describe('refusals, each in the API shape, nothing secret in the log', () => {
    const base = () => ({ host: `127.0.0.1:${d.port}`, 'content-type': 'application/json' });
    const chatBody = JSON.stringify({ model: 'gearbox/auto', messages: [{ role: 'user', content: 'hi' }] });

    it('no key and a wrong key: 401 (OpenAI: invalid_api_key; Anthropic: authentication_error)', async () => {
      for (const apiKey of ['', 'gbx-wrong']) {
        const o = new OpenAI({ baseURL: `http://127.0.0.1:${d.port}/v1`, apiKey: apiKey || 'x', maxRetries: 0 });
        const err = await openaiError(
          apiKey
            ? o.chat.completions.create({ model: 'gearbox/auto', messages: [{ role: 'user', content: 'hi' }] })
            : Promise.reject(await raw(d.port, { path: '/v1/chat/completions', headers: base(), body: chatBody })),
        );
        assert.equal(err.status, 401);
        assert.equal(err.body.error.code, 'invalid_api_key');
        assert.match(err.body.error.message, apiKey ? /Incorrect API key/ : /Missing API key/);
      }
      const a = new Anthropic({ baseURL: `http://127.0.0.1:${d.port}`, apiKey: 'gbx-wrong', maxRetries: 0 });
      const e = await assert.rejects(
        a.messages.create({ model: 'gearbox/auto', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
        (err: InstanceType<typeof Anthropic.AuthenticationError>) => {
          assert.equal(err.status, 401);
          assert.deepEqual((err.error as any).type, 'error');
          assert.equal((err.error as any).error.type, 'authentication_error');
          return true;
        },
      );
      void e;
    });

    it('a foreign Origin and a bad Host: 403, with a valid key', async () => {
      const auth = { authorization: `Bearer ${key}` };
      const origin = await raw(d.port, {
        path: '/v1/chat/completions',
        headers: { ...base(), ...auth, origin: 'http://evil.example' },
        body: chatBody,
      });
      assert.equal(origin.status, 403);
      assert.equal(origin.json.error.code, 'origin_not_allowed');
      const host = await raw(d.port, {
        path: '/v1/messages',
        headers: { ...base(), ...auth, host: `evil.example:${d.port}` },
        body: chatBody,
      });
      assert.equal(host.status, 403);
      assert.deepEqual(host.json, { type: 'error', error: { type: 'permission_error', message: 'Host not allowed' } });
      assert.equal(host.headers['access-control-allow-origin'], undefined);
      // A browser's preflight gets nothing that would let the page read an answer.
      const preflight = await raw(d.port, {
        method: 'OPTIONS',
        path: '/v1/chat/completions',
        headers: {
          host: `127.0.0.1:${d.port}`,
          origin: 'http://evil.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
          'access-control-request-private-network': 'true',
        },
      });
      assert.equal(preflight.status, 403);
      assert.deepEqual(
        Object.keys(preflight.headers).filter((h) => h.startsWith('access-control-')),
        [],
      );
    });

    it('an oversized body: 413; malformed JSON: 400; a bad field: 400 naming it', async () => {
      const auth = { authorization: `Bearer ${key}` };
      const big = await raw(d.port, {
        path: '/v1/chat/completions',
        headers: { ...base(), ...auth },
        body: Buffer.alloc(1024 * 1024 + 10, 'x'),
      });
      assert.equal(big.status, 413);
      assert.equal(big.json.error.code, 'request_too_large');
      const bad = await raw(d.port, {
        path: '/v1/messages',
        headers: { ...base(), 'x-api-key': key },
        body: '{"model": ',
      });
      assert.equal(bad.status, 400);
      assert.equal(bad.json.error.type, 'invalid_request_error');
      assert.match(bad.json.error.message, /not valid JSON/);
      await assert.rejects(
        claude.messages.create({ model: 'gearbox/auto', messages: [{ role: 'user', content: 'hi' }] } as never),
        (err: InstanceType<typeof Anthropic.BadRequestError>) =>
          err.status === 400 && /max_tokens/.test((err.error as any).error.message),
      );
      const image = await openaiError(
        openai.chat.completions.create({
          model: 'gearbox/auto',
          messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:,' } }] }],
        }),
      );
      assert.equal(image.status, 400);
      assert.match(image.body.error.message, /only text content parts/);
    });

    it('an unknown model: 404 model_not_found / not_found_error', async () => {
      const err = await openaiError(
        openai.chat.completions.create({ model: 'nope/nothing', messages: [{ role: 'user', content: 'hi' }] }),
      );
      assert.equal(err.status, 404);
      assert.equal(err.body.error.code, 'model_not_found');
      await assert.rejects(
        claude.messages.create({ model: 'nope/nothing', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
        (e: InstanceType<typeof Anthropic.NotFoundError>) =>
          e.status === 404 && (e.error as any).error.type === 'not_found_error',
      );
    });

    it('a secret in the prompt with a cloud-only pin: 403 private_content; the provider never sees it', async () => {
      const before = fake.requests.length;
      const err = await openaiError(
        openai.chat.completions.create({
          model: 'fake/fake-large',
          messages: [{ role: 'user', content: `why does OPENAI_API_KEY=${SECRET} fail?` }],
        }),
      );
      assert.equal(err.status, 403);
      assert.equal(err.body.error.code, 'private_content');
      assert.equal(fake.requests.length, before);
      // In a tool result too: everything that would be sent is checked.
      const viaTool = await openaiError(
        openai.chat.completions.create({
          model: 'fake/fake-large',
          messages: [
            { role: 'user', content: 'read .env' },
            {
              role: 'assistant',
              content: null,
              tool_calls: [{ id: 't', type: 'function', function: { name: 'read', arguments: '{}' } }],
            },
            { role: 'tool', tool_call_id: 't', content: `OPENAI_API_KEY=${SECRET}` },
          ],
        }),
      );
      assert.equal(viaTool.status, 403);
      assert.equal(fake.requests.length, before);
    });

    it('keeps the API key and the secret out of every log line', () => {
      const all = d.logs.join('\n');
      assert.ok(!all.includes(key), 'the API key is in the log');
      assert.ok(!all.includes(SECRET), 'the secret is in the log');
      assert.ok(
        d.logs.some((l) => l.includes('API request refused')),
        'refusals are logged (without values)',
      );
    });
  });
});

describe('HTTP API: policy, rate limit and budget', function () {
  this.timeout(60_000);
  let fake: FakeServer;
  let anthropic: FakeServer;
  const daemons: TestDaemon[] = [];
  before(async () => {
    fake = await startFakeOpenAI();
    anthropic = await startFakeAnthropic();
  });
  after(async () => {
    for (const d of daemons) await d.stop();
    await fake.close();
    await anthropic.close();
  });
  const start = async (extra: Record<string, unknown>) => {
    const d = await startTestDaemon(config(fake, anthropic, extra), { modelHost: new FakeModelHost() });
    daemons.push(d);
    return { d, openai: new OpenAI({ baseURL: `http://127.0.0.1:${d.port}/v1`, apiKey: keyOf(d), maxRetries: 0 }) };
  };
  const ask = (o: OpenAI, model: string) =>
    o.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });

  it('a model the policy does not allow: 403 model_not_allowed (Anthropic: permission_error)', async () => {
    const { d, openai } = await start({ defaults: { allowedModels: ['local/tiny', 'fake/fake-small'] } });
    const err = await openaiError(ask(openai, 'fake/fake-large'));
    assert.equal(err.status, 403);
    assert.equal(err.body.error.code, 'model_not_allowed');
    assert.match(err.body.error.message, /not in gearbox.allowedModels/);
    const a = new Anthropic({ baseURL: `http://127.0.0.1:${d.port}`, apiKey: keyOf(d), maxRetries: 0 });
    await assert.rejects(
      a.messages.create({ model: 'fake/fake-large', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
      (e: InstanceType<typeof Anthropic.PermissionDeniedError>) =>
        e.status === 403 && (e.error as any).error.type === 'permission_error',
    );
  });

  it("the daemon's rate limit: 429 rate_limit_exceeded with Retry-After, per key", async () => {
    const { d, openai } = await start({ server: { requestsPerSecond: 0.01, requestBurst: 2 } });
    await ask(openai, 'local/tiny');
    await ask(openai, 'local/tiny');
    const err = await openaiError(ask(openai, 'local/tiny'));
    assert.equal(err.status, 429);
    assert.equal(err.body.error.code, 'rate_limit_exceeded');
    assert.ok(Number(err.headers.get('retry-after')) >= 1);
    // Another key has its own bucket.
    const other = new OpenAI({ baseURL: `http://127.0.0.1:${d.port}/v1`, apiKey: keyOf(d, 'other'), maxRetries: 0 });
    assert.equal((await ask(other, 'local/tiny')).model, 'local/tiny');
  });

  it('a spent budget: 429 budget_exceeded with Retry-After until the cap resets; local still answers', async () => {
    const { openai } = await start({ defaults: { budget: { dailyUsd: 0.000001, monthlyUsd: 0 } } });
    await ask(openai, 'fake/fake-large');
    const err = await openaiError(ask(openai, 'fake/fake-large'));
    assert.equal(err.status, 429);
    assert.equal(err.body.error.type, 'insufficient_quota');
    assert.equal(err.body.error.code, 'budget_exceeded');
    const retry = Number(err.headers.get('retry-after'));
    assert.ok(retry >= 1 && retry <= 24 * 3600, `Retry-After ${retry}`);
    assert.equal((await ask(openai, 'gearbox/auto')).model, 'local/tiny');
  });
});

/** The OpenAI SDK's APIError (or a raw response) as status, headers and body. */
async function openaiError(p: Promise<unknown>): Promise<{ status: number; headers: Headers; body: any }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof OpenAI.APIError)
      return { status: err.status ?? 0, headers: err.headers ?? new Headers(), body: { error: err.error } };
    const r = err as { status: number; headers: http.IncomingHttpHeaders; json: any };
    if (typeof r.status === 'number' && r.json)
      return { status: r.status, headers: new Headers(r.headers as Record<string, string>), body: r.json };
    throw err;
  }
  assert.fail('expected an error');
}
