import { strict as assert } from 'node:assert';
import {
  ChatController,
  buildMessages,
  contextLabel,
  type CancellationLike,
  type ChatControllerDeps,
} from '../../extension/chat/controller';
import { HISTORY_KEY, HistoryStore, type MementoLike } from '../../extension/chat/history';
import { fileChip, rangeChip, type ResolvedChip } from '../../extension/chat/chips';
import {
  ErrorCodes,
  EXPLAIN_MAX_TOKENS,
  type ChatParams,
  type ChatResult,
  type ModelInfo,
  type TokensCountParams,
  type TokensCountResult,
} from '../../shared/protocol';
import type { ChipRef, HostToWebview, MentionKind, Turn } from '../../shared/webview-protocol';

class Memento implements MementoLike {
  data = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    const v = this.data.get(key);
    return v === undefined ? undefined : (JSON.parse(JSON.stringify(v)) as T);
  }
  async update(key: string, value: unknown): Promise<void> {
    this.data.set(key, JSON.parse(JSON.stringify(value)));
  }
}

function cancellation(): CancellationLike & { cancelled: boolean } {
  const listeners: (() => void)[] = [];
  const c = {
    cancelled: false,
    token: {
      get isCancellationRequested() {
        return c.cancelled;
      },
      onCancellationRequested: (cb: () => void) => {
        listeners.push(cb);
        return { dispose() {} };
      },
    } as unknown as CancellationLike['token'],
    cancel() {
      c.cancelled = true;
      listeners.forEach((l) => l());
    },
    dispose() {},
  };
  return c;
}

const route = {
  task: 'chat' as const,
  difficulty: 0.2,
  requiredTier: 1,
  reasons: [{ feature: 'short', weight: -0.1, detail: 'short question' }],
  model: 'local/qwen',
  fallbacks: [],
  rejected: [{ model: 'openai/gpt', reason: 'no-key' as const, detail: 'no API key' }],
  summary: 'simple question → local/qwen',
  pinned: false,
  estimatedInputTokens: 12,
  inputTokensMethod: 'exact' as const,
};

function result(text: string, model = 'local/qwen'): ChatResult {
  return {
    text,
    model,
    provider: 'local',
    route,
    usage: { inputTokens: 12, outputTokens: 3 },
    costUsd: 0,
    latencyMs: 40,
    attempts: [],
  };
}

type Handler = (
  method: string,
  params: any,
  token: CancellationLike['token'] | undefined,
  h: Harness,
) => Promise<unknown>;

class Harness {
  posted: HostToWebview[] = [];
  calls: { method: string; params: any; token?: CancellationLike['token'] }[] = [];
  logs: string[] = [];
  cancellations: ReturnType<typeof cancellation>[] = [];
  actions: [string, string][] = [];
  memento: Memento;
  controller: ChatController;
  context: ChatControllerDeps['currentContext'] = () =>
    rangeChip('editor', 'editor', { uri: 'file:///app.py', path: 'app.py', languageId: 'python', text: 'b\nc' }, SEL);
  /** What the @ menu's picks resolve to, by kind. */
  picks: Partial<Record<MentionKind, ResolvedChip | string>> = {};
  resolved: ChipRef[][] = [];
  private ids = 0;

