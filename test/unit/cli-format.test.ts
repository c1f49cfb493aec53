import assert from 'node:assert/strict';
import { formatChatFooter, formatDecision, formatModels, formatRouteLine, formatStatus } from '../../daemon/cli/format';
import type { ChatResult, RouteDecision, StatusResult } from '../../shared/protocol';
import { model } from '../helpers/catalog-models';

const DECISION: RouteDecision = {
  task: 'chat',
  difficulty: 0.42,
  requiredTier: 1,
  reasons: [{ feature: 'asks:debug', weight: 0.6, detail: 'asks to debug' }],
  model: 'openai/mini',
  fallbacks: ['openai/nano'],
  rejected: [
    { model: 'xai/a', reason: 'no-key', detail: 'no API key for xai' },
    { model: 'xai/b', reason: 'no-key', detail: 'no API key for xai' },
    { model: 'xai/c', reason: 'no-key', detail: 'no API key for xai' },
    { model: 'local/small', reason: 'context-too-small', detail: 'too long' },
  ],
  summary: 'difficulty 0.42 (asks to debug) → openai/mini',
  pinned: false,
  estimatedInputTokens: 1234,
  inputTokensMethod: 'approximate',
};

describe('CLI output', () => {
  it('status: one line per concern, sizes in MB, none for empty lists', () => {
    const st: StatusResult = {
      version: '9.9.9',
      protocolVersion: 1,
      pid: 42,
      port: 7000,
      uptimeMs: 61_000,
      clients: 2,
      runtime: 'node 20',
      gpu: 'none',
      memory: { daemonRssBytes: 50 * 2 ** 20, modelHostRssBytes: null, systemTotalBytes: 2 ** 30, systemFreeBytes: 0 },
      modelHost: { pid: null, state: 'stopped', restarts: 0 },
      loadedModels: [],
      providersWithKeys: ['openai'],
    };
    const out = formatStatus(st).split('\n');
    assert.equal(out[0], 'Gearbox daemon 9.9.9 (protocol 1)');
    assert.equal(out[1], '  pid 42, port 7000, up 61 s, 2 client(s)');
    assert.equal(out[4], '  memory: daemon 50 MB, model host -, system free 0 MB of 1024 MB');
    assert.equal(out[6], '  loaded models: none');
    assert.equal(out[7], '  API keys for: openai');
  });

  it('models: an aligned table with price, context and why a model is unavailable', () => {
    const table = formatModels([
      model('local/coder', { tier: 0, contextWindow: 8192, inputPricePerMTok: 0, outputPricePerMTok: 0 }),
      model('openai/gpt', { available: false, unavailable: 'no-key', unavailableReason: 'no API key for openai' }),
    ]).split('\n');
    assert.match(table[0]!, /^MODEL\s+KIND\s+TIER\s+CONTEXT\s+PRICE\/MTok in\/out\s+AVAILABLE$/);
    assert.match(table[1]!, /^local\/coder\s+local\s+0\s+8k\s+free\s+yes$/);
    assert.match(table[2]!, /^openai\/gpt\s+openai\s+1\s+128k\s+\$1\.00\/\$4\.00\s+no: no API key for openai$/);
    assert.equal(table[1]!.indexOf('local '), table[2]!.indexOf('openai '), 'columns line up');
  });

  it('route: one line, or the explanation with rejections grouped', () => {
    assert.equal(formatRouteLine(DECISION), `chat: openai/mini — ${DECISION.summary}`);
    const lines = formatDecision(DECISION).split('\n');
    assert.ok(lines.includes('  difficulty 0.42 → tier 1, ~1234 input tokens (approximate)'));
    const exact = formatDecision({ ...DECISION, inputTokensMethod: 'exact' }).split('\n');
    assert.ok(exact.includes('  difficulty 0.42 → tier 1, 1234 input tokens'));
    assert.ok(lines.includes('  +0.60 asks:debug: asks to debug'));
    assert.ok(lines.includes('  fallbacks: openai/nano'));
    assert.ok(lines.includes('    xai/a, xai/b and 1 more: no-key (no API key for xai)'), lines.join('\n'));
    assert.ok(lines.includes('    local/small: context-too-small (too long)'));
  });

  it('chat footer: model, route, tokens, cost and time', () => {
    const r: ChatResult = {
      text: 'hi',
      model: 'openai/mini',
      provider: 'openai',
      route: DECISION,
      usage: { inputTokens: 10, outputTokens: 3 },
      costUsd: 0.0000123,
      latencyMs: 250,
      attempts: [],
    };
    assert.equal(formatChatFooter(r), `— openai/mini · ${DECISION.summary} · 10 in / 3 out · $0.000012 · 250 ms`);
  });
});
