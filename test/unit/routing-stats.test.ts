// Acceptance, escalation and savings with a band over the ledger (daemon/usage/routing-stats.ts), and
// what `gearbox usage --routing` prints of them (daemon/cli/routing-format.ts).
import assert from 'node:assert/strict';
import { formatRoutingReset, formatRoutingStats } from '../../daemon/cli/routing-format';
import type { FeedbackRecord } from '../../daemon/usage/feedback-record';
import type { LedgerRecord } from '../../daemon/usage/record';
import { RoutingAggregator } from '../../daemon/usage/routing-stats';
import { type FeedbackSignal, RoutingStatsResult } from '../../shared/protocol';

const NOW = new Date('2026-03-02T12:00:00');
const TIME = new Date('2026-03-02T10:00:00').toISOString();

function request(model: string, tier: number, over: Partial<LedgerRecord> = {}): LedgerRecord {
  return {
    v: 1,
    time: TIME,
    workspace: 'w',
    task: 'refactor',
    model,
    provider: model.split('/')[0]!,
    local: false,
    inputTokens: 100,
    outputTokens: 100,
    costUsd: 0.001,
    latencyMs: 10,
    difficulty: 0.3,
    reasons: [],
    outcome: 'ok',
    counterfactualUsd: 0.01,
    counterfactualModel: 'big/frontier',
    tier,
    expectedSuccess: 0.8,
    ...over,
  };
}

function signal(model: string, tier: number, s: FeedbackSignal, over: Partial<FeedbackRecord> = {}): FeedbackRecord {
  return {
    v: 1,
    kind: 'feedback',
    time: TIME,
    workspace: 'w',
    requestId: 'r-abcdefgh',
    signal: s,
    task: 'refactor',
    language: 'python',
    model,
    tier,
    local: false,
    difficulty: 0.3,
    saved: true,
    learned: true,
    ...over,
  };
}

const scope = { since: '7d', workspace: 'current' as const, workspaceId: 'w', now: NOW };

describe('routing stats over the ledger', () => {
  it('acceptance and escalation per model and tier', () => {
    const agg = new RoutingAggregator();
    for (let i = 0; i < 4; i++) agg.addRequest(request('mid/m', 2));
    agg.addRequest(request('big/frontier', 3, { costUsd: 0.01 }));
    agg.addRequest(request('local/c', 0, { task: 'completion', local: true, costUsd: 0 }));
    agg.addFeedback(signal('mid/m', 2, 'edit-rejected'));
    agg.addFeedback(signal('mid/m', 2, 'retried-stronger'));
    agg.addFeedback(signal('mid/m', 2, 'edit-partial'));
    agg.addFeedback(signal('mid/m', 2, 'code-applied'));
    agg.addFeedback(signal('local/c', 0, 'completion-accepted', { task: 'completion', local: true }));
    agg.addFeedback(signal('local/c', 0, 'completion-ignored', { task: 'completion', local: true }));
    agg.addFeedback(signal('local/c', 0, 'completion-ignored', { task: 'completion', local: true }));
    // Another workspace's signal is not this workspace's.
    agg.addFeedback(signal('mid/m', 2, 'code-applied', { workspace: 'other' }));
    const q = agg.query(scope);
    const mid = q.byModel.find((r) => r.key === 'mid/m')!;
    assert.equal(mid.requests, 4);
    assert.equal(mid.acceptanceRate, (0 + 0 + 0.5 + 1) / 4);
    assert.equal(mid.escalationRate, 1 / 4);
    assert.equal(mid.completionAcceptanceRate, null);
    const local = q.byModel.find((r) => r.key === 'local/c')!;
    assert.deepEqual([local.requests, local.completions, local.acceptanceRate], [0, 1, null]);
    assert.equal(local.completionAcceptanceRate, 1 / 3);
    assert.deepEqual(
      q.byTier.map((t) => [t.key, t.requests, t.acceptanceRate]),
      [
        ['tier 0', 0, null],
        ['tier 2', 4, 1.5 / 4],
        ['tier 3', 1, null],
      ],
    );
    assert.equal(agg.query({ ...scope, workspace: 'all' }).byModel.find((r) => r.key === 'mid/m')!.acceptanceRate, 0.5);
  });

  it("savings: the ledger's, less the expected redos of failed cheaper answers; rejections lower it", () => {
    const agg = new RoutingAggregator();
    for (let i = 0; i < 10; i++) agg.addRequest(request('mid/m', 2));
    const before = agg.query(scope).savings;
    assert.ok(Math.abs(before.ledgerUsd - 10 * (0.01 - 0.001)) < 1e-12);
    assert.ok(Math.abs(before.atRiskUsd - 0.1) < 1e-12);
    // No signal yet: the router's own promise (expected success 0.8) sets the failure rate.
    assert.ok(Math.abs(before.failureRate - 0.2) < 1e-12);
    assert.ok(before.lowUsd <= before.expectedUsd && before.expectedUsd <= before.highUsd);
    assert.ok(before.highUsd <= before.ledgerUsd);
    for (let i = 0; i < 6; i++) agg.addFeedback(signal('mid/m', 2, 'edit-rejected'));
    const after = agg.query(scope).savings;
    assert.equal(after.judged, 6);
    assert.ok(after.failureRate > before.failureRate);
    assert.ok(after.expectedUsd < before.expectedUsd);
    assert.ok(after.failureHigh - after.failureLow < before.failureHigh - before.failureLow, 'more signals, narrower');
  });

  it('`gearbox usage --routing` prints the rates, the moved calibration and the savings band', () => {
    const agg = new RoutingAggregator();
    agg.addRequest(request('mid/m', 2));
    agg.addFeedback(signal('mid/m', 2, 'edit-rejected'));
    const q = agg.query(scope);
    const stats = RoutingStatsResult.parse({
      ...q,
      workspace: 'current',
      learning: true,
      statePath: '/state/routing-learning.json',
      resetAt: null,
      models: [
        { model: 'mid/m', publishedTheta: 1.576, shift: -0.21, theta: 1.366, sd: 0.6, signals: 1, updatedAt: TIME },
      ],
      difficulty: [{ task: 'refactor', language: 'python', shift: 0.18, sd: 0.45, signals: 1, updatedAt: TIME }],
    });
    const text = formatRoutingStats(stats);
    assert.match(text, /learning on/);
    assert.match(text, /MODEL\s+TIER\s+ANSWERS\s+TAKEN\/REJECTED\/PARTIAL\s+ACCEPTED\s+ESCALATED/);
    assert.match(text, /mid\/m\s+2\s+1\s+0\/1\/0\s+0%\s+0 \(0%\)/);
    assert.match(text, /tier 2\s+2\s+1\s+0\/1\/0\s+0%/);
    assert.match(text, /mid\/m\s+1\.58\s+1\.37\s+-0\.21\s+0\.60\s+1/);
    assert.match(text, /refactor · python\s+\+0\.18/);
    assert.match(text, /Saved \$[\d.]+ \(90% band \$[\d.-]+ \.\. \$[\d.]+\)/);
    assert.match(text, /\/state\/routing-learning\.json/);
    assert.match(
      formatRoutingReset({ models: 1, difficulty: 2, resetAt: TIME }),
      /forgot 1 model shift and 2 difficulty offsets/,
    );
  });
});