  constructor(
    public handler: Handler,
    memento = new Memento(),
  ) {
    this.memento = memento;
    const log = {
      warn: (m: string) => this.logs.push(m),
      info: (m: string) => this.logs.push(m),
      error: (m: string) => this.logs.push(m),
    };
    this.controller = new ChatController({
      client: {
        log: log as any,
        request: ((method: string, params: any, token?: CancellationLike['token']) => {
          this.calls.push({ method, params, token });
          if (method === 'gearbox/tokens/count') return Promise.resolve(this.countTokens(params));
          return this.handler(method, params, token, this);
        }) as any,
      },
      store: new HistoryStore(memento),
      post: (m) => this.posted.push(m),
      newCancellation: () => {
        const c = cancellation();
        this.cancellations.push(c);
        return c;
      },
      currentContext: () => this.context(),
      pickContext: async (kind) => this.picks[kind],
      resolveRefs: async (refs) => {
        this.resolved.push([...refs]);
        return refs.map((r) => fileChip(r.id, { uri: r.uris?.[0] ?? 'file:///x', path: 'again.py', text: 'again' }));
      },
      codeAction: (kind, code) => void this.actions.push([kind, code]),
      newId: () => `id${++this.ids}`,
    });
  }
  /** The daemon's count: code takes more tokens than chars / 4 (three characters a token here). */
  countTokens(p: TokensCountParams): TokensCountResult {
    return { tokens: p.texts.reduce((n, t) => n + Math.ceil(t.length / 3), 0), method: 'exact', tokenizer: 'fake' };
  }
  chats() {
    return this.calls.filter((c) => c.method === 'gearbox/chat').map((c) => c.params as ChatParams);
  }
  of<T extends HostToWebview['type']>(type: T) {
    return this.posted.filter((m): m is Extract<HostToWebview, { type: T }> => m.type === type);
  }
  lastAnswer() {
    return this.controller.conversation.at(-1) as Extract<Turn, { role: 'assistant' }>;
  }
}

const tick = () => new Promise((r) => setImmediate(r));
const SEL = { start: { line: 1, character: 0 }, end: { line: 2, character: 1 } };
const chatModel = (id: string, available: boolean): ModelInfo => ({
  id,
  provider: id.split('/')[0]!,
  providerKind: 'local',
  displayName: id,
  tier: 1,
  contextWindow: 8000,
  inputPricePerMTok: 0,
  outputPricePerMTok: 0,
  local: true,
  private: true,
  tasks: ['chat'],
  available,
});
const editorChip = (label = 'app.py:2-3', id = 'editor'): ChipRef => ({ id, kind: 'editor', label, tokens: 1 });

