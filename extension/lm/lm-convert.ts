// What VS Code's language-model API (vscode.lm, chat providers) exchanges, turned into Gearbox's
// protocol and back, with no `vscode` import: the models offered in the chat model picker, request
// messages (text, tool calls, tool results) as ChatMessages, tools and tool mode, and token counts.
// The part classes are told apart by their fields, as the API's own parts carry them.
import type { ChatMessage, ChatParams, ModelInfo, ToolCall, ToolChoice, ToolDefinition } from '../../shared/protocol';

/** The vendor in package.json's contributes.languageModelChatProviders. */
export const LM_VENDOR = 'gearbox';
export const AUTO_ID = 'gearbox/auto';
export const LOCAL_ID = 'gearbox/local';

/** VS Code's LanguageModelChatMessageRole: User 1, Assistant 2 (System 3 in newer hosts). */
const ROLE = { user: 1, assistant: 2, system: 3 } as const;
/** VS Code's LanguageModelChatToolMode. */
const TOOL_MODE = { auto: 1, required: 2 } as const;

/** LanguageModelChatInformation, as far as Gearbox fills it in. */
export interface LmModelInfo {
  id: string;
  name: string;
  family: string;
  version: string;
  tooltip: string;
  detail: string;
  maxInputTokens: number;
  maxOutputTokens: number;
  capabilities: { toolCalling: boolean; imageInput: boolean };
  /** Shown in the chat model picker (not only under Manage Models). */
  isUserSelectable: boolean;
}

const OUTPUT_TOKENS = 8192;

/**
 * Gearbox Auto (the router), Gearbox Local (local models only), then every chat model that can be
 * used now (local ones, and closed ones with a key), as the chat model picker lists them.
 */
export function lmModels(catalog: readonly ModelInfo[]): LmModelInfo[] {
  const chat = catalog.filter((m) => m.tasks.includes('chat') && m.available);
  const local = chat.filter((m) => m.local);
  const window = (ms: readonly ModelInfo[]) => Math.max(4096, ...ms.map((m) => m.contextWindow));
  const entry = (m: Omit<LmModelInfo, 'version' | 'isUserSelectable' | 'family'> & { family?: string }) => ({
    family: 'gearbox',
    version: '1',
    isUserSelectable: true,
    ...m,
  });
  const out: LmModelInfo[] = [
    entry({
      id: AUTO_ID,
      name: 'Gearbox Auto',
      tooltip: 'Routes each request to the cheapest model good enough for it (local or closed)',
      detail: 'router',
      maxInputTokens: window(chat) - OUTPUT_TOKENS,
      maxOutputTokens: OUTPUT_TOKENS,
      // Closed models get the tools; a turn routed to a local model is answered in text.
      capabilities: { toolCalling: true, imageInput: false },
    }),
  ];
  if (local.length)
    out.push(
      entry({
        id: LOCAL_ID,
        name: 'Gearbox Local',
        tooltip: `Local models only: ${local.map((m) => m.id).join(', ')}`,
        detail: 'local, free',
        maxInputTokens: Math.max(1024, window(local) - 1024),
        maxOutputTokens: 1024,
        capabilities: { toolCalling: false, imageInput: false },
      }),
    );
  for (const m of chat) {
    const output = Math.min(OUTPUT_TOKENS, Math.floor(m.contextWindow / 4));
    out.push(
      entry({
        id: m.id,
        name: m.displayName,
        family: m.provider,
        tooltip: `${m.id} through Gearbox (tier ${m.tier})`,
        detail: m.local ? 'local, free' : `$${m.inputPricePerMTok} / $${m.outputPricePerMTok} per M tokens`,
        maxInputTokens: m.contextWindow - output,
        maxOutputTokens: output,
        capabilities: { toolCalling: !m.local, imageInput: false },
      }),
    );
  }
  return out;
}

/** A request message of the API: a role and parts (text, tool call, tool result, data, ...). */
export interface LmMessage {
  role: number;
  content: readonly unknown[];
}
export interface LmTool {
  name: string;
  description?: string;
  inputSchema?: unknown;
}

