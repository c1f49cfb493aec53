// Fake OpenAI Chat Completions server: `POST /v1/chat/completions` with `stream: true`,
// answering in OpenAI's SSE chunk format. Also stands in for OpenAI-compatible servers.
import {
  isMain,
  runFakeCli,
  startFakeServer,
  type FakeServer,
  type FakeServerOptions,
  type WireFormat,
} from './fake-server';

const errorTypes: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: 'invalid_request_error', code: null, message: 'Invalid request.' },
  404: { type: 'invalid_request_error', code: 'model_not_found', message: 'The model does not exist.' },
  429: {
    type: 'requests',
    code: 'rate_limit_exceeded',
    message: 'Rate limit reached for requests. Please try again later.',
  },
  500: {
    type: 'server_error',
    code: null,
    message: 'The server had an error while processing your request. Sorry about that!',
  },
  503: { type: 'server_error', code: null, message: 'The engine is currently overloaded, please try again later.' },
};

type Msg = { role?: string; content?: unknown };
const textOf = (c: unknown): string =>
  typeof c === 'string' ? c : Array.isArray(c) ? c.map((p: { text?: string }) => p.text ?? '').join('') : '';

export const openAIWire: WireFormat = {
  name: 'OpenAI',
  basePath: '/v1',
  route: (method, path) => (method === 'POST' && path === '/v1/chat/completions' ? { model: '' } : undefined),
  presentedKey: (req) => {
    const auth = req.headers.authorization;
    return auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
  },
  // Deliberately echoes the whole presented key, as some compatible servers do, so tests can
  // check that Gearbox scrubs it (api.openai.com itself masks the middle).
  authError: (presented) => ({
    status: 401,
    body: {
      error: {
        message: presented
          ? `Incorrect API key provided: ${presented}. ` +
            'You can find your API key at https://platform.openai.com/account/api-keys.'
          : "You didn't provide an API key. " +
            'You need to provide your API key in an Authorization header using Bearer auth ' +
            '(i.e. Authorization: Bearer YOUR_KEY).',
        type: 'invalid_request_error',
        param: null,
        code: presented ? 'invalid_api_key' : null,
      },
    },
  }),
  errorBody: (status, message) => {
    const base = errorTypes[status] ?? {
      type: status >= 500 ? 'server_error' : 'invalid_request_error',
      code: null,
      message: `HTTP ${status}`,
    };
    return { error: { message: message ?? base.message, type: base.type, param: null, code: base.code } };
  },
  validate: (req) => {
    if (typeof req.body?.model !== 'string') return 'you must provide a model parameter';
    if (!Array.isArray(req.body?.messages) || req.body.messages.length === 0)
      return "'messages' must contain at least one message";
    if (req.body?.stream !== true) return 'this fake server only implements stream: true';
    return undefined;
  },
  lastUserText: (body) =>
    textOf([...((body?.messages ?? []) as Msg[])].reverse().find((m) => m.role === 'user')?.content),
  inputChars: (body) => ((body?.messages ?? []) as Msg[]).reduce((n, m) => n + textOf(m.content).length, 0),
  frames: ({ body, usage, id, toolCalls }) => {
    const created = Math.floor(Date.now() / 1000);
    const includeUsage = body?.stream_options?.include_usage === true;
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) =>
      'data: ' +
      JSON.stringify({
        id: `chatcmpl-${id}`,
        object: 'chat.completion.chunk',
        created,
        model: body.model,
        system_fingerprint: 'fp_fake',
        choices,
        ...(includeUsage ? { usage: null } : {}),
        ...extra,
      });
    // A call goes out as OpenAI streams it: a first delta with id and name, then its arguments in pieces.
    const calls = toolCalls.flatMap((c, index) => {
      const half = Math.ceil(c.arguments.length / 2);
      const part = (fn: Record<string, string>, head: boolean) =>
        chunk([
          {
            index: 0,
            delta: { tool_calls: [{ index, ...(head ? { id: c.id, type: 'function' } : {}), function: fn }] },
            logprobs: null,
            finish_reason: null,
          },
        ]);
      return [
        part({ name: c.name, arguments: '' }, true),
        part({ arguments: c.arguments.slice(0, half) }, false),
        part({ arguments: c.arguments.slice(half) }, false),
      ];
    });
    const finish = toolCalls.length ? 'tool_calls' : 'stop';
    const tail = [...calls, chunk([{ index: 0, delta: {}, logprobs: null, finish_reason: finish }])];
    if (includeUsage && usage) {
      tail.push(
        chunk([], {
          usage: {
            prompt_tokens: usage.inputTokens,
            completion_tokens: usage.outputTokens,
            total_tokens: usage.inputTokens + usage.outputTokens,
          },
        }),
      );
    }
    tail.push('data: [DONE]');
    return {
      head: [
        chunk([
          { index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null },
        ]),
      ],
      chunk: (text) => chunk([{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }]),
      tail,
    };
  },
};

export function startFakeOpenAI(opts: FakeServerOptions = {}): Promise<FakeServer> {
  return startFakeServer(openAIWire, opts);
}

if (isMain(import.meta.url)) void runFakeCli('openai', startFakeOpenAI);
