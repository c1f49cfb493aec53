// POST /v1/completions: OpenAI's legacy Completions with `suffix`, the shape editors use for
// fill-in-the-middle. It runs as the engine's inline completion (local models use their FIM tokens
// and a per-key KV-cache session; closed ones get a fill-in instruction). `stop` cuts the text at the
// first stop sequence; a "\n" stop asks for a single line. A streamed answer is one text chunk:
// completions are short, and the engine returns them whole.
import { randomBytes } from 'node:crypto';
import type { RouteDecision } from '../../shared/protocol';
import { costUsd } from '../catalog/catalog';
import { type ApiCall, completionSettings, ledgerWorkspace, modelChoice } from './api-call';
import type { ApiResponse } from './api-response';
import { gearboxInfo, routeHeaders } from './gearbox-info';
import type { CompletionRequest } from './openai-schemas';

/** The document an API completion is "in", for the engine's privacy facts: none on disk. */
const API_COMPLETION_URI = 'untitled:gearbox-api-completion';

/** OpenAI's default is 16 tokens; an editor's completion wants the inline-completion budget. */
const DEFAULT_MAX_TOKENS = 128;

export async function completions(call: ApiCall, body: CompletionRequest, out: ApiResponse): Promise<void> {
  const choice = await modelChoice(call.engine, body.model);
  const stops =
    body.stop === null || body.stop === undefined ? [] : typeof body.stop === 'string' ? [body.stop] : body.stop;
  const maxTokens = body.max_tokens ?? DEFAULT_MAX_TOKENS;
  const started = Date.now();
  let decision: RouteDecision | undefined;
  const r = await call.engine.complete(
    {
      sessionKey: `${ledgerWorkspace(call.label)}:completions`,
      // No file behind an API request: no path for privatePaths, no .env name (the text is scanned).
      uri: API_COMPLETION_URI,
      filePrefix: typeof body.prompt === 'string' ? body.prompt : (body.prompt[0] ?? ''),
      suffix: body.suffix ?? '',
      context: [],
      multiline: !stops.includes('\n'),
      maxTokens,
    },
    {
      settings: completionSettings(call.settings, choice),
      signal: call.signal,
      workspace: ledgerWorkspace(call.label),
      onRoute: (d) => (decision = d),
    },
  );
  const cut = cutAtStop(r.text, stops);
  const finish = cut.stopped || r.usage.outputTokens < maxTokens ? 'stop' : 'length';
  const model = (await call.engine.catalog()).find((m) => m.id === r.model);
  const gearbox = gearboxInfo(
    {
      model: r.model,
      provider: model?.provider ?? 'unknown',
      route: decision ?? r.route,
      costUsd: model ? costUsd(model, r.usage) : 0,
      latencyMs: Date.now() - started,
      attempts: [],
    },
    'none',
  );
  const id = `cmpl-${randomBytes(12).toString('hex')}`;
  const created = Math.floor(Date.now() / 1000);
  const usage = {
    prompt_tokens: r.usage.inputTokens,
    completion_tokens: r.usage.outputTokens,
    total_tokens: r.usage.inputTokens + r.usage.outputTokens,
  };
  const headers = routeHeaders(r.model, r.route);
  const choiceOf = (text: string, finishReason: string | null) => ({
    text,
    index: 0,
    logprobs: null,
    finish_reason: finishReason,
  });
  if (!body.stream) {
    out.json(
      200,
      { id, object: 'text_completion', created, model: r.model, choices: [choiceOf(cut.text, finish)], usage, gearbox },
      headers,
    );
    return;
  }
  const includeUsage = body.stream_options?.include_usage === true;
  const chunk = (choices: unknown[], extra: Record<string, unknown> = {}) => ({
    id,
    object: 'text_completion',
    created,
    model: r.model,
    choices,
    ...(includeUsage ? { usage: null } : {}),
    ...extra,
  });
  out.startStream(headers);
  if (cut.text) out.event(chunk([choiceOf(cut.text, null)]));
  out.event(chunk([choiceOf('', finish)], { gearbox }));
  if (includeUsage) out.event({ ...chunk([]), usage });
  out.event('[DONE]');
  out.end();
}

/** The text up to the first of the stop sequences, and whether one was found. */
export function cutAtStop(text: string, stops: readonly string[]): { text: string; stopped: boolean } {
  let at = -1;
  for (const s of stops) {
    if (!s) continue;
    const i = text.indexOf(s);
    if (i >= 0 && (at < 0 || i < at)) at = i;
  }
  return at < 0 ? { text, stopped: false } : { text: text.slice(0, at), stopped: true };
}
