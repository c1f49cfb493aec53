// Fake Anthropic Messages server: `POST /v1/messages` with `stream: true`, answering with the
// named SSE events (message_start, content_block_*, ping, message_delta, message_stop).
import {
  isMain,
  runFakeCli,
  startFakeServer,
  type FakeServer,
  type FakeServerOptions,
  type WireFormat,
} from './fake-server';

const errorTypes: Record<number, { type: string; message: string }> = {
  400: { type: 'invalid_request_error', message: 'Invalid request.' },
  401: { type: 'authentication_error', message: 'invalid x-api-key' },
  403: { type: 'permission_error', message: 'Your API key does not have permission to use the specified resource.' },
  404: { type: 'not_found_error', message: 'The requested resource could not be found.' },
  429: { type: 'rate_limit_error', message: 'Number of request tokens has exceeded your per-minute rate limit.' },
  500: { type: 'api_error', message: 'Internal server error' },
  529: { type: 'overloaded_error', message: 'Overloaded' },
};

type Msg = { role?: string; content?: unknown };
const textOf = (c: unknown): string =>
  typeof c === 'string' ? c : Array.isArray(c) ? c.map((p: { text?: string }) => p.text ?? '').join('') : '';

const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}`;

export const anthropicWire: WireFormat = {
  name: 'Anthropic',
  basePath: '',
  route: (method, path) => (method === 'POST' && path === '/v1/messages' ? { model: '' } : undefined),
  // The API takes the key as x-api-key (curl, older SDKs) or as a Bearer token (what
  // @anthropic-ai/sdk 1.x sends for apiKey).
  presentedKey: (req) => {
    const key = req.headers['x-api-key'];
    if (typeof key === 'string') return key;
    const auth = req.headers.authorization;
    return auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined;
  },
  authError: (presented) => ({
    status: 401,
    body: {
      type: 'error',
      error: {
        type: 'authentication_error',
        message: presented ? 'invalid x-api-key' : 'x-api-key header is required',
      },
      request_id: 'req_fake_auth',
    },
  }),
  errorBody: (status, message) => {
    const base = errorTypes[status] ?? {
      type: status >= 500 ? 'api_error' : 'invalid_request_error',
      message: `HTTP ${status}`,
    };
    return {
      type: 'error',
      error: { type: base.type, message: message ?? base.message },
      request_id: `req_fake_${status}`,
    };
  },
  validate: (req) => {
    if (typeof req.headers['anthropic-version'] !== 'string') return 'anthropic-version: header is required';
    const b = req.body;
    if (typeof b?.model !== 'string') return 'model: Field required';
    if (typeof b?.max_tokens !== 'number') return 'max_tokens: Field required';
    if (!Array.isArray(b?.messages) || b.messages.length === 0) return 'messages: Field required';
    if ((b.messages as Msg[]).some((m) => m.role !== 'user' && m.role !== 'assistant')) {
      return 'messages: roles must be "user" or "assistant"; use the top-level system parameter';
    }
    if (b.stream !== true) return 'this fake server only implements stream: true';
    return undefined;
  },
  lastUserText: (body) =>
    textOf([...((body?.messages ?? []) as Msg[])].reverse().find((m) => m.role === 'user')?.content),
  inputChars: (body) =>
    textOf(body?.system).length + ((body?.messages ?? []) as Msg[]).reduce((n, m) => n + textOf(m.content).length, 0),
  frames: ({ body, usage, id, toolCalls }) => ({
    head: [
      event('message_start', {
        type: 'message_start',
        message: {
          id: `msg_${id}`,
          type: 'message',
          role: 'assistant',
          content: [],
          model: body.model,
          stop_reason: null,
          stop_sequence: null,
          usage: {
            input_tokens: usage?.inputTokens ?? 0,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
            output_tokens: 1,
          },
        },
      }),
      event('content_block_start', {
        type: 'content_block_start',
        index: 0,
        content_block: { type: 'text', text: '' },
      }),
      event('ping', { type: 'ping' }),
    ],
    chunk: (text) =>
      event('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }),
    tail: [
      event('content_block_stop', { type: 'content_block_stop', index: 0 }),
      // Each call is a tool_use block after the text, its input streamed as partial JSON.
      ...toolCalls.flatMap((c, i) => {
        const index = i + 1;
        const half = Math.ceil(c.arguments.length / 2);
        const delta = (partial_json: string) =>
          event('content_block_delta', {
            type: 'content_block_delta',
            index,
            delta: { type: 'input_json_delta', partial_json },
          });
        return [
          event('content_block_start', {
            type: 'content_block_start',
            index,
            content_block: { type: 'tool_use', id: c.id, name: c.name, input: {} },
          }),
          delta(c.arguments.slice(0, half)),
          delta(c.arguments.slice(half)),
          event('content_block_stop', { type: 'content_block_stop', index }),
        ];
      }),
      event('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: toolCalls.length ? 'tool_use' : 'end_turn', stop_sequence: null },
        usage: { output_tokens: usage?.outputTokens ?? 0 },
      }),
      event('message_stop', { type: 'message_stop' }),
    ],
  }),
};

export function startFakeAnthropic(opts: FakeServerOptions = {}): Promise<FakeServer> {
  return startFakeServer(anthropicWire, opts);
}

if (isMain(import.meta.url)) void runFakeCli('anthropic', startFakeAnthropic);
