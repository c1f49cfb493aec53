// The streaming loop shared by every provider: deadlines, cancellation, text accumulation,
// usage (reported or estimated) and error mapping. Providers only open the SDK stream and
// say what each event means.
import type { FinishReason, ToolCall, Usage } from '../../shared/protocol';
import type { ProviderChatRequest, ProviderChatResult } from './chat-provider';
import type { Logger } from '../log';
import { chars4, leastExact } from '../tokens/token-counter';
import { ProviderError, toProviderError } from './errors';
import { StreamWatch } from './stream-watch';

export interface StreamStep {
  delta?: string;
  inputTokens?: number;
  outputTokens?: number;
  /** The protocol's end-of-answer marker was seen (finish reason, message_stop...). */
  finished?: boolean;
  /** Why the answer ended, when the event says it. */
  finishReason?: FinishReason;
  /** Parts of tool calls: the first part of call `index` names it, later ones add to its arguments. */
  toolCalls?: { index: number; id?: string; name?: string; arguments?: string }[];
}

export interface StreamChatParams<E> {
  providerId: string;
  /** Scrubbed from errors; absent for a keyless provider. */
  apiKey?: string;
  logger: Logger;
  req: ProviderChatRequest;
  connectTimeoutMs?: number;
  idleTimeoutMs?: number;
  open(signal: AbortSignal): Promise<AsyncIterable<E>>;
  read(event: E): StreamStep;
  onDelta(text: string): void;
}

class DeltaHandlerError extends Error {
  constructor(readonly original: unknown) {
    super('onDelta failed');
  }
}

export async function streamChat<E>(p: StreamChatParams<E>): Promise<ProviderChatResult> {
  const watch = new StreamWatch({
    providerId: p.providerId,
    ...(p.req.signal ? { signal: p.req.signal } : {}),
    ...(p.connectTimeoutMs !== undefined ? { firstByteTimeoutMs: p.connectTimeoutMs } : {}),
    ...((p.req.idleTimeoutMs ?? p.idleTimeoutMs) !== undefined
      ? { idleTimeoutMs: p.req.idleTimeoutMs ?? p.idleTimeoutMs }
      : {}),
  });
  let text = '';
  let inputTokens: number | undefined;
  let outputTokens: number | undefined;
  let finished = false;
  let finishReason: FinishReason | undefined;
  const calls = new Map<number, { id: string; name: string; arguments: string }>();
  try {
    const stopped = watch.stoppedError('');
    if (stopped) throw stopped;
    const stream = await p.open(watch.signal);
    for await (const event of stream) {
      watch.tick();
      const step = p.read(event);
      if (step.inputTokens !== undefined) inputTokens = step.inputTokens;
      if (step.outputTokens !== undefined) outputTokens = step.outputTokens;
      if (step.finished) finished = true;
      if (step.finishReason) finishReason = step.finishReason;
      for (const t of step.toolCalls ?? []) {
        const call = calls.get(t.index) ?? { id: '', name: '', arguments: '' };
        if (t.id) call.id = t.id;
        if (t.name) call.name = t.name;
        if (t.arguments) call.arguments += t.arguments;
        calls.set(t.index, call);
      }
      if (step.delta) {
        text += step.delta;
        try {
          p.onDelta(step.delta);
        } catch (err) {
          watch.cancel();
          throw new DeltaHandlerError(err);
        }
      }
    }
    // SDK iterators end quietly when their signal aborts, so ask the watch why we stopped.
    const stoppedLate = watch.stoppedError(text);
    if (stoppedLate) throw stoppedLate;
    if (!finished) {
      throw new ProviderError({
        providerId: p.providerId,
        kind: text ? 'stream-cut' : 'server',
        message: `${p.providerId}: stream ended before the answer was complete`,
        ...(text ? { partialText: text } : {}),
      });
    }
  } catch (err) {
    if (err instanceof DeltaHandlerError) throw err.original;
    // A deadline or cancel makes the SDK throw a generic abort; the watch knows the real reason.
    const stopped = watch.stoppedError(text);
    if (stopped) throw stopped;
    throw toProviderError(err, { providerId: p.providerId, apiKey: p.apiKey, partialText: text });
  } finally {
    watch.dispose();
  }

  const usage = reportedOrCounted(p.req, inputTokens, outputTokens, text);
  if (usage.estimatedBy) {
    p.logger.debug('provider sent no usage; counted it here', {
      provider: p.providerId,
      model: p.req.model,
      estimated: true,
      estimatedBy: usage.estimatedBy,
    });
  }
  const toolCalls: ToolCall[] = [...calls.entries()]
    .sort(([a], [b]) => a - b)
    // A call the stream never named cannot be run: it is dropped (the text says what happened).
    .filter(([, c]) => c.name !== '')
    .map(([index, c]) => ({ id: c.id || `call_${index}`, name: c.name, arguments: c.arguments || '{}' }));
  return {
    text,
    usage,
    ...(toolCalls.length ? { toolCalls } : {}),
    finishReason: finishReason ?? (toolCalls.length ? 'tool-calls' : 'stop'),
  };
}

/**
 * The usage the server reported, with what it left out counted by the model's tokenizer (the
 * request's countTokens; chars / 4 without one): the messages' text and tool calls, and the answer.
 */
function reportedOrCounted(
  req: ProviderChatRequest,
  inputTokens: number | undefined,
  outputTokens: number | undefined,
  answer: string,
): Usage {
  if (inputTokens !== undefined && outputTokens !== undefined) return { inputTokens, outputTokens };
  const count = req.countTokens ?? ((t: string) => chars4([t]));
  let method: Usage['estimatedBy'];
  const counted = (t: string) => {
    const c = count(t);
    method = method ? leastExact(method, c.method) : c.method;
    return c.tokens;
  };
  let input = inputTokens;
  if (input === undefined) {
    input = 0;
    for (const m of req.messages) {
      input += counted(m.content);
      for (const call of m.toolCalls ?? []) input += counted(call.name + call.arguments);
    }
  }
  const output = outputTokens ?? counted(answer);
  return { inputTokens: input, outputTokens: output, ...(method ? { estimatedBy: method } : {}) };
}
