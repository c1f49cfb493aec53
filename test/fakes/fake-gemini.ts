// Fake Gemini API server: `POST /v1beta/models/{model}:streamGenerateContent?alt=sse`,
// answering with GenerateContentResponse chunks as SSE `data:` lines.
import {
  isMain,
  runFakeCli,
  startFakeServer,
  type FakeServer,
  type FakeServerOptions,
  type WireFormat,
} from './fake-server';

const statuses: Record<number, { status: string; message: string }> = {
  400: { status: 'INVALID_ARGUMENT', message: 'Request contains an invalid argument.' },
  403: { status: 'PERMISSION_DENIED', message: 'The caller does not have permission' },
  404: { status: 'NOT_FOUND', message: 'Requested entity was not found.' },
  429: { status: 'RESOURCE_EXHAUSTED', message: 'Resource has been exhausted (e.g. check quota).' },
  500: {
    status: 'INTERNAL',
    message:
      'An internal error has occurred. ' +
      'Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  },
  503: { status: 'UNAVAILABLE', message: 'The model is overloaded. Please try again later.' },
};

type Content = { role?: string; parts?: { text?: string }[] };
const textOf = (c: Content | undefined): string => (c?.parts ?? []).map((p) => p.text ?? '').join('');

const ROUTE = /^\/v1beta\/models\/([^/:]+):streamGenerateContent$/;

export const geminiWire: WireFormat = {
  name: 'Gemini',
  basePath: '',
  // The real API answers a JSON array without alt=sse; this fake only speaks SSE.
  route: (method, path, query) => {
    const m = ROUTE.exec(path);
    return method === 'POST' && m && query.alt === 'sse' ? { model: decodeURIComponent(m[1] ?? '') } : undefined;
  },
  presentedKey: (req) => {
    const header = req.headers['x-goog-api-key'];
    return typeof header === 'string' ? header : req.query.key;
  },
  // Gemini answers a wrong key with 400 INVALID_ARGUMENT (reason API_KEY_INVALID), not 401.
  authError: (presented) =>
    presented
      ? {
          status: 400,
          body: {
            error: {
              code: 400,
              message: 'API key not valid. Please pass a valid API key.',
              status: 'INVALID_ARGUMENT',
              details: [
                {
                  '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
                  reason: 'API_KEY_INVALID',
                  domain: 'googleapis.com',
                  metadata: { service: 'generativelanguage.googleapis.com' },
                },
              ],
            },
          },
        }
      : {
          status: 403,
          body: {
            error: {
              code: 403,
              message:
                "Method doesn't allow unregistered callers (callers without established identity). " +
                'Please use API Key or other form of API consumer identity to call this API.',
              status: 'PERMISSION_DENIED',
            },
          },
        },
  errorBody: (status, message, script) => {
    const base = statuses[status] ?? {
      status: status >= 500 ? 'INTERNAL' : 'INVALID_ARGUMENT',
      message: `HTTP ${status}`,
    };
    const seconds = script?.retryAfter !== undefined ? Number(script.retryAfter) : NaN;
    const details = Number.isFinite(seconds)
      ? [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: `${seconds.toFixed(3)}s` }]
      : undefined;
    return {
      error: { code: status, message: message ?? base.message, status: base.status, ...(details ? { details } : {}) },
    };
  },
  validate: (req) => {
    const contents = req.body?.contents as Content[] | undefined;
    if (!Array.isArray(contents) || contents.length === 0)
      return '* GenerateContentRequest.contents: contents is not specified';
    if (contents.some((c) => c.role !== undefined && c.role !== 'user' && c.role !== 'model')) {
      return 'Please use a valid role: user, model.';
    }
    return undefined;
  },
  lastUserText: (body) => textOf([...((body?.contents ?? []) as Content[])].reverse().find((c) => c.role !== 'model')),
  inputChars: (body) =>
    textOf(body?.systemInstruction).length +
    ((body?.contents ?? []) as Content[]).reduce((n, c) => n + textOf(c).length, 0),
  eol: '\r\n\r\n',
  frames: ({ model, usage, id, chunkCount, toolCalls }) => {
    // Function calls come whole, in the last chunk (Gemini streams no partial arguments).
    const calls = toolCalls.map((c) => ({ functionCall: { name: c.name, args: JSON.parse(c.arguments) } }));
    const chunk = (text: string, last: boolean) =>
      'data: ' +
      JSON.stringify({
        candidates: [
          {
            content: {
              parts: [...(text || !last || !calls.length ? [{ text }] : []), ...(last ? calls : [])],
              role: 'model',
            },
            ...(last ? { finishReason: 'STOP' } : {}),
            index: 0,
          },
        ],
        ...(usage
          ? {
              usageMetadata: last
                ? {
                    promptTokenCount: usage.inputTokens,
                    candidatesTokenCount: usage.outputTokens,
                    totalTokenCount: usage.inputTokens + usage.outputTokens,
                  }
                : { promptTokenCount: usage.inputTokens, totalTokenCount: usage.inputTokens },
            }
          : {}),
        modelVersion: model,
        responseId: id,
      });
    // The last text chunk carries finishReason; an empty answer still gets one closing chunk.
    return { head: [], chunk: (text, _i, last) => chunk(text, last), tail: chunkCount === 0 ? [chunk('', true)] : [] };
  },
};

export function startFakeGemini(opts: FakeServerOptions = {}): Promise<FakeServer> {
  return startFakeServer(geminiWire, opts);
}

if (isMain(import.meta.url)) void runFakeCli('gemini', startFakeGemini);
