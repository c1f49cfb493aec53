import assert from 'node:assert/strict';
import { FallbackRunner, type FallbackRequest } from '../../daemon/fallback-runner';
import { GearboxError } from '../../daemon/gearbox-error';
import { silentLogger } from '../../daemon/log';
import type { LocalChatRequest, ModelHostApi } from '../../daemon/model-host-api';
import { ProviderRegistry } from '../../daemon/providers/registry';
import { loadBpe } from '../../daemon/tokens/bpe';
import { TokenCounter } from '../../daemon/tokens/token-counter';
import { STAND_IN_RATIO } from '../../daemon/tokens/tokenizers';
import type { LedgerOutcome } from '../../daemon/usage/record';
import { ErrorCodes, type ModelInfo, type RouteDecision, type TokenCountMethod } from '../../shared/protocol';
import { FakeModelHost } from '../fakes/fake-model-host';
import { model } from '../helpers/catalog-models';

const FREE = { inputPricePerMTok: 0, outputPricePerMTok: 0 };
const CATALOG: ModelInfo[] = [
  model('local/a', { tier: 1, ...FREE }),
  model('local/b', { tier: 1, ...FREE }),
  model('local/c', { tier: 0, ...FREE }),
];

function decision(over: Partial<RouteDecision> = {}): RouteDecision {
  return {
    task: 'chat',
    difficulty: 0.2,
    requiredTier: 1,
    reasons: [],
    model: 'local/a',
    fallbacks: ['local/b', 'local/c'],
    rejected: [],
    summary: 'test decision',
    pinned: false,
    estimatedInputTokens: 100,
    inputTokensMethod: 'chars4',
    ...over,
  };
}

function setup(host: ModelHostApi) {
  const records: {
    model: string;
    outcome: LedgerOutcome;
    errorCode?: number;
    estimatedBy?: TokenCountMethod;
    in?: number;
    out: number;
  }[] = [];
  const runner = new FallbackRunner({
    providers: new ProviderRegistry({ configured: [], env: {}, logger: silentLogger }),
    modelHost: host,
    logger: silentLogger,
    providerIdleMs: 60_000,
    tokens: new TokenCounter({ modelHost: host, logger: silentLogger }),
  });
  const deltas: [string, string][] = [];
  const request = (over: Partial<FallbackRequest> = {}): FallbackRequest => ({
    task: 'chat',
    decision: decision(),
    catalog: CATALOG,
    messages: [{ role: 'user', content: 'hi' }],
    maxTokens: 64,
    signal: new AbortController().signal,
    onDelta: (d, m) => deltas.push([m, d]),
    record: (m, usage, outcome, errorCode) =>
      records.push({
        model: m.id,
        outcome,
        errorCode,
        estimatedBy: usage.estimatedBy,
        in: usage.inputTokens,
        out: usage.outputTokens,
      }),
    ...over,
  });
  return { runner, records, deltas, request };
}

/** A host whose models fail before answering, or stop after `cutAfter` of their answer. */
class FailingHost extends FakeModelHost {
  failing = new Set<string>();
  cutAfter: string | undefined;
  /** Models whose load fails, with the model host's error. */
  loadErrors = new Map<string, Error>();
  override async load(modelId: string, onProgress?: (phase: 'download' | 'load', progress: number) => void) {
    const err = this.loadErrors.get(modelId);
    if (err) throw err;
    return super.load(modelId, onProgress);
  }
  override async chat(req: LocalChatRequest, onDelta: (t: string) => void, signal?: AbortSignal) {
    if (this.failing.has(req.modelId)) throw new Error(`${req.modelId} is broken`);
    if (this.cutAfter !== undefined) {
      onDelta(this.cutAfter);
      throw new Error('connection reset');
    }
    return super.chat(req, onDelta, signal);
  }
}

