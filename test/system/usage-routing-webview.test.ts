// The Usage webview's "Learned from your feedback" section, in the built bundle (jsdom): how each
// model's θ and each kind of request's difficulty moved, acceptance by tier and model, the savings
// band, and the reset button; a routing snapshot that fails its schema drops the whole message.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { JSDOM } from 'jsdom';
import { RoutingStatsResult, UsageResult } from '../../shared/protocol';
import { toSnapshot, UsageHostToWebview, UsageWebviewToHost } from '../../shared/usage-webview-protocol';

const bundle = path.resolve('dist/webview/usage.js');
const zeros = {
  'retried-stronger': 0,
  'edit-rejected': 0,
  'edit-partial': 0,
  'edit-accepted': 0,
  'code-applied': 0,
  'code-inserted': 0,
  'code-copied': 0,
  'completion-accepted': 0,
  'completion-ignored': 0,
};
const usage = UsageResult.parse({
  since: '2024-03-01',
  until: '2024-03-01',
  workspace: 'current',
  workspaceId: 'file:///w',
  totals: {
    requests: 3,
    okRequests: 3,
    errorRequests: 0,
    cancelledRequests: 0,
    localRequests: 0,
    closedRequests: 3,
    inputTokens: 1,
    outputTokens: 1,
    costUsd: 0.01,
    counterfactualUsd: 0.03,
    savingsUsd: 0.02,
  },
  days: [
    { date: '2024-03-01', costUsd: 0.01, counterfactualUsd: 0.03, requests: 3, localRequests: 0, closedRequests: 3 },
  ],
  byModel: [],
  byTask: [],
  savingsUsd: 0.02,
  budget: { dailyUsd: 0, monthlyUsd: 0, spentTodayUsd: 0.01, spentMonthUsd: 0.01 },
  ledger: { path: '/l', skippedLines: 0, writeErrors: 0 },
});
const row = (key: string, tier: number, requests: number, signals: Partial<typeof zeros>) => ({
  key,
  tier,
  requests,
  completions: 0,
  signals: { ...zeros, ...signals },
  acceptanceRate: Object.keys(signals).length ? 0 : null,
  escalationRate: requests ? (signals['retried-stronger'] ?? 0) / requests : null,
  completionAcceptanceRate: null,
});
const routing = RoutingStatsResult.parse({
  since: '2024-03-01',
  until: '2024-03-01',
  workspace: 'current',
  learning: true,
  statePath: '/s/routing-learning.json',
  resetAt: null,
  byModel: [row('fake/fake-mid', 2, 2, { 'edit-rejected': 2 })],
  byTier: [row('tier 2', 2, 2, { 'edit-rejected': 2 }), row('tier 3', 3, 1, {})],
  models: [
    {
      model: 'fake/fake-mid',
      publishedTheta: 1.576,
      shift: -0.532,
      theta: 1.044,
      sd: 0.64,
      signals: 2,
      updatedAt: '2024-03-01T10:00:00Z',
    },
  ],
  difficulty: [{ task: 'refactor', language: 'python', shift: 0.27, sd: 0.48, signals: 2, updatedAt: '2024-03-01' }],
  savings: {
    ledgerUsd: 0.02,
    expectedUsd: 0.015,
    lowUsd: 0.01,
    highUsd: 0.019,
    failureRate: 0.4,
    failureLow: 0.1,
    failureHigh: 0.7,
    judged: 2,
    atRiskUsd: 0.02,
  },
});

describe('usage webview: learned from your feedback', () => {
  before(function () {
    this.timeout(60_000);
    execFileSync(process.execPath, [path.resolve('scripts/build.mjs')], { stdio: 'inherit' });
  });

  it('shows the moved calibration, the rates and the savings band; Reset asks the host', () => {
    const posted: unknown[] = [];
    const dom = new JSDOM('<!DOCTYPE html><body><div id="app"></div></body>', { runScripts: 'outside-only' });
    const win = dom.window as unknown as typeof globalThis & { eval(s: string): void; acquireVsCodeApi: () => unknown };
    win.acquireVsCodeApi = () => ({
      // A copy in this realm (the webview's objects come from jsdom's).
      postMessage: (m: unknown) => posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => {},
      setState: () => {},
    });
    win.eval(fs.readFileSync(bundle, 'utf8'));
    const send = (data: unknown) => win.dispatchEvent(new win.MessageEvent('message', { data }));
    const doc = win.document;
    const snap = toSnapshot(usage, routing);
    assert.ok(UsageHostToWebview.safeParse({ type: 'usage', range: '7d', scope: 'current', data: snap }).success);

    const bad = { ...snap, routing: { ...snap.routing!, savings: { ...snap.routing!.savings, failureRate: -1 } } };
    send({ type: 'usage', range: '7d', scope: 'current', data: bad });
    assert.equal(doc.querySelector('.gb-routing'), null, 'a malformed routing snapshot is dropped');

    send({ type: 'usage', range: '7d', scope: 'current', data: snap });
    const section = doc.querySelector('.gb-routing')!;
    assert.match(section.textContent!, /Learning is on/);
    assert.match(doc.querySelector('.gb-cal-model')!.textContent!, /fake\/fake-mid\s*θ 1\.58 → 1\.04 \(−0\.53\)/);
    assert.match(doc.querySelector('.gb-cal-difficulty')!.textContent!, /refactor · python\s*difficulty \+0\.27/);
    const tiers = [...doc.querySelectorAll('.gb-rate-tier .gb-rate-nums')].map((e) => e.textContent);
    assert.deepEqual(tiers, ['0% taken of 2 · 0% escalated of 2', '– taken of 0 · 0% escalated of 1']);
    assert.match(section.textContent!, /Saved after redoing failed answers: \$0\.015/);
    assert.match(section.textContent!, /90% band \$0\.010 – \$0\.019/);

    (doc.querySelector('.gb-reset-calibration') as HTMLButtonElement).click();
    assert.deepEqual(posted.at(-1), { type: 'resetCalibration' });
    assert.ok(UsageWebviewToHost.safeParse(posted.at(-1)).success);
  });
});
