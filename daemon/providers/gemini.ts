// Google Gemini API (generativelanguage.googleapis.com) through @google/genai.
import { GoogleGenAI, type Content, type GenerateContentConfig, type GenerateContentResponse } from '@google/genai';
import type { ProviderConfig } from '../config';
import type { ChatProvider, ProviderChatRequest } from './chat-provider';
import { streamBase, type ProviderRuntime } from './runtime';
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
    const contents: Content[] = req.messages.flatMap((m) =>
      m.role === 'system' ? [] : [{ role: m.role === 'assistant' ? 'model' : 'user', parts: [{ text: m.content }] }],
    );
    // automaticContinuation stays on: it resumes from a server checkpoint (no duplicated text)
    // and only when the server sends a continuation token.
    const cfg: GenerateContentConfig = {
      abortSignal: signal,
      ...(system ? { systemInstruction: system } : {}),
      ...(req.maxTokens !== undefined ? { maxOutputTokens: req.maxTokens } : {}),
      ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
    };
    return { model: req.model, contents, config: cfg };
  };

  return {
    id: config.id,
    kind: config.kind,
    async chat(req, onDelta) {
      const key = rt.resolveKey();
      return streamChat<GenerateContentResponse>({
        ...streamBase(rt, config.id, key),
        req,
        open: (signal) => clientFor(key).models.generateContentStream(params(req, signal)),
        read: readChunk,
        onDelta,
      });
    },
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
  return step;
}