describe('chat controller', () => {
  it('sends with the attached context, forwards chunks of its stream, shows the result', async () => {
    const h = new Harness(async (method, params, _t, self) => {
      if (method !== 'gearbox/chat') throw new Error('unexpected');
      self.controller.onChunk({ streamId: params.streamId, delta: 'Hel', model: 'local/qwen' });
      self.controller.onChunk({ streamId: 'someone-else', delta: 'NOPE' });
      self.controller.onChunk({ streamId: params.streamId, delta: 'lo' });
      return result('Hello');
    });
    h.controller.editorContextChanged('k1', editorChip());
    h.controller.handleMessage({ type: 'send', text: '  What does this do?  ' });
    await tick();
    await h.controller.flush();
    const [p] = h.chats();
    assert.deepEqual(p!.messages, [{ role: 'user', content: 'What does this do?' }]);
    assert.equal(p!.context, undefined, 'chips go as context items');
    assert.deepEqual(
      p!.contextItems?.map((i) => [i.kind, i.uri, i.text, i.label]),
      [['editor', 'file:///app.py', 'b\nc', 'app.py:2-3']],
    );
    assert.equal(p!.model, undefined);
    assert.equal(p!.hint, undefined);
    assert.deepEqual(
      h.of('chunk').map((c) => c.delta),
      ['Hel', 'lo'],
    );
    assert.equal(h.of('chunk')[0]!.model, 'local/qwen');
    const streaming = h.of('streaming').map((s) => s.streaming);
    assert.deepEqual(streaming, [true, false]);
    const a = h.lastAnswer();
    assert.equal(a.status, 'done');
    assert.equal(a.text, 'Hello');
    assert.equal(a.model, 'local/qwen');
    assert.equal(a.route?.summary, 'simple question → local/qwen');
    assert.deepEqual(a.usage, { inputTokens: 12, outputTokens: 3 });
    const user = h.controller.conversation[0]!;
    assert.deepEqual(user.role === 'user' && user.chips?.map((c) => c.label), ['app.py:2-3']);
    assert.ok(!JSON.stringify(user).includes('b\\nc'), 'the turn keeps the chip, not its content');
    assert.equal(p!.streamId, a.id);
  });

  it('a removed chip sends no context until the selection changes', async () => {
    const h = new Harness(async () => result('ok'));
    h.controller.editorContextChanged('k1', editorChip());
    h.controller.handleMessage({ type: 'removeChip', id: 'editor' });
    await tick();
    assert.deepEqual(h.of('chips').at(-1)?.chips, []);
    h.controller.editorContextChanged('k1', editorChip());
    assert.deepEqual(h.of('chips').at(-1)?.chips, []);
    await h.controller.send('hi');
    assert.equal(h.chats()[0]!.contextItems, undefined);
    h.controller.editorContextChanged('k2', editorChip('app.py:5'));
    assert.deepEqual(
      h
        .of('chips')
        .at(-1)
        ?.chips.map((c) => c.label),
      ['app.py:5'],
    );
    await h.controller.send('again');
    assert.ok(h.chats()[1]!.contextItems?.length);
  });

  it('@ mentions add chips that go with the next message only; a failed pick says why', async () => {
    const h = new Harness(async () => result('ok'));
    h.context = () => undefined;
    h.picks.file = fileChip('f1', { uri: 'file:///ws/dates.ts', path: 'src/dates.ts', text: 'export const d = 1;' });
    h.picks.terminal = 'No terminal is open: run the command in a terminal, then add @terminal.';
    h.controller.handleMessage({ type: 'addContext', kind: 'file' });
    await tick();
    // The estimate at once (19 characters / 4), then the daemon's count for the model (Auto: no model named).
    assert.deepEqual(
      h.of('chips').map((m) => m.chips.map((c) => [c.kind, c.label, c.tokens])),
      [[['file', '@file src/dates.ts', 5]], [['file', '@file src/dates.ts', 7]]],
    );
    const counted = h.calls.filter((c) => c.method === 'gearbox/tokens/count');
    assert.deepEqual(counted.at(-1)?.params, { texts: ['export const d = 1;'] });
    h.controller.handleMessage({ type: 'addContext', kind: 'terminal' });
    await tick();
    assert.match(h.of('chips').at(-1)!.notice ?? '', /No terminal is open/);
    assert.equal(h.of('chips').at(-1)!.chips.length, 1, 'the failed pick added nothing');
    await h.controller.send('what is d?');
    assert.deepEqual(
      h.chats()[0]!.contextItems?.map((i) => [i.kind, i.uri, i.label]),
      [['file', 'file:///ws/dates.ts', '@file src/dates.ts']],
    );
    assert.deepEqual(h.of('chips').at(-1)!.chips, [], 'sent chips leave the tray');
    await h.controller.send('and now?');
    assert.equal(h.chats()[1]!.contextItems, undefined);
    // Removing an added chip before sending.
    h.controller.handleMessage({ type: 'addContext', kind: 'file' });
    await tick();
    h.controller.handleMessage({ type: 'removeChip', id: 'f1' });
    await tick();
    assert.deepEqual(h.of('chips').at(-1)!.chips, []);
  });

  it("checks the chips against the chosen model's window, trims them and says so on the turn", async () => {
    const h = new Harness(async (method) => {
      if (method === 'gearbox/models') {
        return {
          models: [
            { ...chatModel('local/small', true), contextWindow: 4096 },
            { ...chatModel('openai/big', true), contextWindow: 128_000 },
          ],
        };
      }
      return result('ok');
    });
    await h.controller.refreshModels();
    h.context = () => undefined;
    const big = 'line of code\n'.repeat(1500); // ~4,900 tokens
    h.picks.file = fileChip('f1', { uri: 'file:///a.ts', path: 'a.ts', text: big });
    h.picks.open = fileChip('f2', { uri: 'file:///b.ts', path: 'b.ts', text: 'const b = 2;\n' });
    h.controller.handleMessage({ type: 'addContext', kind: 'file' });
    await tick();
    // Auto: the largest available window; it fits.
    assert.deepEqual(h.of('chips').at(-1)!.budget?.model, 'openai/big');
    h.controller.handleMessage({ type: 'selectModel', model: 'local/small' });
    const budget = h.of('chips').at(-1)!.budget!;
    assert.equal(budget.model, 'local/small');
    assert.ok(budget.tokens > budget.limit, JSON.stringify(budget));
    h.controller.handleMessage({ type: 'addContext', kind: 'open' });
    await tick();
    await h.controller.send('summarise');
    const items = h.chats()[0]!.contextItems!;
    // Counted for local/small (picked): the budget holds in the daemon's count, not only in chars / 4.
    assert.equal(h.calls.filter((c) => c.method === 'gearbox/tokens/count').at(-1)?.params.model, 'local/small');
    const sent = h.countTokens({ texts: items.map((i) => i.text) }).tokens;
    assert.ok(sent <= budget.limit, `${sent} tokens sent, limit ${budget.limit}`);
    assert.match(items[0]!.text, /trimmed to fit the context window/);
    assert.equal(items.length, 1, 'the chip after the cut one is left out');
    const user = h.controller.conversation[0]!;
    assert.ok(user.role === 'user');
    assert.match(user.notice ?? '', /local\/small's window.*@file a\.ts cut to .* tokens; left out: @file b\.ts/);
  });

  it('sends the picked model; Auto sends none', async () => {
    const h = new Harness(async () => result('ok'));
    h.controller.handleMessage({ type: 'selectModel', model: 'openai/gpt' });
    await h.controller.send('one');
    assert.equal(h.chats()[0]!.model, 'openai/gpt');
    h.controller.handleMessage({ type: 'selectModel', model: null });
    await h.controller.send('two');
    assert.equal(h.chats()[1]!.model, undefined);
    assert.deepEqual(
      h.chats()[1]!.messages.map((m) => m.role),
      ['user', 'assistant', 'user'],
    );
  });

  it('a cut stream keeps its partial text, marked interrupted', async () => {
    const h = new Harness(async (_m, params, _t, self) => {
      self.controller.onChunk({ streamId: params.streamId, delta: 'The answer is', model: 'openai/x' });
      throw Object.assign(new Error('openai/x stopped mid-answer: socket hang up'), {
        code: ErrorCodes.StreamInterrupted,
        data: { partialText: 'The answer is 4', model: 'openai/x' },
      });
    });
    await h.controller.send('2+2?');
    const a = h.lastAnswer();
    assert.equal(a.status, 'interrupted');
    assert.equal(a.text, 'The answer is 4');
    assert.match(a.error!.message, /socket hang up/);
    assert.equal(h.controller.streaming, false);
  });

  it('a daemon that dies mid-answer leaves the answer interrupted (retry), keeping what arrived', async () => {
    const h = new Harness(async (_m, params, _t, self) => {
      self.controller.onChunk({ streamId: params.streamId, delta: 'Half an ans', model: 'local/m' });
      // What vscode-jsonrpc rejects pending requests with when the socket goes away.
      throw Object.assign(new Error('Pending response rejected since connection got disposed'), {
        code: ErrorCodes.PendingResponseRejected,
      });
    });
    await h.controller.send('explain');
    const a = h.lastAnswer();
    assert.equal(a.status, 'interrupted');
    assert.equal(a.text, 'Half an ans');
    const crashed = new Harness(async () => {
      throw Object.assign(new Error('The local model host crashed'), { code: ErrorCodes.ModelHostCrashed });
    });
    await crashed.controller.send('explain');
    assert.equal(crashed.lastAnswer().status, 'interrupted');
  });

  it('other errors show in the conversation, with the route when there is one', async () => {
    const h = new Harness(async () => {
      throw Object.assign(new Error('No model can serve this'), {
        code: ErrorCodes.NoModelAvailable,
        data: { route: { ...route, model: null } },
      });
    });
    await h.controller.send('hi');
    const a = h.lastAnswer();
    assert.equal(a.status, 'error');
    assert.equal(a.error?.code, ErrorCodes.NoModelAvailable);
    assert.equal(a.route?.summary, route.summary);
  });

  it('Stop cancels the request and keeps what was streamed', async () => {
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const h = new Harness(
      (_m, params, token, self) =>
        new Promise((_resolve, reject) => {
          self.controller.onChunk({ streamId: params.streamId, delta: 'partial', model: 'm' });
          token!.onCancellationRequested(() =>
            reject(Object.assign(new Error('Request cancelled'), { code: ErrorCodes.RequestCancelled })),
          );
          started();
        }),
    );
    const done = h.controller.send('long one');
    await running;
    assert.equal(h.controller.streaming, true);
    h.controller.handleMessage({ type: 'stop' });
    await done;
    assert.equal(h.cancellations[0]!.cancelled, true);
    const a = h.lastAnswer();
    assert.equal(a.status, 'stopped');
    assert.equal(a.text, 'partial');
    assert.equal(h.controller.streaming, false);
  });

  it('Retry with a stronger model re-sends the last user turn with hint stronger, replacing the answer', async () => {
    let n = 0;
    const h = new Harness(async () =>
      result(++n === 1 ? 'weak' : 'strong', n === 1 ? 'local/qwen' : 'anthropic/claude'),
    );
    await h.controller.send('Explain', undefined);
    const firstAnswer = h.lastAnswer().id;
    h.controller.handleMessage({ type: 'retryStronger' });
    await tick();
    await h.controller.flush();
    const [first, second] = h.chats();
    assert.equal(second!.hint, 'stronger');
    assert.deepEqual(second!.messages, first!.messages);
    assert.deepEqual(second!.contextItems, first!.contextItems);
    assert.deepEqual(h.of('removeTurns').at(-1), { type: 'removeTurns', ids: [firstAnswer] });
    assert.equal(h.controller.conversation.length, 2);
    assert.equal(h.lastAnswer().model, 'anthropic/claude');
    const u = h.controller.conversation[0]!;
    assert.equal(u.role === 'user' && u.hint, 'stronger');
  });

  it('history survives a reload; New Chat clears it', async () => {
    const memento = new Memento();
    const h = new Harness(async () => result('remembered'), memento);
    h.controller.selectModel('local/qwen');
    h.controller.editorContextChanged('k', editorChip());
    await h.controller.send('remember me');
    assert.ok(!JSON.stringify([...memento.data.values()]).includes('b\\nc'), 'history keeps no chip content');
    await h.controller.flush();
    const reloaded = new Harness(async () => result('x'), memento);
    assert.deepEqual(
      reloaded.controller.conversation.map((t) => t.text),
      ['remember me', 'remembered'],
    );
    assert.equal(reloaded.controller.model, 'local/qwen');
    reloaded.controller.handleMessage({ type: 'ready' });
    await tick();
    const init = reloaded.of('init')[0]!;
    assert.equal(init.turns.length, 2);
    assert.equal(init.selectedModel, 'local/qwen');
    // Retry after a reload reads the stored chips again and sends them.
    await reloaded.controller.retry('stronger');
    assert.deepEqual(
      reloaded.resolved.map((refs) => refs.map((r) => r.label)),
      [['app.py:2-3']],
    );
    assert.equal(reloaded.chats()[0]!.contextItems?.[0]?.text, 'again');
    reloaded.controller.handleMessage({ type: 'newChat' });
    await reloaded.controller.flush();
    assert.equal(reloaded.controller.conversation.length, 0);
    assert.deepEqual(memento.get<{ turns: unknown[] }>(HISTORY_KEY)!.turns, []);
    assert.equal(reloaded.of('init').at(-1)!.turns.length, 0);
  });

  it('lists chat models: unavailable ones with their reason; failures are reported', async () => {
    const models: ModelInfo[] = [
      {
        id: 'local/qwen',
        provider: 'local',
        providerKind: 'local',
        displayName: 'Qwen',
        tier: 1,
        contextWindow: 32000,
        inputPricePerMTok: 0,
        outputPricePerMTok: 0,
        local: true,
        private: true,
        tasks: ['completion', 'chat'],
        available: true,
      },
      {
        id: 'openai/gpt',
        provider: 'openai',
        providerKind: 'openai',
        displayName: 'GPT',
        tier: 3,
        contextWindow: 128000,
        inputPricePerMTok: 1,
        outputPricePerMTok: 4,
        local: false,
        private: false,
        tasks: ['chat'],
        available: false,
        unavailableReason: 'no API key',
      },
      {
        id: 'local/fim',
        provider: 'local',
        providerKind: 'local',
        displayName: 'FIM',
        tier: 0,
        contextWindow: 8000,
        inputPricePerMTok: 0,
        outputPricePerMTok: 0,
        local: true,
        private: true,
        tasks: ['completion'],
        available: true,
      },
    ];
    let fail = false;
    const h = new Harness(async (method, params) => {
      assert.equal(method, 'gearbox/models');
      assert.deepEqual(params, { task: 'chat' });
      if (fail) throw new Error('daemon offline');
      return { models };
    });
    await h.controller.refreshModels();
    assert.deepEqual(h.of('models')[0]!.models, [
      { id: 'local/qwen', label: 'Qwen (local)', available: true, local: true },
      { id: 'openai/gpt', label: 'GPT', available: false, unavailableReason: 'no API key', local: false },
    ]);
    fail = true;
    await h.controller.refreshModels();
    assert.equal(h.of('models')[1]!.error, 'daemon offline');
    assert.equal(h.of('models')[1]!.models.length, 2, 'keeps the last list');
  });

  it('drops and logs invalid webview messages; forwards code actions', async () => {
    const h = new Harness(async () => result('x'));
    h.controller.handleMessage({ type: 'send' });
    h.controller.handleMessage({ type: 'eval', code: 'x' });
    assert.equal(h.calls.length, 0);
    assert.equal(h.logs.filter((l) => /dropped invalid message/.test(l)).length, 2);
    h.controller.handleMessage({ type: 'copyCode', code: 'a' });
    h.controller.handleMessage({ type: 'applyCode', code: 'b', language: 'ts' });
    await tick();
    assert.deepEqual(h.actions, [
      ['copyCode', 'a'],
      ['applyCode', 'b'],
    ]);
  });

  it('an explicit context (gearbox.chat.send) replaces the editor chip', async () => {
    const h = new Harness(async () => result('x'));
    const ctx = {
      uri: 'file:///src/lib%20x.ts',
      languageId: 'typescript',
      text: Array.from({ length: 12 }, (_, i) => `line ${i}`).join('\n'),
      selection: { start: { line: 4, character: 0 }, end: { line: 9, character: 0 } },
    };
    await h.controller.send('Explain', ctx);
    const [item] = h.chats()[0]!.contextItems!;
    assert.equal(item!.uri, ctx.uri);
    assert.equal(item!.text, 'line 4\nline 5\nline 6\nline 7\nline 8\n');
    const u = h.controller.conversation[0]!;
    assert.deepEqual(u.role === 'user' && u.chips?.map((c) => c.label), ['lib x.ts:5-9']);
    assert.equal(contextLabel({ text: 'x' }), 'code');
  });

  it("Explain's short budget (gearbox.chat.send maxTokens) goes with its request and retries only", async () => {
    const h = new Harness(async () => result('x'));
    await h.controller.send('Explain this code', { text: 'f()' }, EXPLAIN_MAX_TOKENS);
    assert.equal(h.chats()[0]!.maxTokens, EXPLAIN_MAX_TOKENS);
    await h.controller.retry('stronger');
    assert.equal(h.chats()[1]!.maxTokens, EXPLAIN_MAX_TOKENS);
    assert.equal(h.chats()[1]!.hint, 'stronger');
    // A follow-up question in the chat gets the chat's own budget.
    await h.controller.send('Tell me more');
    assert.equal(h.chats()[2]!.maxTokens, undefined);
  });

  it('buildMessages: answers the user saw, merged user turns, newest within budget', () => {
    const turns: Turn[] = [
      { id: '1', role: 'user', text: 'a'.repeat(50) },
      { id: '2', role: 'assistant', text: 'b'.repeat(50), status: 'done' },
      { id: '3', role: 'user', text: 'first' },
      { id: '4', role: 'assistant', text: '', status: 'error', error: { message: 'x' } },
      { id: '5', role: 'user', text: 'second' },
      { id: '6', role: 'assistant', text: 'half', status: 'interrupted' },
      { id: '7', role: 'user', text: 'third' },
    ];
    assert.deepEqual(buildMessages(turns), [
      { role: 'user', content: 'a'.repeat(50) },
      { role: 'assistant', content: 'b'.repeat(50) },
      { role: 'user', content: 'first\n\nsecond' },
      { role: 'assistant', content: 'half' },
      { role: 'user', content: 'third' },
    ]);
    const small = buildMessages(turns, 30);
    assert.equal(small[0]!.role, 'user');
    assert.equal(small.at(-1)!.content, 'third');
    assert.ok(small.length < 5);
  });
});