describe('fallback runner', () => {
  it('answers with the decision model, streaming its deltas, and records one ok', async () => {
    const host = new FakeModelHost();
    host.reply = () => 'hello there';
    const { runner, records, deltas, request } = setup(host);
    const out = await runner.run(request());
    assert.equal(out.text, 'hello there');
    assert.equal(out.model, 'local/a');
    assert.equal(out.costUsd, 0);
    assert.deepEqual(out.attempts, []);
    assert.equal(deltas.map(([, d]) => d).join(''), 'hello there');
    assert.ok(deltas.every(([m]) => m === 'local/a'));
    assert.deepEqual(
      records.map((r) => [r.model, r.outcome]),
      [['local/a', 'ok']],
    );
  });

  it('falls back in order when a model fails before answering, listing the failed attempts', async () => {
    const host = new FailingHost();
    host.failing = new Set(['local/a', 'local/b']);
    const { runner, records, request } = setup(host);
    const out = await runner.run(request());
    assert.equal(out.model, 'local/c');
    assert.deepEqual(out.attempts, [
      { model: 'local/a', error: 'local/a is broken' },
      { model: 'local/b', error: 'local/b is broken' },
    ]);
    assert.deepEqual(
      records.map((r) => [r.model, r.outcome]),
      [['local/c', 'ok']],
    );
  });

  it('a pinned model has no fallbacks: its failure is the answer', async () => {
    const host = new FailingHost();
    host.failing = new Set(['local/a']);
    const { runner, records, request } = setup(host);
    await assert.rejects(
      runner.run(request({ decision: decision({ pinned: true }) })),
      (e: unknown) =>
        e instanceof GearboxError && e.code === ErrorCodes.ProviderError && /local\/a failed/.test(e.message),
    );
    assert.deepEqual(
      records.map((r) => [r.model, r.outcome, r.errorCode]),
      [['local/a', 'error', ErrorCodes.ProviderError]],
    );
  });

  it("keeps the failure's own code when every model failed the same way (a model that cannot load)", async () => {
    const host = new FailingHost();
    host.loadErrors.set('local/a', new GearboxError(ErrorCodes.ModelLoadFailed, 'Cannot load model local/a: bad'));
    host.loadErrors.set('local/b', new GearboxError(ErrorCodes.ModelLoadFailed, 'Cannot load model local/b: bad'));
    const { runner, records, request } = setup(host);
    await assert.rejects(
      runner.run(request({ decision: decision({ fallbacks: ['local/b'] }) })),
      (e: unknown) => e instanceof GearboxError && e.code === ErrorCodes.ModelLoadFailed,
    );
    assert.deepEqual(
      records.map((r) => [r.model, r.outcome, r.errorCode]),
      [['local/b', 'error', ErrorCodes.ModelLoadFailed]],
    );
    // Different failures: no one code says what happened.
    host.failing = new Set(['local/c']);
    await assert.rejects(
      runner.run(request({ decision: decision({ fallbacks: ['local/c'] }) })),
      (e: unknown) => e instanceof GearboxError && e.code === ErrorCodes.ProviderError,
    );
  });

  it('a stream cut after some text is not retried elsewhere: the partial text comes back with the error', async () => {
    const host = new FailingHost();
    host.cutAfter = 'The answer is';
    const { runner, records, request } = setup(host);
    // The fake host has no tokenizer: the streamed text is counted by the o200k_base stand-in, and the
    // prompt as the router counted it for this model.
    const o200k = await loadBpe('o200k_base');
    const tokens = new Map([['local/a', { input: 321, selection: 0, method: 'exact' as const }]]);
    await assert.rejects(
      runner.run(request({ tokens })),
      (e: unknown) =>
        e instanceof GearboxError &&
        e.code === ErrorCodes.StreamInterrupted &&
        (e.data as { partialText: string }).partialText === 'The answer is',
    );
    assert.equal(records.length, 1);
    assert.deepEqual(records[0], {
      model: 'local/a',
      outcome: 'error',
      errorCode: ErrorCodes.StreamInterrupted,
      estimatedBy: 'approximate',
      in: 321,
      out: Math.ceil(o200k('The answer is') * STAND_IN_RATIO.other),
    });
  });

  it('a cancelled request stops at once and is recorded as cancelled', async () => {
    const host = new FakeModelHost();
    let open!: () => void;
    host.gate = new Promise((resolve) => (open = resolve));
    const abort = new AbortController();
    host.onStart(() => abort.abort());
    const { runner, records, request } = setup(host);
    await assert.rejects(runner.run(request({ signal: abort.signal })), { name: 'AbortError' });
    open();
    assert.deepEqual(
      records.map((r) => [r.model, r.outcome, r.errorCode]),
      [['local/a', 'cancelled', ErrorCodes.RequestCancelled]],
    );
  });

  it('no model in the decision is NoModelAvailable with the decision summary', async () => {
    const { runner, records, request } = setup(new FakeModelHost());
    await assert.rejects(runner.run(request({ decision: decision({ model: null, fallbacks: [] }) })), {
      code: ErrorCodes.NoModelAvailable,
      message: 'test decision',
    });
    assert.equal(records.length, 0);
  });
});
