// The OpenAI request shapes the API accepts (Chat Completions and the legacy Completions with
// `suffix`), validated at the trust boundary, and their mapping onto the engine's ChatMessage and
// ToolDefinition. Fields the daemon does not use (user, seed, logprobs, ...) are dropped by the
// schema; fields it cannot honour (images, audio, n > 1, echo) are refused with a clear message.
import { z } from 'zod';
import type { ChatMessage, ToolChoice, ToolDefinition } from '../../shared/protocol';
import { ToolDefinition as ToolDefinitionSchema } from '../../shared/protocol';

const MAX_TEXT = 2_000_000;

const TextPart = z.object({ type: z.literal('text'), text: z.string().max(MAX_TEXT) });
/** Parts a model reads as text; anything else (image_url, input_audio, file) is refused by name. */
const ContentPart = z.discriminatedUnion(
  'type',
  [TextPart, z.object({ type: z.literal('refusal'), refusal: z.string().max(MAX_TEXT) })],
  {
    error: (issue) =>
      issue.code === 'invalid_union' ? 'only text content parts are supported (no images, audio or files)' : undefined,
  },
);
const Content = z.union([z.string().max(MAX_TEXT), z.array(ContentPart).max(1000)]);

const WireToolCall = z.object({
  id: z.string().min(1).max(200),
  type: z.literal('function').optional(),
  function: z.object({ name: z.string().min(1).max(200), arguments: z.string().max(1_000_000) }),
});

const Message = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: Content }),
  z.object({ role: z.literal('developer'), content: Content }),
  z.object({ role: z.literal('user'), content: Content }),
  z.object({
    role: z.literal('assistant'),
    content: Content.nullish(),
    tool_calls: z.array(WireToolCall).max(128).optional(),
  }),
  z.object({ role: z.literal('tool'), tool_call_id: z.string().min(1).max(200), content: Content }),
]);

const WireTool = z.object({
  type: z.literal('function'),
  function: z.object({
    name: ToolDefinitionSchema.shape.name,
    description: z.string().max(100_000).optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});

const WireToolChoice = z.union([
  z.enum(['auto', 'none', 'required']),
  z.object({ type: z.literal('function'), function: z.object({ name: z.string().min(1) }) }),
]);

const MaxTokens = z.number().int().positive().max(131_072);
const StreamOptions = z.object({ include_usage: z.boolean().optional() }).nullish();
/** `n` other than 1 would need several answers per request: refused rather than silently ignored. */
const OneChoice = z
  .number()
  .int()
  .refine((n) => n === 1, 'only 1 choice per request is supported')
  .nullish();

export const ChatCompletionRequest = z.object({
  model: z.string().min(1).max(300),
  messages: z.array(Message).min(1).max(10_000),
  stream: z.boolean().nullish(),
  stream_options: StreamOptions,
  max_tokens: MaxTokens.nullish(),
  max_completion_tokens: MaxTokens.nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  tools: z.array(WireTool).max(512).optional(),
  tool_choice: WireToolChoice.optional(),
  n: OneChoice,
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequest>;

export const CompletionRequest = z.object({
  model: z.string().min(1).max(300),
  prompt: z.union([z.string().max(MAX_TEXT), z.array(z.string().max(MAX_TEXT)).length(1)]),
  suffix: z.string().max(MAX_TEXT).nullish(),
  max_tokens: z.number().int().positive().max(4096).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  stop: z.union([z.string().max(200), z.array(z.string().max(200)).max(16)]).nullish(),
  stream: z.boolean().nullish(),
  stream_options: StreamOptions,
  echo: z
    .boolean()
    .refine((e) => !e, 'not supported')
    .nullish(),
  n: OneChoice,
});
export type CompletionRequest = z.infer<typeof CompletionRequest>;

function text(content: z.infer<typeof Content> | null | undefined): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  return content.map((p) => (p.type === 'text' ? p.text : p.refusal)).join('');
}

/** The conversation as the engine takes it: developer turns are system turns, tool turns keep their call id. */
export function chatMessages(req: ChatCompletionRequest): ChatMessage[] {
  return req.messages.map((m): ChatMessage => {
    switch (m.role) {
      case 'system':
      case 'developer':
        return { role: 'system', content: text(m.content) };
      case 'user':
        return { role: 'user', content: text(m.content) };
      case 'tool':
        return { role: 'tool', toolCallId: m.tool_call_id, content: text(m.content) };
      case 'assistant':
        return {
          role: 'assistant',
          content: text(m.content),
          ...(m.tool_calls?.length
            ? {
                toolCalls: m.tool_calls.map((c) => ({
                  id: c.id,
                  name: c.function.name,
                  arguments: c.function.arguments,
                })),
              }
            : {}),
        };
    }
  });
}

export function chatTools(req: ChatCompletionRequest): { tools?: ToolDefinition[]; toolChoice?: ToolChoice } {
  if (!req.tools?.length) return {};
  const tools = req.tools.map((t) => ({
    name: t.function.name,
    ...(t.function.description !== undefined ? { description: t.function.description } : {}),
    ...(t.function.parameters !== undefined ? { parameters: t.function.parameters } : {}),
  }));
  const c = req.tool_choice;
  const toolChoice: ToolChoice | undefined =
    c === undefined ? undefined : typeof c === 'string' ? c : { name: c.function.name };
  return { tools, ...(toolChoice ? { toolChoice } : {}) };
}
