import { strict as assert } from 'node:assert';
import { Hint as WireHint } from '../../shared/protocol';
import {
  Hint,
  HostToWebview,
  Turn,
  WebviewToHost,
  parseHostToWebview,
  parseWebviewToHost,
} from '../../shared/webview-protocol';

describe('webview protocol', () => {
  it("has the wire protocol's hints, no more and no fewer", () => {
    assert.deepEqual([...Hint.options].sort(), [...WireHint.options].sort());
  });

  it('accepts every webview → extension message', () => {
    const ok: unknown[] = [
      { type: 'ready' },
      { type: 'send', text: 'hello' },
      { type: 'stop' },
      { type: 'retry' },
      { type: 'retryStronger' },
      { type: 'selectModel', model: 'openai/gpt-x' },
      { type: 'selectModel', model: null },
      { type: 'removeChip', id: 'editor' },
      { type: 'addContext', kind: 'codebase', draft: 'where are dates parsed?' },
      { type: 'addContext', kind: 'file' },
      { type: 'newChat' },
      { type: 'refreshModels' },
      { type: 'copyCode', code: 'x = 1' },
      { type: 'insertCode', code: '' },
      { type: 'applyCode', code: 'y', language: 'py' },
    ];
    for (const m of ok) assert.ok(parseWebviewToHost(m).ok, JSON.stringify(m));
  });

  it('rejects malformed webview → extension messages', () => {
    const bad: unknown[] = [
      null,
      'send',
      {},
      { type: 'exec', command: 'rm -rf /' },
      { type: 'send' },
      { type: 'send', text: '' },
      { type: 'send', text: 42 },
      { type: 'selectModel' },
      { type: 'copyCode', code: { toString: 'x' } },
      { type: 'applyCode', code: 'x', language: 'x'.repeat(101) },
    ];
    for (const m of bad) {
      const r = parseWebviewToHost(m);
      assert.equal(r.ok, false, JSON.stringify(m));
      if (!r.ok) assert.ok(r.error.length > 0);
    }
  });

  it('accepts every extension → webview message and validates turns', () => {
    const user = { id: 'u1', role: 'user', text: 'hi', context: { label: 'app.py:10-24', detail: 'app.py' } };
    const answer = {
      id: 'a1',
      role: 'assistant',
      text: 'hello',
      status: 'done',
      model: 'local/qwen',
      route: {
        summary: 'easy question → local',
        reasons: [{ feature: 'length', weight: -0.1, detail: 'short' }],
        rejected: [{ model: 'x', reason: 'no-key', detail: 'no key' }],
      },
      usage: { inputTokens: 10, outputTokens: 5 },
      costUsd: 0,
      latencyMs: 12,
    };
    const ok: unknown[] = [
      {
        type: 'init',
        turns: [user, answer],
        models: [{ id: 'm', label: 'M', available: false, unavailableReason: 'no key' }],
        selectedModel: null,
        chips: [],
        streaming: false,
      },
      { type: 'models', models: [], selectedModel: 'm', error: 'offline' },
      { type: 'chips', chips: [{ id: 'c1', kind: 'file', label: '@file a.ts', tokens: 12, uris: ['file:///a.ts'] }] },
      {
        type: 'chips',
        chips: [],
        budget: { tokens: 0, limit: 1000, model: 'local/m' },
        notice: 'No terminal is open',
      },
      { type: 'turn', turn: user },
      { type: 'turn', turn: answer },
      { type: 'removeTurns', ids: ['a1'] },
      { type: 'chunk', id: 'a1', delta: 'x', model: 'm' },
      { type: 'streaming', streaming: true },
      { type: 'connection', state: 'startFailed' },
      { type: 'focusInput' },
    ];
    for (const m of ok) assert.ok(parseHostToWebview(m).ok, JSON.stringify(m));
    assert.ok(HostToWebview.safeParse(ok[0]).success);
    assert.equal(Turn.safeParse({ ...answer, status: 'weird' }).success, false);
    assert.equal(Turn.safeParse({ ...user, role: 'system' }).success, false);
  });

  it('rejects malformed extension → webview messages', () => {
    const bad: unknown[] = [
      { type: 'chunk', id: 'a1' },
      { type: 'turn', turn: { id: 'x', role: 'assistant', text: 'y' } },
      { type: 'init', turns: [], models: [], selectedModel: null, streaming: false },
      { type: 'connection', state: 'on fire' },
      { type: 'html', html: '<script>alert(1)</script>' },
    ];
    for (const m of bad) assert.equal(parseHostToWebview(m).ok, false, JSON.stringify(m));
    assert.equal(WebviewToHost.safeParse({ type: 'chunk', id: 'a', delta: '' }).success, false);
  });
});
