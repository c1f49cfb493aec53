// Closed-API providers against protocol-faithful fake servers on 127.0.0.1, plus the retry
// policy and provider health that the router wraps around them.
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { ErrorCodes } from '../../shared/protocol';
import type { ChatMessage } from '../../shared/protocol';
import type { ProviderConfig } from '../../daemon/config';
import type { ChatProvider } from '../../daemon/providers/chat-provider';
import { createLogger, silentLogger } from '../../daemon/log';
import { createProvider, apiKeyEnvVar } from '../../daemon/providers';
import { ProviderError, parseRetryAfter } from '../../daemon/providers/errors';
import { ProviderHealth, withRetries } from '../../daemon/providers/retry';
import type { FakeServer, RecordedRequest } from '../fakes/fake-server';
import { startFakeOpenAI } from '../fakes/fake-openai';
import { startFakeAnthropic } from '../fakes/fake-anthropic';
import { startFakeGemini } from '../fakes/fake-gemini';

const KEY = 'sk-test-Gearbox-0123456789abcdef';
const MESSAGES: ChatMessage[] = [
  { role: 'system', content: 'Answer briefly.' },
  { role: 'user', content: 'What is a monad?' },
];

/** Every error the suite sees, checked at the end for the key. */
const seenErrors: unknown[] = [];

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    seenErrors.push(err);
    assert.ok(err instanceof ProviderError, `expected ProviderError, got ${inspect(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

interface Spec {
  name: string;
  start: typeof startFakeOpenAI;
  config(url: string): ProviderConfig;
  /** The key as this SDK presents it. */
  keyOf(req: RecordedRequest): string | undefined;
  /** What the provider sent as the system prompt and the user turns, in wire form. */
  checkBody(req: RecordedRequest): void;
  /** The tools, the tool choice, an earlier call and its result, in wire form (TOOL_TURNS below). */
  checkToolBody(req: RecordedRequest): void;
}

const WEATHER = {
  name: 'get_weather',
  description: 'Weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
/** A conversation where the model already called a tool once and got its result back. */
const TOOL_TURNS: ChatMessage[] = [
  { role: 'system', content: 'Answer briefly.' },
  { role: 'user', content: 'Weather in Paris and Rome?' },
  { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
  { role: 'tool', toolCallId: 'call_1', content: 'sunny, 21 C' },
];

const bearer = (req: RecordedRequest) => req.headers.authorization?.replace(/^Bearer /, '');

const specs: Spec[] = [
  {
    name: 'openai',
    start: startFakeOpenAI,
    config: (url) => ({ id: 'openai', kind: 'openai', baseUrl: url }),
    keyOf: bearer,
    checkBody: (req) => {
      assert.deepEqual(req.body.messages, MESSAGES);
      assert.deepEqual(req.body.stream_options, { include_usage: true });
      assert.equal(req.body.max_completion_tokens, 100);
    },
    checkToolBody: (req) => {
      assert.deepEqual(req.body.tools, [{ type: 'function', function: WEATHER }]);
      assert.equal(req.body.tool_choice, 'required');
      assert.deepEqual(req.body.messages.slice(2), [
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny, 21 C' },
      ]);
    },
  },
  {
    name: 'openai-compatible',
    start: startFakeOpenAI,
    config: (url) => ({ id: 'my-vllm', kind: 'openai-compatible', baseUrl: url, private: true }),
    keyOf: bearer,
    checkBody: (req) => {
      assert.deepEqual(req.body.messages, MESSAGES);
      assert.equal(req.body.max_tokens, 100);
    },
    checkToolBody: (req) => {
      assert.deepEqual(req.body.tools, [{ type: 'function', function: WEATHER }]);
      assert.equal(req.body.tool_choice, 'required');
    },
  },
  {
    name: 'anthropic',
    start: startFakeAnthropic,
    config: (url) => ({ id: 'anthropic', kind: 'anthropic', baseUrl: url }),
    // @anthropic-ai/sdk 1.x sends the key as a Bearer token; older clients use x-api-key.
    keyOf: (req) => (req.headers['x-api-key'] as string | undefined) ?? bearer(req),
    checkBody: (req) => {
      assert.equal(req.body.system, 'Answer briefly.');
      assert.deepEqual(req.body.messages, [{ role: 'user', content: 'What is a monad?' }]);
      assert.equal(req.body.max_tokens, 100);
      assert.equal(typeof req.headers['anthropic-version'], 'string');
    },
    checkToolBody: (req) => {
      assert.deepEqual(req.body.tools, [
        { name: WEATHER.name, description: WEATHER.description, input_schema: WEATHER.parameters },
      ]);
      assert.deepEqual(req.body.tool_choice, { type: 'any' });
      assert.deepEqual(req.body.messages.slice(1), [
        {
          role: 'assistant',
          content: [{ type: 'tool_use', id: 'call_1', name: 'get_weather', input: { city: 'Paris' } }],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1', content: 'sunny, 21 C' }] },
      ]);
    },
  },
  {
    name: 'gemini',
    start: startFakeGemini,
    config: (url) => ({ id: 'gemini', kind: 'gemini', baseUrl: url }),
    keyOf: (req) => (req.headers['x-goog-api-key'] as string | undefined) ?? req.query.key,
    checkBody: (req) => {
      assert.equal(req.path, '/v1beta/models/test-model:streamGenerateContent');
      assert.equal(req.query.alt, 'sse');
      assert.deepEqual(req.body.systemInstruction.parts, [{ text: 'Answer briefly.' }]);
      assert.deepEqual(req.body.contents, [{ role: 'user', parts: [{ text: 'What is a monad?' }] }]);
      assert.equal(req.body.generationConfig.maxOutputTokens, 100);
    },
    checkToolBody: (req) => {
      assert.deepEqual(req.body.tools, [
        {
          functionDeclarations: [
            { name: WEATHER.name, description: WEATHER.description, parametersJsonSchema: WEATHER.parameters },
          ],
        },
      ]);
      assert.deepEqual(req.body.toolConfig, { functionCallingConfig: { mode: 'ANY' } });
      assert.deepEqual(req.body.contents.slice(1), [
        { role: 'model', parts: [{ functionCall: { id: 'call_1', name: 'get_weather', args: { city: 'Paris' } } }] },
        {
          role: 'user',
          parts: [{ functionResponse: { id: 'call_1', name: 'get_weather', response: { output: 'sunny, 21 C' } } }],
        },
      ]);
    },
  },
];

for (const spec of specs) {
  describe(`provider: ${spec.name}`, () => {
    let fake: FakeServer;
    let provider: ChatProvider;

    before(async () => {
      fake = await spec.start({ apiKey: KEY });
      provider = createProvider(spec.config(fake.url), () => KEY, { logger: silentLogger });
    });
    after(() => fake.close());

    const chat = (extra: Partial<Parameters<ChatProvider['chat']>[0]> = {}, onDelta: (d: string) => void = () => {}) =>
      provider.chat({ model: 'test-model', messages: MESSAGES, maxTokens: 100, ...extra }, onDelta);

    it('streams deltas in order, reports usage and sends the key in the right header', async () => {
      const chunks = ['Monads ', 'sequence ', 'computations', ' with context.'];
      fake.enqueue({ kind: 'reply', chunks, usage: { inputTokens: 17, outputTokens: 9 } });
      const deltas: string[] = [];
      const before = fake.requests.length;
      const res = await chat({}, (d) => deltas.push(d));
      assert.deepEqual(deltas, chunks);
      assert.equal(res.text, chunks.join(''));
      assert.deepEqual(res.usage, { inputTokens: 17, outputTokens: 9 });
      const req = fake.requests[before]!;
      assert.equal(spec.keyOf(req), KEY);
      spec.checkBody(req);
    });

    it('passes tools, the tool choice and earlier tool turns through; returns the calls the model makes', async () => {
      fake.enqueue({
        kind: 'reply',
        toolCalls: [
          { id: 'call_2', name: 'get_weather', arguments: '{"city":"Rome"}' },
          { id: 'call_3', name: 'get_weather', arguments: '{"city":"Oslo"}' },
        ],
      });
      const before = fake.requests.length;
      const res = await chat({ messages: TOOL_TURNS, tools: [WEATHER], toolChoice: 'required' });
      spec.checkToolBody(fake.requests[before]!);
      assert.equal(res.finishReason, 'tool-calls');
      assert.deepEqual(
        res.toolCalls?.map((c) => [c.name, JSON.parse(c.arguments)]),
        [
          ['get_weather', { city: 'Rome' }],
          ['get_weather', { city: 'Oslo' }],
        ],
      );
      // Gemini's API gives calls no ids: the provider numbers them.
      const ids = res.toolCalls?.map((c) => c.id) ?? [];
      assert.equal(new Set(ids).size, 2);
      if (spec.name !== 'gemini') assert.deepEqual(ids, ['call_2', 'call_3']);
    });

    it('makes exactly one request for a 500 (SDK retries are off) and reports a retryable server error', async () => {
      const before = fake.requests.length;
      // An SDK retry would hit the default reply and succeed, so the rejection alone proves one try.
      fake.enqueue({ kind: 'error', status: 500 });
      const err = await failure(chat());
      assert.equal(err.kind, 'server');
      assert.equal(err.status, 500);
      assert.equal(err.retryable, true);
      assert.equal(err.code, ErrorCodes.ProviderError);
      assert.equal(err.providerId, spec.config('').id);
      assert.equal(fake.requests.length, before + 1);
    });

    it('maps 429 with Retry-After to a rate-limit error carrying retryAfterMs', async () => {
      fake.enqueue({ kind: 'error', status: 429, retryAfter: '2' });
      const err = await failure(chat());
      assert.equal(err.kind, 'rate-limit');
      assert.equal(err.code, ErrorCodes.RateLimited);
      assert.equal(err.status, 429);
      assert.equal(err.retryAfterMs, 2000);
      assert.equal(err.retryable, true);
    });

    it('turns a connection dropped mid-stream into a stream-cut holding the partial text', async () => {
      const deltas: string[] = [];
      fake.enqueue({ kind: 'reply', chunks: ['alpha ', 'beta ', 'gamma ', 'delta'], cutAfter: 2 });
      const err = await failure(chat({}, (d) => deltas.push(d)));
      assert.equal(err.kind, 'stream-cut');
      assert.equal(err.code, ErrorCodes.StreamInterrupted);
      assert.equal(err.partialText, 'alpha beta ');
      assert.equal(deltas.join(''), 'alpha beta ');
      assert.equal(err.retryable, false);
    });

    it('fires the idle timeout when a stream stalls, and closes the connection', async () => {
      fake.enqueue({ kind: 'reply', chunks: ['one ', 'two ', 'three'], stallAfter: 1 });
      const closed = fake.nextAbort();
      // Only the stall is timed: the first chunk may take whatever a busy machine needs (the idle
      // deadline also bounds the first byte unless a connect timeout is set).
      const patient = createProvider(spec.config(fake.url), () => KEY, {
        logger: silentLogger,
        connectTimeoutMs: 60_000,
      });
      const err = await failure(
        patient.chat({ model: 'test-model', messages: MESSAGES, maxTokens: 100, idleTimeoutMs: 150 }, () => {}),
      );
      assert.equal(err.kind, 'timeout');
      assert.equal(err.code, ErrorCodes.Timeout);
      assert.equal(err.partialText, 'one ');
      assert.match(err.message, /no data for 150 ms/);
      const abort = await closed;
      assert.equal(abort.chunksSent, 1);
    });

    it('fires the idle timeout when the server never answers', async () => {
      fake.enqueue({ kind: 'hang' });
      const closed = fake.nextAbort();
      const started = performance.now();
      const err = await failure(chat({ idleTimeoutMs: 150 }));
      assert.equal(err.kind, 'timeout');
      assert.equal(err.partialText, undefined);
      assert.equal(err.retryable, true);
      // A lower bound (the timer did not fire early): a busy machine can only make it later.
      assert.ok(performance.now() - started >= 140);
      await closed;
    });

    it('passes the caller abort on: the server sees the hang-up mid-stream; rejects with AbortError', async () => {
      fake.enqueue({ kind: 'reply', chunks: ['a ', 'b ', 'c ', 'd ', 'e'], delayMs: 40 });
      const ac = new AbortController();
      const closed = fake.nextAbort();
      const err = await failure(
        chat({ signal: ac.signal }, () => {
          if (!ac.signal.aborted) ac.abort();
        }),
      );
      assert.equal(err.kind, 'aborted');
      assert.equal(err.name, 'AbortError');
      assert.equal(err.code, ErrorCodes.RequestCancelled);
      const abort = await closed;
      assert.ok(abort.chunksSent < 5, `the server saw the hang-up after ${abort.chunksSent} of 5 chunks`);
    });

    it('aborts a request still waiting for headers', async () => {
      fake.enqueue({ kind: 'hang' });
      const ac = new AbortController();
      const before = fake.requests.length;
      const closed = fake.nextAbort();
      const pending = failure(chat({ signal: ac.signal }));
      await fake.waitForRequests(before + 1);
      ac.abort();
      const err = await pending;
      assert.equal(err.kind, 'aborted');
      const abort = await closed;
      assert.equal(abort.chunksSent, 0, 'the server saw the hang-up before it answered');
    });

    it('reports a wrong key as an auth error without echoing the key', async () => {
      const wrong = `${KEY}-WRONG-${spec.name}`;
      const p = createProvider(spec.config(fake.url), () => wrong, { logger: silentLogger });
      const err = await failure(p.chat({ model: 'test-model', messages: MESSAGES }, () => {}));
      assert.equal(err.kind, 'auth');
      assert.equal(err.retryable, false);
      for (const text of [err.message, String(err), JSON.stringify(err), inspect(err, { depth: 5 })]) {
        assert.ok(!text.includes(wrong), `key leaked: ${text}`);
      }
    });

    it('fails fast with MissingApiKey and a helpful message when no key is set', async () => {
      const config = spec.config(fake.url);
      const envVar = apiKeyEnvVar(config);
      const saved = process.env[envVar];
      delete process.env[envVar];
      try {
        const before = fake.requests.length;
        const p = createProvider(config, () => undefined, { logger: silentLogger });
        const err = await failure(p.chat({ model: 'test-model', messages: MESSAGES }, () => {}));
        assert.equal(err.code, ErrorCodes.MissingApiKey);
        assert.equal(err.kind, 'auth');
        assert.equal(
          err.message,
          `No API key for provider "${config.id}". ` +
            `Set one with "Gearbox: Set API Key" or the ${envVar} environment variable.`,
        );
        assert.equal(fake.requests.length, before);
      } finally {
        if (saved !== undefined) process.env[envVar] = saved;
      }
    });

    it('looks the key up per request, so a key set at runtime is used at once', async () => {
      let key: string | undefined;
      const config = { ...spec.config(fake.url), apiKeyEnv: 'GEARBOX_TEST_UNSET_KEY_VAR' };
      const p = createProvider(config, () => key, { logger: silentLogger });
      const err = await failure(p.chat({ model: 'test-model', messages: MESSAGES }, () => {}));
      assert.equal(err.code, ErrorCodes.MissingApiKey);
      key = KEY;
      const res = await p.chat({ model: 'test-model', messages: MESSAGES }, () => {});
      assert.ok(res.text.includes('What is a monad?'));
    });
  });
}

describe('provider: details', () => {
  let fake: FakeServer;
  before(async () => {
    fake = await startFakeOpenAI();
  });
  after(() => fake.close());

  it('estimates usage when the server sends none, and says so in a debug log', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (l) => lines.push(l) });
    const p = createProvider(
      { id: 'local-llama', kind: 'openai-compatible', baseUrl: fake.url, noKey: true },
      () => undefined,
      { logger },
    );
    fake.enqueue({ kind: 'reply', text: 'twelve chars', usage: null });
    const res = await p.chat({ model: 'llama', messages: [{ role: 'user', content: '1234567890123456' }] }, () => {});
    // No tokenizer was given for this model: chars / 4, and the usage says so.
    assert.deepEqual(res.usage, { inputTokens: 4, outputTokens: 3, estimatedBy: 'chars4' });
    const log = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.estimated === true);
    assert.ok(log, 'expected a debug line marking the usage as estimated');
    assert.equal(log.level, 'debug');
  });

  it('sends no Authorization header to keyless servers (noKey)', async () => {
    const p = createProvider(
      { id: 'ollama', kind: 'openai-compatible', baseUrl: fake.url, noKey: true },
      () => undefined,
      {
        logger: silentLogger,
      },
    );
    const before = fake.requests.length;
    const res = await p.chat({ model: 'qwen', messages: [{ role: 'user', content: 'hi' }] }, () => {});
    assert.ok(res.text.length > 0);
    assert.equal(fake.requests.length, before + 1);
    const headers = fake.requests[before]!.headers;
    assert.equal(headers.authorization, undefined, `got Authorization: ${headers.authorization}`);
    assert.equal(headers['api-key'], undefined);
  });

  it('sends the key it was given to a keyless server (noKey with a key)', async () => {
    const p = createProvider(
      { id: 'ollama-keyed', kind: 'openai-compatible', baseUrl: fake.url, noKey: true },
      () => KEY,
      { logger: silentLogger },
    );
    const before = fake.requests.length;
    await p.chat({ model: 'qwen', messages: [{ role: 'user', content: 'hi' }] }, () => {});
    assert.equal(fake.requests[before]!.headers.authorization, `Bearer ${KEY}`);
  });

  it('drops stream_options for a compatible server that rejects it', async () => {
    const p = createProvider(
      { id: 'old-server', kind: 'openai-compatible', baseUrl: fake.url, noKey: true },
      () => undefined,
      {
        logger: silentLogger,
      },
    );
    const before = fake.requests.length;
    fake.enqueue({ kind: 'error', status: 400, message: 'Unrecognized request argument supplied: stream_options' });
    const res = await p.chat({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }, () => {});
    assert.ok(res.text.length > 0);
    assert.equal(fake.requests.length, before + 2);
    assert.equal(fake.requests[before + 1]!.body.stream_options, undefined);
  });

  it('uses the connect timeout for the first byte', async () => {
    const p = createProvider(
      { id: 'slow', kind: 'openai-compatible', baseUrl: fake.url, noKey: true },
      () => undefined,
      {
        logger: silentLogger,
        connectTimeoutMs: 120,
        idleTimeoutMs: 10_000,
      },
    );
    fake.enqueue({ kind: 'hang' });
    const err = await failure(p.chat({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }, () => {}));
    assert.equal(err.kind, 'timeout');
    assert.match(err.message, /no response within 120 ms/);
  });

  it('reports an unreachable server as a retryable network error', async () => {
    const closed = await startFakeOpenAI();
    const url = closed.url;
    await closed.close();
    const p = createProvider({ id: 'gone', kind: 'openai-compatible', baseUrl: url, noKey: true }, () => undefined, {
      logger: silentLogger,
    });
    const err = await failure(p.chat({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }, () => {}));
    assert.equal(err.kind, 'network');
    assert.equal(err.retryable, true);
  });

  it('parses Retry-After as seconds, HTTP date and retry-after-ms', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': '3' }), now), 3000);
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': '0.05' }), now), 50);
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:10 GMT' }), now), 10_000);
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': '5', 'retry-after-ms': '250' }), now), 250);
    assert.equal(parseRetryAfter({ 'Retry-After': '1' }, now), 1000);
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });
});

describe('retry policy', () => {
  let fake: FakeServer;
  let provider: ChatProvider;
  const ask = (signal?: AbortSignal, onDelta: (d: string) => void = () => {}) =>
    provider.chat(
      { model: 'gpt-test', messages: [{ role: 'user', content: 'retry me' }], ...(signal ? { signal } : {}) },
      onDelta,
    );

  before(async () => {
    fake = await startFakeOpenAI({ apiKey: KEY });
    provider = createProvider({ id: 'openai', kind: 'openai', baseUrl: fake.url }, () => KEY, { logger: silentLogger });
  });
  after(() => fake.close());

  it('waits out Retry-After on 429 and then succeeds', async () => {
    const before = fake.requests.length;
    fake.enqueue({ kind: 'error', status: 429, retryAfter: '0.05' }, { kind: 'reply', text: 'after the wait' });
    const delays: number[] = [];
    const res = await withRetries(() => ask(), { baseDelayMs: 1, onRetry: (_a, delayMs) => delays.push(delayMs) });
    assert.equal(res.text, 'after the wait');
    assert.deepEqual(delays, [50]);
    const gap = fake.requests[before + 1]!.receivedAt - fake.requests[before]!.receivedAt;
    // A lower bound (it waited for Retry-After): a busy machine can only make the gap longer.
    assert.ok(gap >= 48, `second request came ${gap} ms after the first`);
  });

  it('does not wait for a Retry-After beyond the cap, so the caller can fall back', async () => {
    const before = fake.requests.length;
    fake.enqueue({ kind: 'error', status: 429, retryAfter: '120' });
    let retried = false;
    const err = await failure(withRetries(() => ask(), { maxRetryAfterMs: 30_000, onRetry: () => (retried = true) }));
    assert.equal(err.kind, 'rate-limit');
    assert.equal(err.retryAfterMs, 120_000);
    assert.equal(retried, false, 'no retry was scheduled');
    assert.equal(fake.requests.length, before + 1);
  });

  it('retries 5xx with backoff and then succeeds', async () => {
    const before = fake.requests.length;
    fake.enqueue(
      { kind: 'error', status: 500 },
      { kind: 'error', status: 503 },
      { kind: 'reply', text: 'third time lucky' },
    );
    const retries: { attempt: number; delayMs: number; status?: number }[] = [];
    const res = await withRetries(() => ask(), {
      maxAttempts: 3,
      baseDelayMs: 10,
      maxDelayMs: 15,
      onRetry: (attempt, delayMs, error) =>
        retries.push({ attempt, delayMs, ...(error.status ? { status: error.status } : {}) }),
    });
    assert.equal(res.text, 'third time lucky');
    assert.equal(fake.requests.length, before + 3);
    assert.deepEqual(
      retries.map((r) => [r.attempt, r.status]),
      [
        [1, 500],
        [2, 503],
      ],
    );
    // Full jitter: each wait is within [0, min(maxDelay, base * 2^(attempt-1))).
    assert.ok(retries[0]!.delayMs >= 0 && retries[0]!.delayMs < 10);
    assert.ok(retries[1]!.delayMs >= 0 && retries[1]!.delayMs < 15);
  });

  it('gives up after maxAttempts', async () => {
    const before = fake.requests.length;
    fake.enqueue({ kind: 'error', status: 502 }, { kind: 'error', status: 502 });
    const err = await failure(withRetries(() => ask(), { maxAttempts: 2, baseDelayMs: 1 }));
    assert.equal(err.status, 502);
    assert.equal(fake.requests.length, before + 2);
  });

  it('never retries a 400', async () => {
    const before = fake.requests.length;
    fake.enqueue({ kind: 'error', status: 400, message: 'bad model' });
    let retried = false;
    const err = await failure(withRetries(() => ask(), { baseDelayMs: 1, onRetry: () => (retried = true) }));
    assert.equal(err.kind, 'bad-request');
    assert.equal(err.retryable, false);
    assert.equal(retried, false);
    assert.equal(fake.requests.length, before + 1);
  });

  it('retries a 408 request timeout', async () => {
    const before = fake.requests.length;
    fake.enqueue({ kind: 'error', status: 408 }, { kind: 'reply', text: 'ok' });
    const res = await withRetries(() => ask(), { baseDelayMs: 1 });
    assert.equal(res.text, 'ok');
    assert.equal(fake.requests.length, before + 2);
  });

  it('never retries after text was streamed: it throws a stream-cut instead', async () => {
    const before = fake.requests.length;
    fake.enqueue({ kind: 'reply', chunks: ['partial ', 'answer ', 'lost'], cutAfter: 1 });
    const err = await failure(withRetries(() => ask(), { baseDelayMs: 1 }));
    assert.equal(err.kind, 'stream-cut');
    assert.equal(err.code, ErrorCodes.StreamInterrupted);
    assert.equal(err.partialText, 'partial ');
    assert.equal(fake.requests.length, before + 1);
  });

  it('turns an idle timeout after some text into a stream-cut rather than a retry', async () => {
    const before = fake.requests.length;
    fake.enqueue({ kind: 'reply', chunks: ['half ', 'way'], stallAfter: 1 });
    const err = await failure(
      withRetries(
        () =>
          provider.chat(
            { model: 'gpt-test', messages: [{ role: 'user', content: 'x' }], idleTimeoutMs: 100 },
            () => {},
          ),
        {
          baseDelayMs: 1,
        },
      ),
    );
    assert.equal(err.kind, 'stream-cut');
    assert.equal(err.partialText, 'half ');
    assert.equal(fake.requests.length, before + 1);
  });

  it('can be aborted while waiting to retry', async () => {
    const before = fake.requests.length;
    fake.enqueue({ kind: 'error', status: 500 });
    const ac = new AbortController();
    const waits: number[] = [];
    // The wait is a minute: only the abort can end it before the test's own timeout.
    const err = await failure(
      withRetries(() => ask(ac.signal), {
        baseDelayMs: 60_000,
        maxDelayMs: 60_000,
        random: () => 1,
        signal: ac.signal,
        onRetry: (_attempt, delayMs) => {
          waits.push(delayMs);
          setImmediate(() => ac.abort());
        },
      }),
    );
    assert.equal(err.kind, 'aborted');
    assert.equal(err.name, 'AbortError');
    assert.deepEqual(waits, [60_000], 'it was waiting to retry when aborted');
    assert.equal(fake.requests.length, before + 1, 'and never retried');
  });

  it('honours a shouldRetry veto and rethrows non-provider errors untouched', async () => {
    fake.enqueue({ kind: 'error', status: 500 });
    const before = fake.requests.length;
    const err = await failure(withRetries(() => ask(), { baseDelayMs: 1, shouldRetry: () => false }));
    assert.equal(err.status, 500);
    assert.equal(fake.requests.length, before + 1);
    const boom = new Error('bug in onDelta');
    await assert.rejects(
      withRetries(() =>
        ask(undefined, () => {
          throw boom;
        }),
      ),
      (e) => e === boom,
    );
  });
});

describe('ProviderHealth', () => {
  it('cools a provider down after N consecutive failures and resets on success', () => {
    let now = 1_000;
    const health = new ProviderHealth({ failureThreshold: 3, cooldownMs: 10_000, now: () => now });
    const fail = new ProviderError({ providerId: 'openai', kind: 'server', status: 500, message: 'boom' });
    health.recordFailure('openai', fail);
    health.recordFailure('openai', fail);
    assert.equal(health.isCoolingDown('openai'), false);
    health.recordSuccess('openai');
    health.recordFailure('openai', fail);
    health.recordFailure('openai', fail);
    assert.equal(health.isCoolingDown('openai'), false, 'success must reset the count');
    health.recordFailure('openai', fail);
    assert.equal(health.isCoolingDown('openai'), true);
    assert.equal(health.isCoolingDown('anthropic'), false);
    assert.equal(health.cooldownRemainingMs('openai'), 10_000);
    now += 10_000;
    assert.equal(health.isCoolingDown('openai'), false);
    // Half-open: still failing after the cool-down sends it straight back.
    health.recordFailure('openai', fail);
    assert.equal(health.isCoolingDown('openai'), true);
    health.recordSuccess('openai');
    assert.equal(health.isCoolingDown('openai'), false);
  });

  it('ignores cancellations, bad requests and missing keys', () => {
    const health = new ProviderHealth({ failureThreshold: 1, cooldownMs: 10_000 });
    health.recordFailure('p', new ProviderError({ providerId: 'p', kind: 'aborted', message: 'x' }));
    health.recordFailure('p', new ProviderError({ providerId: 'p', kind: 'bad-request', status: 400, message: 'x' }));
    health.recordFailure(
      'p',
      new ProviderError({ providerId: 'p', kind: 'auth', code: ErrorCodes.MissingApiKey, message: 'x' }),
    );
    assert.equal(health.isCoolingDown('p'), false);
  });

  it('keeps a rate-limited provider cool until its Retry-After has passed', () => {
    let now = 0;
    const health = new ProviderHealth({ failureThreshold: 5, now: () => now });
    health.recordFailure(
      'p',
      new ProviderError({ providerId: 'p', kind: 'rate-limit', status: 429, retryAfterMs: 2_000, message: 'x' }),
    );
    assert.equal(health.isCoolingDown('p'), true);
    now = 2_000;
    assert.equal(health.isCoolingDown('p'), false);
  });
});

describe('provider errors never contain the API key', () => {
  it('holds for every error raised in this suite', () => {
    assert.ok(seenErrors.length > 20, `only ${seenErrors.length} errors seen`);
    for (const err of seenErrors) {
      for (const text of [(err as Error).message, String(err), JSON.stringify(err), inspect(err, { depth: 5 })]) {
        assert.ok(!text.includes(KEY), `key leaked: ${text}`);
      }
    }
  });
});
