// Tool calls in a conversation, as text: what the router must see of them (the privacy and secret
// rules judge everything that is sent), their redaction, and the flat form local models get.
import type { ChatMessage, ToolDefinition } from '../shared/protocol';
import type { LocalChatMessage } from './model-host-api';

/** All the text a turn sends: its content and, for an assistant turn, the calls it made with their arguments. */
export function messageText(m: ChatMessage): string {
  if (!m.toolCalls?.length) return m.content;
  const calls = m.toolCalls.map((c) => `${c.name}(${c.arguments})`).join('\n');
  return m.content ? `${m.content}\n${calls}` : calls;
}

/** The tool definitions as they are sent (names, descriptions and parameter schemas). */
export function toolsText(tools: readonly ToolDefinition[] | undefined): string[] {
  return (tools ?? []).map((t) => JSON.stringify(t));
}

/** The turn with `redact` applied to its content and to every argument of its tool calls. */
export function redactMessage(m: ChatMessage, redact: (text: string) => string): ChatMessage {
  return {
    ...m,
    content: redact(m.content),
    ...(m.toolCalls ? { toolCalls: m.toolCalls.map((c) => ({ ...c, arguments: redact(c.arguments) })) } : {}),
  };
}

/**
 * The conversation for a model without tool support (local models): tool calls and their results
 * become plain text in assistant and user turns, so the model still sees what happened.
 */
export function flattenToolTurns(messages: readonly ChatMessage[]): LocalChatMessage[] {
  const out: LocalChatMessage[] = [];
  for (const m of messages) {
    if (m.role === 'tool') {
      const text = `Result of tool call ${m.toolCallId}:\n${m.content}`;
      const prev = out[out.length - 1];
      // Results of several calls answer one assistant turn: keep them in one user turn.
      if (prev?.role === 'user' && prev.content.startsWith('Result of tool call '))
        out[out.length - 1] = { role: 'user', content: `${prev.content}\n\n${text}` };
      else out.push({ role: 'user', content: text });
      continue;
    }
    if (m.role === 'assistant' && m.toolCalls?.length) {
      const calls = m.toolCalls.map((c) => `Called tool ${c.name} (call ${c.id}) with ${c.arguments}`).join('\n');
      out.push({ role: 'assistant', content: m.content ? `${m.content}\n${calls}` : calls });
      continue;
    }
    out.push({
      role: m.role === 'assistant' ? 'assistant' : m.role === 'system' ? 'system' : 'user',
      content: m.content,
    });
  }
  return out;
}

/** A call's arguments as the object Anthropic's tool_use and Gemini's functionCall want (other text: `input`). */
export function argumentsObject(args: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(args || '{}');
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    /* not JSON: kept as text below */
  }
  return { input: args };
}
