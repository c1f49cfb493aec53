// The Anthropic Messages request shape the API accepts, validated at the trust boundary, and its
// mapping onto the engine's turns: tool_use blocks become an assistant turn's tool calls, every
// tool_result block a 'tool' turn. Thinking blocks (the model's own earlier reasoning) are dropped;
// images, documents and server tools (web search, code execution) are refused by name.
import { z } from 'zod';
import type { ChatMessage, ToolChoice, ToolDefinition } from '../../shared/protocol';
import { ToolDefinition as ToolDefinitionSchema } from '../../shared/protocol';

const MAX_TEXT = 2_000_000;

const TextBlock = z.object({ type: z.literal('text'), text: z.string().max(MAX_TEXT) });
const ToolUseBlock = z.object({
  type: z.literal('tool_use'),
  id: z.string().min(1).max(200),
  name: z.string().min(1).max(200),
  input: z.unknown(),
});
const ToolResultBlock = z.object({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1).max(200),
  content: z.union([z.string().max(MAX_TEXT), z.array(TextBlock).max(1000)]).optional(),
  is_error: z.boolean().optional(),
});
const ThinkingBlock = z.object({ type: z.literal('thinking') });
const RedactedThinkingBlock = z.object({ type: z.literal('redacted_thinking') });
const Block = z.discriminatedUnion(
  'type',
  [TextBlock, ToolUseBlock, ToolResultBlock, ThinkingBlock, RedactedThinkingBlock],
  {
    error: (issue) =>
      issue.code === 'invalid_union'
        ? 'only text, tool_use, tool_result and thinking blocks are supported (no images, documents or server tools)'
        : undefined,
  },
);

const Message = z.object({
  role: z.enum(['user', 'assistant']),
  content: z.union([z.string().max(MAX_TEXT), z.array(Block).max(1000)]),
});

const Tool = z.object({
  /** Custom tools only ('custom' or no type); server tools have a dated type and are refused. */
  type: z
    .string()
    .refine((t) => t === 'custom', 'only custom tools are supported (no server tools)')
    .nullish(),
  name: ToolDefinitionSchema.shape.name,
  description: z.string().max(100_000).optional(),
  input_schema: z.record(z.string(), z.unknown()),
});

const WireToolChoice = z.discriminatedUnion('type', [
  z.object({ type: z.literal('auto') }),
  z.object({ type: z.literal('any') }),
  z.object({ type: z.literal('none') }),
  z.object({ type: z.literal('tool'), name: z.string().min(1) }),
]);

export const MessagesRequest = z.object({
  model: z.string().min(1).max(300),
  max_tokens: z.number().int().positive().max(131_072),
  messages: z.array(Message).min(1).max(10_000),
  system: z.union([z.string().max(MAX_TEXT), z.array(TextBlock).max(1000)]).optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(1).optional(),
  tools: z.array(Tool).max(512).optional(),
  tool_choice: WireToolChoice.optional(),
});
export type MessagesRequest = z.infer<typeof MessagesRequest>;

const blockText = (blocks: readonly z.infer<typeof Block>[]) =>
  blocks.map((b) => (b.type === 'text' ? b.text : '')).join('');

/** The conversation as the engine takes it, the system prompt first. */
export function messagesOf(req: MessagesRequest): ChatMessage[] {
  const out: ChatMessage[] = [];
  const system = typeof req.system === 'string' ? req.system : req.system ? blockText(req.system) : '';
  if (system) out.push({ role: 'system', content: system });
  for (const m of req.messages) {
    if (typeof m.content === 'string') {
      out.push({ role: m.role, content: m.content });
      continue;
    }
    const blocks = m.content;
    if (m.role === 'assistant') {
      const calls = blocks.flatMap((b) =>
        b.type === 'tool_use' ? [{ id: b.id, name: b.name, arguments: JSON.stringify(b.input ?? {}) }] : [],
      );
      out.push({ role: 'assistant', content: blockText(blocks), ...(calls.length ? { toolCalls: calls } : {}) });
      continue;
    }
    // A user turn: its tool results first (they answer the previous assistant turn), then its text.
    for (const b of blocks) {
      if (b.type !== 'tool_result') continue;
      const content = typeof b.content === 'string' ? b.content : blockText(b.content ?? []);
      out.push({ role: 'tool', toolCallId: b.tool_use_id, content: b.is_error ? `Error: ${content}` : content });
    }
    const text = blockText(blocks);
    if (text || !blocks.some((b) => b.type === 'tool_result')) out.push({ role: 'user', content: text });
  }
  return out;
}

export function toolsOf(req: MessagesRequest): { tools?: ToolDefinition[]; toolChoice?: ToolChoice } {
  if (!req.tools?.length) return {};
  const tools = req.tools.map((t) => ({
    name: t.name,
    ...(t.description !== undefined ? { description: t.description } : {}),
    parameters: t.input_schema,
  }));
  const c = req.tool_choice;
  const toolChoice: ToolChoice | undefined =
    c === undefined ? undefined : c.type === 'any' ? 'required' : c.type === 'tool' ? { name: c.name } : c.type;
  return { tools, ...(toolChoice ? { toolChoice } : {}) };
}
