// Google Gemini API (generativelanguage.googleapis.com) through @google/genai.
import {
  FunctionCallingConfigMode,
  GoogleGenAI,
  type Content,
  type GenerateContentConfig,
  type GenerateContentResponse,
  type Part,
  type ToolConfig,
} from '@google/genai';
import type { ChatMessage, ToolChoice } from '../../shared/protocol';
import { argumentsObject } from '../chat-tools';
import type { ProviderConfig } from '../config';
import type { ChatProvider, ProviderChatRequest } from './chat-provider';
import { KEYLESS_PLACEHOLDER, streamBase, type ProviderRuntime } from './runtime';
import { streamChat, type StreamStep } from './stream-chat';

export function createGeminiProvider(config: ProviderConfig, rt: ProviderRuntime): ChatProvider {
  let cached: { key: string; client: GoogleGenAI } | undefined;

  const clientFor = (key: string): GoogleGenAI => {
    if (cached?.key === key) return cached.client;
    const client = new GoogleGenAI({
      apiKey: key,
      // GOOGLE_GENAI_USE_VERTEXAI in the daemon's environment must not switch backends.
      vertexai: false,
      // No retryOptions: the SDK then makes a single attempt (the router owns retries), and no
      // timeout: the SDK's timeout also bounds reading the body, which would cut long answers.
      httpOptions: config.baseUrl ? { baseUrl: config.baseUrl } : {},
    });
    cached = { key, client };
    return client;
  };

  const params = (req: ProviderChatRequest, signal: AbortSignal) => {
    const system = req.messages
      .filter((m) => m.role === 'system')
      .map((m) => m.content)
      .join('\n\n');
    const contents = wireContents(req.messages);
    // automaticContinuation stays on: it resumes from a server checkpoint (no duplicated text)
    // and only when the server sends a continuation token.
    const cfg: GenerateContentConfig = {
      abortSignal: signal,
      ...(system ? { systemInstruction: system } : {}),
      ...(req.maxTokens !== undefined ? { maxOutputTokens: req.maxTokens } : {}),
      ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
      ...(req.tools?.length
        ? {
            tools: [
              {
                functionDeclarations: req.tools.map((t) => ({
                  name: t.name,
                  ...(t.description !== undefined ? { description: t.description } : {}),
                  parametersJsonSchema: { type: 'object', ...t.parameters },
                })),
              },
            ],
            ...(req.toolChoice ? { toolConfig: wireToolConfig(req.toolChoice) } : {}),
          }
        : {}),
    };
    return { model: req.model, contents, config: cfg };
  };

  return {
    id: config.id,
    kind: config.kind,
    async chat(req, onDelta) {
      // Keyless (noKey) servers speak OpenAI's API; this SDK cannot go without a key, so it gets a dummy.
      const key = rt.resolveKey() ?? KEYLESS_PLACEHOLDER;
      return streamChat<GenerateContentResponse>({
        ...streamBase(rt, config.id, key),
        req,
        open: (signal) => clientFor(key).models.generateContentStream(params(req, signal)),
        read: chunkReader(),
        onDelta,
      });
    },
  };
}

/** Reads the chunks of one stream: function calls come whole, numbered across the stream. */
function chunkReader(): (chunk: GenerateContentResponse) => StreamStep {
  let calls = 0;
  return (chunk) => {
    const step = readChunk(chunk);
    const found = (chunk.candidates?.[0]?.content?.parts ?? []).flatMap((p) =>
      p.functionCall ? [p.functionCall] : [],
    );
    if (found.length) {
      step.toolCalls = found.map((f) => ({
        index: calls++,
        ...(f.id ? { id: f.id } : {}),
        ...(f.name ? { name: f.name } : {}),
        arguments: JSON.stringify(f.args ?? {}),
      }));
    }
    return step;
  };
}

function readChunk(chunk: GenerateContentResponse): StreamStep {
  const candidate = chunk.candidates?.[0];
  // Thought parts are the model's reasoning, not the answer.
  const delta = (candidate?.content?.parts ?? [])
    .filter((p) => typeof p.text === 'string' && !p.thought)
    .map((p) => p.text)
    .join('');
  const step: StreamStep = {};
  if (delta) step.delta = delta;
  const u = chunk.usageMetadata;
  if (u?.promptTokenCount !== undefined) step.inputTokens = u.promptTokenCount;
  // Thinking tokens are billed as output.
  if (u?.candidatesTokenCount !== undefined) step.outputTokens = u.candidatesTokenCount + (u.thoughtsTokenCount ?? 0);
  if (candidate?.finishReason) step.finished = true;
  // STOP says nothing about calls: streamChat makes it 'tool-calls' when the answer called any.
  if (candidate?.finishReason === 'MAX_TOKENS') step.finishReason = 'length';
  return step;
}

function wireToolConfig(choice: ToolChoice): ToolConfig {
  if (choice === 'auto') return { functionCallingConfig: { mode: FunctionCallingConfigMode.AUTO } };
  if (choice === 'none') return { functionCallingConfig: { mode: FunctionCallingConfigMode.NONE } };
  if (choice === 'required') return { functionCallingConfig: { mode: FunctionCallingConfigMode.ANY } };
  return { functionCallingConfig: { mode: FunctionCallingConfigMode.ANY, allowedFunctionNames: [choice.name] } };
}

/**
 * The turns as Gemini contents: an assistant turn's calls become functionCall parts of a model turn,
 * and the results that follow become functionResponse parts of one user turn (named after the call
 * they answer). Plain turns are one text part each.
 */
function wireContents(messages: readonly ChatMessage[]): Content[] {
  const names = new Map<string, string>();
  const out: Content[] = [];
  let results: Part[] | undefined;
  for (const m of messages) {
    if (m.role === 'system') continue;
    if (m.role === 'tool') {
      const id = m.toolCallId ?? '';
      const part: Part = { functionResponse: { id, name: names.get(id) ?? id, response: { output: m.content } } };
      if (results) results.push(part);
      else {
        results = [part];
        out.push({ role: 'user', parts: results });
      }
      continue;
    }
    if (m.role === 'user' && results) {
      if (m.content) results.push({ text: m.content });
      results = undefined;
      continue;
    }
    results = undefined;
    if (m.role === 'assistant' && m.toolCalls?.length) {
      const parts: Part[] = m.content ? [{ text: m.content }] : [];
      for (const c of m.toolCalls) {
        names.set(c.id, c.name);
        parts.push({ functionCall: { id: c.id, name: c.name, args: argumentsObject(c.arguments) } });
      }
      out.push({ role: 'model', parts });
      continue;
    }
    out.push({ role: m.role === 'assistant' ? 'model' : 'user', parts: [{ text: m.content }] });
  }
  return out;
}