function textOf(part: unknown): string | undefined {
  const v = (part as { value?: unknown } | null)?.value;
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return v.join('');
  return undefined;
}

function toolCallOf(part: unknown): ToolCall | undefined {
  const p = part as { callId?: unknown; name?: unknown; input?: unknown } | null;
  if (typeof p?.callId !== 'string' || typeof p.name !== 'string' || !('input' in p)) return undefined;
  return { id: p.callId, name: p.name, arguments: JSON.stringify(p.input ?? {}) };
}

function toolResultOf(part: unknown): { id: string; content: string } | undefined {
  const p = part as { callId?: unknown; content?: unknown } | null;
  if (typeof p?.callId !== 'string' || !Array.isArray(p.content) || 'name' in p) return undefined;
  return { id: p.callId, content: p.content.map((c) => textOf(c) ?? dataText(c) ?? '').join('') };
}

/** A data part that holds text (JSON, text/*) as text; images and other binaries are left out. */
function dataText(part: unknown): string | undefined {
  const p = part as { mimeType?: unknown; data?: unknown } | null;
  if (typeof p?.mimeType !== 'string' || !(p.data instanceof Uint8Array)) return undefined;
  if (!/^(text\/|application\/json)/.test(p.mimeType)) return undefined;
  return new TextDecoder().decode(p.data);
}

/**
 * The conversation as Gearbox takes it: a user message's tool results become 'tool' turns (they
 * answer the assistant's calls before it), its text a user turn; an assistant message's tool call
 * parts become its toolCalls.
 */
export function toChatMessages(messages: readonly LmMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const m of messages) {
    const text = m.content
      .map((p) => (toolCallOf(p) || toolResultOf(p) ? '' : (textOf(p) ?? dataText(p) ?? '')))
      .join('');
    if (m.role === ROLE.assistant) {
      const calls = m.content.map(toolCallOf).filter((c): c is ToolCall => !!c);
      out.push({ role: 'assistant', content: text, ...(calls.length ? { toolCalls: calls } : {}) });
      continue;
    }
    const results = m.content.map(toolResultOf).filter((r): r is { id: string; content: string } => !!r);
    for (const r of results) out.push({ role: 'tool', toolCallId: r.id, content: r.content });
    if (m.role === ROLE.system) out.push({ role: 'system', content: text });
    else if (text || !results.length) out.push({ role: 'user', content: text });
  }
  return out;
}

export function toTools(
  tools: readonly LmTool[] | undefined,
  toolMode: number | undefined,
): Pick<ChatParams, 'tools' | 'toolChoice'> {
  if (!tools?.length) return {};
  const defs: ToolDefinition[] = tools.map((t) => ({
    name: t.name,
    ...(t.description ? { description: t.description } : {}),
    ...(t.inputSchema && typeof t.inputSchema === 'object'
      ? { parameters: t.inputSchema as Record<string, unknown> }
      : {}),
  }));
  const toolChoice: ToolChoice = toolMode === TOOL_MODE.required ? 'required' : 'auto';
  return { tools: defs, toolChoice };
}

/** The request's routing for a picked model: the router, local only, or that model pinned. */
export function routingFor(modelId: string): Pick<ChatParams, 'model' | 'hint'> {
  if (modelId === AUTO_ID) return {};
  if (modelId === LOCAL_ID) return { hint: 'local' };
  return { model: modelId };
}

/** A tool call's arguments as the object LanguageModelToolCallPart carries. */
export function callInput(call: ToolCall): object {
  try {
    const v: unknown = JSON.parse(call.arguments || '{}');
    return v && typeof v === 'object' ? v : { value: v };
  } catch {
    return { input: call.arguments };
  }
}

/** The text of a string or message as Gearbox sends it (text, tool calls, tool results), for counting. */
export function lmText(input: string | LmMessage): string {
  if (typeof input === 'string') return input;
  return toChatMessages([input])
    .map((m) => m.content + (m.toolCalls ?? []).map((c) => c.name + c.arguments).join(''))
    .join('');
}

/** About four characters a token: only while the daemon, which has the tokenizers, cannot be asked. */
export function estimateTokens(input: string | LmMessage): number {
  return Math.ceil(lmText(input).length / 4);
}
