// End to end: an in-process daemon with a local model (FakeModelHost) and three fake
// OpenAI-compatible providers (a tier-2 model, and two tier-3 models at different prices). Three
// chats of rising difficulty land on the local, the mid-tier and the frontier model; the usage
// ledger, `gearbox/usage` and the CLI's `usage` command then show three records with the right
// models, costs and savings (savings against the most expensive available tier-3 model).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { scanLedger, type LedgerRecord } from '../../daemon/ledger';
import { UsageResult, type ChatResult } from '../../shared/protocol';
import { FakeModelHost } from '../fakes/fake-model-host';
import { startFakeOpenAI } from '../fakes/fake-openai';
import type { FakeServer } from '../fakes/fake-server';
import { startTestDaemon, tempDir, type TestDaemon } from '../helpers/daemon-harness';
import { buildBundles, runCli } from '../helpers/cli';

const MID = { input: 0.5, output: 2 };
const FRONTIER = { input: 5, output: 25 };
const PREMIUM = { input: 15, output: 75 };

const SNIPPET = `export function findUser(users: User[], query: Query, cache: Map<string, User>): User | undefined {
  if (!query.id && !query.email) {
    return undefined;
  }
  const key = query.id ?? query.email!;
  if (cache.has(key)) {
    const cached = cache.get(key);
    if (cached && !cached.deleted) {
      return cached;
    }
  }
  for (const user of users) {
    if (query.id && user.id === query.id) {
      cache.set(key, user);
      return user;
    }
    if (query.email && user.email.toLowerCase() === query.email.toLowerCase()) {
      cache.set(key, user);
    }
  }
  users.forEach((user) => {
    if (user.aliases?.includes(key)) {
      return user;
    }
  });
  const pending = pendingLookups.get(key);
  if (pending) {
    pending.then((found) => {
      if (found) cache.set(key, found);
    });
  }
  for (const group of query.groups ?? []) {
    const member = group.members.find((m) => m.id === key);
    if (member) {
      cache.set(key, member);
      break;
    }
  }
  logLookupMiss(key, users.length);
}`;

const cost = (p: { input: number; output: number }, u: { inputTokens: number; outputTokens: number }) =>
  (u.inputTokens * p.input + u.outputTokens * p.output) / 1e6;
