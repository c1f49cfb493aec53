// The Usage webview: message schemas, and the built bundle (dist/webview/usage.js) in jsdom:
// announces itself, draws the daily chart and budget bars from a usage message, drops malformed
// messages, never turns data into markup, and posts validated control messages.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { JSDOM } from 'jsdom';
import { UsageResult } from '../../shared/protocol';
import { toSnapshot, UsageHostToWebview, UsageSnapshot, UsageWebviewToHost } from '../../shared/usage-webview-protocol';

const bundle = path.resolve('dist/webview/usage.js');

const result = UsageResult.parse({
  since: '2024-03-01',
  until: '2024-03-03',
  workspace: 'current',
  workspaceId: 'file:///w',
  totals: {
    requests: 5,
    okRequests: 5,
    errorRequests: 0,
    cancelledRequests: 0,
    localRequests: 3,
    closedRequests: 2,
    inputTokens: 100,
    outputTokens: 50,
    costUsd: 0.9,
    counterfactualUsd: 3,
    savingsUsd: 2.1,
  },
  days: [
    { date: '2024-03-01', costUsd: 0.4, counterfactualUsd: 1, requests: 2, localRequests: 1, closedRequests: 1 },
    { date: '2024-03-02', costUsd: 0, counterfactualUsd: 0, requests: 0, localRequests: 0, closedRequests: 0 },
    { date: '2024-03-03', costUsd: 0.5, counterfactualUsd: 2, requests: 3, localRequests: 2, closedRequests: 1 },
  ],
  byModel: [
    {
      key: 'x/<img src=x onerror=alert(1)>',
      provider: 'x',
      local: false,
      requests: 2,
      inputTokens: 1,
      outputTokens: 1,
      costUsd: 0.9,
      counterfactualUsd: 3,
    },
    {
      key: 'local/tiny',
      provider: 'local',
      local: true,
      requests: 3,
      inputTokens: 1,
      outputTokens: 1,
      costUsd: 0,
      counterfactualUsd: 0,
    },
  ],
  byTask: [],
  savingsUsd: 2.1,
  budget: { dailyUsd: 0.4, monthlyUsd: 10, spentTodayUsd: 0.5, spentMonthUsd: 0.9 },
  ledger: { path: '/l', skippedLines: 0, writeErrors: 0 },
});

describe('usage webview', () => {
  it('schemas: a gearbox/usage result maps to a valid snapshot; bad messages fail', () => {
    const snap = toSnapshot(result);
    assert.ok(UsageSnapshot.safeParse(snap).success);
    assert.ok(UsageHostToWebview.safeParse({ type: 'usage', range: '7d', scope: 'all', data: snap }).success);
    assert.ok(!UsageHostToWebview.safeParse({ type: 'usage', range: '1y', scope: 'all', data: snap }).success);
    assert.ok(
      !UsageHostToWebview.safeParse({
        type: 'usage',
        range: '7d',
        scope: 'all',
        data: { ...snap, totals: { ...snap.totals, costUsd: -1 } },
      }).success,
    );
    assert.ok(UsageWebviewToHost.safeParse({ type: 'setRange', range: '90d' }).success);
    assert.ok(!UsageWebviewToHost.safeParse({ type: 'setScope', scope: 'everything' }).success);
    assert.ok(!UsageWebviewToHost.safeParse({ type: 'run', command: 'rm -rf' }).success);
  });

  describe('bundle (built)', () => {
    before(function () {
      this.timeout(60_000);
      execFileSync(process.execPath, [path.resolve('scripts/build.mjs')], { stdio: 'inherit' });
      assert.ok(fs.existsSync(bundle), 'the build wrote dist/webview/usage.js');
      assert.ok(fs.existsSync('dist/webview/usage.css'), 'and its stylesheet');
    });

    it('renders chart, split, savings and budget bars; drops malformed messages; posts controls', () => {
      const posted: any[] = [];
      const dom = new JSDOM('<!DOCTYPE html><body><div id="app"></div></body>', {
        runScripts: 'outside-only',
        pretendToBeVisual: true,
      });
      const win = dom.window as any;
      win.acquireVsCodeApi = () => ({
        postMessage: (m: unknown) => posted.push(JSON.parse(JSON.stringify(m))),
        getState: () => undefined,
        setState: () => {},
      });
      win.eval(fs.readFileSync(bundle, 'utf8'));
      assert.deepEqual(posted[0], { type: 'ready' });
      const send = (data: unknown) => win.dispatchEvent(new win.MessageEvent('message', { data }));
      const doc = win.document as Document;

      send({ type: 'usage', range: '7d', scope: 'current', data: { ...toSnapshot(result), totals: 'nope' } });
      assert.equal(doc.querySelector('.gb-chart'), null, 'a malformed message is dropped');

      send({ type: 'usage', range: '7d', scope: 'current', data: toSnapshot(result) });
      assert.equal(doc.querySelectorAll('.gb-chart .gb-bar-cost').length, 3, 'one cost bar per day');
      assert.equal(doc.querySelectorAll('.gb-chart .gb-bar-counterfactual').length, 3);
      const heights = [...doc.querySelectorAll('.gb-chart .gb-bar-counterfactual')].map((r) =>
        Number(r.getAttribute('height')),
      );
      assert.ok(heights[2]! > heights[0]! && heights[1] === 0, `bars scale with the data: ${heights}`);
      assert.match(doc.body.textContent!, /\$2\.10/, 'savings');
      assert.match(doc.body.textContent!, /3 local \(60%\)/);
      assert.match(doc.body.textContent!, /\$0\.500 of \$0\.400/);
      assert.match(doc.body.textContent!, /At the cap/);
      assert.equal(doc.querySelectorAll('.gb-fill-over').length, 1, 'the daily cap is exceeded');
      assert.equal(doc.querySelector('img'), null, 'data never becomes markup');
      assert.match(doc.querySelector('.gb-model')!.textContent!, /<img src=x/);
      assert.equal(doc.querySelectorAll('[style]').length, 0, 'no inline styles (CSP)');

      const buttons = [...doc.querySelectorAll('button')] as HTMLButtonElement[];
      buttons.find((b) => b.textContent === '90d')!.click();
      buttons.find((b) => b.textContent === 'All')!.click();
      buttons.find((b) => b.getAttribute('aria-label') === 'Refresh')!.click();
      assert.deepEqual(posted.slice(1), [
        { type: 'setRange', range: '90d' },
        { type: 'setScope', scope: 'all' },
        { type: 'refresh' },
      ]);
      for (const m of posted) assert.ok(UsageWebviewToHost.safeParse(m).success);

      send({ type: 'error', message: 'daemon down <b>x</b>' });
      assert.match(doc.querySelector('.gb-error')!.textContent!, /daemon down <b>x<\/b>/);
      assert.equal(doc.querySelector('b'), null);
    });
  });
});
