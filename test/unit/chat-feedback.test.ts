// The chat's feedback for the router: "Retry with a stronger model" says the answer it replaces
// failed, a code block's Copy / Insert / Apply says its answer was good — each naming that answer's
// request id, nothing else.
import { strict as assert } from 'node:assert';
import { type CancellationLike, ChatController } from '../../extension/chat/controller';
import { HistoryStore, type MementoLike } from '../../extension/chat/history';
import type { ChatResult, FeedbackParams } from '../../shared/protocol';

class Memento implements MementoLike {
  private readonly data = new Map<string, unknown>();
  get<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  async update(key: string, value: unknown): Promise<void> {
    this.data.set(key, JSON.parse(JSON.stringify(value)));
  }
}

const never = { isCancellationRequested: false, onCancellationRequested: () => ({ dispose() {} }) };
const cancellation = (): CancellationLike => ({
  token: never as unknown as CancellationLike['token'],
  cancel() {},
  dispose() {},
});
const tick = () => new Promise((r) => setImmediate(r));

function answer(text: string, requestId: string): ChatResult {
  return {
    text,
    model: 'mid/m',
    provider: 'mid',
    route: {
      task: 'chat',
      difficulty: 0.3,
      requiredTier: 2,
      reasons: [],
      model: 'mid/m',
      fallbacks: [],
      rejected: [],
      summary: 'mid/m: expected 0.80 ≥ target 0.75',
      pinned: false,
      estimatedInputTokens: 10,
      inputTokensMethod: 'chars4',
    },
    usage: { inputTokens: 10, outputTokens: 5 },
    costUsd: 0.0001,
    latencyMs: 5,
    attempts: [],
    requestId,
  };
}

function setup() {
  const feedback: FeedbackParams[] = [];
  const actions: string[] = [];
  let n = 0;
  const controller = new ChatController({
    client: {
      log: { info() {}, warn() {}, error() {} } as never,
      request: (async (method: string, params: unknown) => {
        if (method === 'gearbox/chat') return answer('```python\nprint(1)\n```', `r-answer${++n}00`);
        if (method === 'gearbox/feedback') {
          feedback.push(params as FeedbackParams);
          return { recorded: true, learned: true };
        }
        return { models: [] };
      }) as never,
    },
    store: new HistoryStore(new Memento()),
    post: () => undefined,
    newCancellation: cancellation,
    currentContext: () => undefined,
    pickContext: async () => undefined,
    resolveRefs: async () => [],
    codeAction: (kind) => void actions.push(kind),
  });
  return { controller, feedback, actions };
}

describe('chat feedback', () => {
  it("Retry with a stronger model: the replaced answer's request failed", async () => {
    const { controller, feedback } = setup();
    await controller.send('why is this slow?');
    const first = controller.conversation.at(-1)!;
    assert.equal(first.role === 'assistant' && first.requestId, 'r-answer100');
    controller.handleMessage({ type: 'retryStronger' });
    await tick();
    assert.deepEqual(feedback, [{ requestId: 'r-answer100', signal: 'retried-stronger' }]);
  });

  it("Copy, Insert and Apply on a code block: its answer's request was good", async () => {
    const { controller, feedback, actions } = setup();
    await controller.send('write it');
    const id = controller.conversation.at(-1)!.id;
    controller.handleMessage({ type: 'copyCode', code: 'print(1)', answerId: id });
    controller.handleMessage({ type: 'insertCode', code: 'print(1)', answerId: id });
    controller.handleMessage({ type: 'applyCode', code: 'print(1)', answerId: id, language: 'python' });
    // Without an answer id (an older webview) the action still runs; there is no signal.
    controller.handleMessage({ type: 'copyCode', code: 'print(1)' });
    await tick();
    assert.deepEqual(actions, ['copyCode', 'insertCode', 'applyCode', 'copyCode']);
    assert.deepEqual(
      feedback.map((f) => [f.requestId, f.signal]),
      [
        ['r-answer100', 'code-copied'],
        ['r-answer100', 'code-inserted'],
        ['r-answer100', 'code-applied'],
      ],
    );
  });
});