const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} ≠ ${b}`);

describe('routing end to end: local, mid-tier and frontier, then usage', function () {
  this.timeout(120_000);
  let mid: FakeServer;
  let frontier: FakeServer;
  let premium: FakeServer;
  let d: TestDaemon;
  let host: FakeModelHost;
  let ledgerPath: string;
  const results: ChatResult[] = [];

  before(async () => {
    [mid, frontier, premium] = await Promise.all([
      startFakeOpenAI({ apiKey: 'mid-key-123456789' }),
      startFakeOpenAI({ apiKey: 'frontier-key-123456789' }),
      startFakeOpenAI({ apiKey: 'premium-key-123456789' }),
    ]);
    ledgerPath = path.join(tempDir('gearbox-e2e-'), 'state', 'ledger.jsonl');
    host = new FakeModelHost();
    host.reply = () => 'const userCount = 0;';
    const provider = (
      id: string,
      url: string,
      name: string,
      tier: number,
      p: { input: number; output: number },
      keyEnv: string,
    ) => ({
      id,
      kind: 'openai-compatible',
      baseUrl: url,
      apiKeyEnv: keyEnv,
      models: [{ name, tier, contextWindow: 128_000, inputPricePerMTok: p.input, outputPricePerMTok: p.output }],
    });
    d = await startTestDaemon(
      {
        ledgerPath,
        localModels: [{ id: 'local/coder', source: '/nonexistent/coder.gguf', tier: 0, contextSize: 8192 }],
        providers: [
          provider('midco', mid.url, 'mid-1', 2, MID, 'MIDCO_KEY'),
          provider('frontierco', frontier.url, 'frontier-1', 3, FRONTIER, 'FRONTIERCO_KEY'),
          provider('premiumco', premium.url, 'premium-1', 3, PREMIUM, 'PREMIUMCO_KEY'),
        ],
      },
      {
        modelHost: host,
        env: {
          PATH: process.env.PATH ?? '',
          MIDCO_KEY: 'mid-key-123456789',
          FRONTIERCO_KEY: 'frontier-key-123456789',
          PREMIUMCO_KEY: 'premium-key-123456789',
        },
      },
    );
  });
  after(async () => {
    await d?.stop();
    await Promise.all([mid?.close(), frontier?.close(), premium?.close()]);
  });

  it('routes three chats of rising difficulty to local, mid-tier and frontier', async () => {
    const c = await d.connect({ budget: { dailyUsd: 1, monthlyUsd: 20 } });
    const ask = (streamId: string, content: string, context?: { text: string; languageId: string }) =>
      c.request('gearbox/chat', { streamId, messages: [{ role: 'user', content }], ...(context ? { context } : {}) });

    const easy = await ask('e1', 'rename this variable');
    assert.equal(easy.model, 'local/coder', easy.route.summary);
    assert.equal(easy.route.requiredTier, 0);
    assert.equal(easy.costUsd, 0);

    const medium = await ask('e2', 'why does this function return undefined sometimes?', {
      text: SNIPPET,
      languageId: 'typescript',
    });
    assert.equal(medium.model, 'midco/mid-1', medium.route.summary);
    assert.ok(medium.route.requiredTier >= 1 && medium.route.requiredTier <= 2, `tier ${medium.route.requiredTier}`);
    assert.equal(mid.requests.length, 1);

    const hard = await ask(
      'e3',
      'design a lock-free concurrent queue and prove there is no race condition or deadlock @best',
    );
    assert.equal(hard.model, 'frontierco/frontier-1', `${hard.route.summary} (the cheapest tier-3 model)`);
    assert.equal(hard.route.requiredTier, 3);
    assert.equal(frontier.requests.length, 1);
    assert.equal(premium.requests.length, 0);

    close(medium.costUsd, cost(MID, medium.usage), 'mid cost');
    close(hard.costUsd, cost(FRONTIER, hard.usage), 'frontier cost');
    results.push(easy, medium, hard);
  });

  it('the ledger and gearbox/usage show three records with the right models, costs and savings', async () => {
    assert.ok(results.length >= 3);
    const [easy, medium, hard] = results as [ChatResult, ChatResult, ChatResult];
    const c = await d.connect({ budget: { dailyUsd: 1, monthlyUsd: 20 } });
    const u = await c.request('gearbox/usage', { since: '7d', workspace: 'all' });
    await d.engine.ledger.flush();

    const records: LedgerRecord[] = [];
    const scan = await scanLedger(ledgerPath, (r) => records.push(r));
    assert.deepEqual(scan, { records: 3, torn: 0, invalid: 0 });
    assert.deepEqual(
      records.map((r) => [r.model, r.provider, r.local, r.task, r.outcome, r.workspace]),
      [
        ['local/coder', 'local', true, 'chat', 'ok', 'cli'],
        ['midco/mid-1', 'midco', false, 'chat', 'ok', 'cli'],
        ['frontierco/frontier-1', 'frontierco', false, 'chat', 'ok', 'cli'],
      ],
    );
    const expectedCf = [easy, medium, hard].map((r) => cost(PREMIUM, r.usage));
    records.forEach((r, i) => {
      const res = [easy, medium, hard][i]!;
      assert.deepEqual([r.inputTokens, r.outputTokens], [res.usage.inputTokens, res.usage.outputTokens]);
      close(r.costUsd, res.costUsd, `record ${i} cost`);
      close(r.counterfactualUsd, expectedCf[i]!, `record ${i} counterfactual`);
      assert.equal(r.counterfactualModel, 'premiumco/premium-1');
      assert.equal(r.difficulty, res.route.difficulty);
      assert.ok(r.reasons.length <= 3);
    });
    assert.deepEqual(records[2]!.reasons.includes('hint:best'), true);
    const raw = fs.readFileSync(ledgerPath, 'utf8');
    for (const key of ['mid-key-123456789', 'frontier-key-123456789', 'premium-key-123456789'])
      assert.ok(!raw.includes(key), 'no key in the ledger');
    assert.ok(!raw.includes('lock-free concurrent queue'), 'no prompt text in the ledger');
    if (process.platform !== 'win32') assert.equal(fs.statSync(ledgerPath).mode & 0o777, 0o600);

    const actual = easy.costUsd + medium.costUsd + hard.costUsd;
    const cf = expectedCf.reduce((a, b) => a + b, 0);
    assert.equal(u.totals.requests, 3);
    assert.equal(u.totals.localRequests, 1);
    assert.equal(u.totals.closedRequests, 2);
    close(u.totals.costUsd, actual, 'total cost');
    close(u.totals.counterfactualUsd, cf, 'total counterfactual');
    close(u.savingsUsd, cf - actual, 'savings');
    assert.ok(u.savingsUsd > 0);
    assert.equal(u.days.length, 7);
    assert.equal(u.days[6]!.requests, 3);
    assert.deepEqual(
      u.byModel.map((m) => m.key),
      ['frontierco/frontier-1', 'midco/mid-1', 'local/coder'],
    );
    assert.deepEqual(
      u.byTask.map((t) => [t.key, t.requests]),
      [['chat', 3]],
    );
    assert.equal(u.budget.dailyUsd, 1);
    assert.equal(u.budget.monthlyUsd, 20);
    close(u.budget.spentTodayUsd, actual, 'spent today');
    close(u.budget.spentMonthUsd, actual, 'spent this month');
    assert.equal(u.ledger.path, ledgerPath);
  });

  it("the ledger's spend reaches the router: at the workspace's daily cap only local models are used", async () => {
    const spent = d.engine.ledger.budgetState().spentTodayUsd;
    assert.ok(spent > 0);
    const capped = await d.connect({ budget: { dailyUsd: spent / 2, monthlyUsd: 0 } });
    const res = await capped.request('gearbox/chat', {
      streamId: 'cap',
      messages: [{ role: 'user', content: 'design a lock-free queue @best' }],
    });
    assert.equal(res.model, 'local/coder', res.route.summary);
    assert.ok(res.route.rejected.some((r) => r.reason === 'over-budget' && r.model === 'frontierco/frontier-1'));
    results.push(res);
  });

  it('the CLI usage command (built bundle) shows the same numbers', async () => {
    await buildBundles();
    const env = { PATH: process.env.PATH, GEARBOX_RUNTIME_DIR: d.runtimeDir, HOME: tempDir() };
    const run = (args: string[]) => runCli(args, { env, timeoutMs: 30_000 });
    const json = await run(['usage', '--since', '7d', '--json']);
    assert.equal(json.code, 0, json.stderr);
    const u = UsageResult.parse(JSON.parse(json.stdout));
    assert.equal(u.totals.requests, 4, 'three routed chats and the capped one');
    assert.equal(u.workspace, 'all');
    const actual = results.reduce((s, r) => s + r.costUsd, 0);
    close(u.totals.costUsd, actual, 'CLI total');

    const text = await run(['usage', '--since', '7d']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /DATE\s+REQUESTS\s+LOCAL\s+CLOSED\s+COST\s+ON FRONTIER\s+SAVED/);
    assert.match(text.stdout, /TOTAL\s+4\s+2\s+2\s/);
    assert.match(text.stdout, /frontierco\/frontier-1/);
    // The CLI's connection has no workspace settings, so no caps (the daemon's defaults apply).
    assert.match(text.stdout, /today\s+no cap \(\$[\d.]+ spent\)/);
    assert.match(text.stdout, /this month\s+no cap \(\$[\d.]+ spent\)/);

    const bad = await run(['usage', '--since', 'yesterday']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since/);
  });
});
