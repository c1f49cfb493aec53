// gearbox/usage over a real daemon: records for chats and inline completions (local ones cost 0),
// cancelled requests, per-workspace filtering (LSP workspaceFolders), budget caps from the
// connection's settings, records loaded from an existing ledger (torn line reported), records on
// disk before the daemon reports it stopped, and the CLI's text rendering.
import 'vscode-jsonrpc/node';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CancellationTokenSource, createMessageConnection, type MessageConnection } from 'vscode-jsonrpc';
import { budgetBar, formatUsage } from '../../daemon/cli/format';
import { scanLedger, type LedgerRecord } from '../../daemon/ledger';
import { workspaceIdOf } from '../../daemon/session';
import { ErrorCodes, UsageResult } from '../../shared/protocol';
import { WebSocketMessageReader, WebSocketMessageWriter } from '../../shared/ws-transport';
import { openDaemonSocket } from '../../shared/daemon-socket';
import { readDiscovery } from '../../shared/discovery';
import { FakeModelHost } from '../fakes/fake-model-host';
import { startTestDaemon, tempDir, type TestDaemon } from '../helpers/daemon-harness';

const LOCAL = { id: 'local/tiny', source: '/nonexistent/tiny.gguf', tier: 0 };

/** An LSP client that announces workspace folders (the CLI client sends none). */
async function connectWithWorkspace(d: TestDaemon, folders: string[], settings: unknown): Promise<MessageConnection> {
  const socket = await openDaemonSocket(readDiscovery(d.paths)!, d.token);
  const conn = createMessageConnection(new WebSocketMessageReader(socket), new WebSocketMessageWriter(socket));
  conn.listen();
  await conn.sendRequest('initialize', {
    processId: process.pid,
    rootUri: folders[0] ?? null,
    workspaceFolders: folders.map((uri, i) => ({ uri, name: `f${i}` })),
    capabilities: {},
    initializationOptions: { settings },
  });
  await conn.sendNotification('initialized', {});
  return conn;
}

function line(over: Partial<LedgerRecord>): string {
  const r: LedgerRecord = {
    v: 1,
    time: new Date().toISOString(),
    workspace: 'file:///old',
    task: 'chat',
    model: 'openai/gpt-x',
    provider: 'openai',
    local: false,
    inputTokens: 1000,
    outputTokens: 100,
    costUsd: 0.25,
    latencyMs: 900,
    difficulty: 0.8,
    reasons: ['asks:design'],
    outcome: 'ok',
    counterfactualUsd: 0.5,
    counterfactualModel: 'openai/gpt-x',
    ...over,
  };
  return `${JSON.stringify(r)}\n`;
}

describe('gearbox/usage over the daemon', function () {
  this.timeout(30_000);
  let d: TestDaemon;
  let host: FakeModelHost;
  let ledgerPath: string;
  const conns: MessageConnection[] = [];

  beforeEach(async () => {
    ledgerPath = path.join(tempDir('gearbox-usage-'), 'ledger.jsonl');
    // An earlier daemon's records (one from yesterday), and a torn last line from a crash.
    const yesterday = new Date(Date.now() - 86_400_000).toISOString();
    fs.writeFileSync(
      ledgerPath,
      line({}) + line({ time: yesterday, costUsd: 0.5, counterfactualUsd: 0.5 }) + line({}).slice(0, 40),
    );
    host = new FakeModelHost();
    d = await startTestDaemon({ localModels: [LOCAL], ledgerPath }, { modelHost: host });
  });
  afterEach(async () => {
    for (const c of conns.splice(0)) c.dispose();
    await d.stop();
  });

  it('records chats and inline completions (local: cost 0), per workspace, with caps from the settings', async () => {
    const W = 'file:///home/me/project';
    const conn = await connectWithWorkspace(d, [W], { budget: { dailyUsd: 2, monthlyUsd: 30 } });
    conns.push(conn);
    await conn.sendRequest('gearbox/chat', {
      streamId: 's1',
      messages: [{ role: 'user', content: 'rename x to count' }],
    });
    const uri = 'file:///home/me/project/a.ts';
    await conn.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'typescript', version: 1, text: 'const a = ' },
    });
    await conn.sendRequest('textDocument/inlineCompletion', {
      textDocument: { uri },
      position: { line: 0, character: 10 },
      context: { triggerKind: 1 },
    });

    const current = UsageResult.parse(await conn.sendRequest('gearbox/usage', { since: '7d' }));
    assert.equal(current.workspace, 'current');
    assert.equal(current.workspaceId, W);
    assert.equal(current.totals.requests, 2);
    assert.equal(current.totals.localRequests, 2);
    assert.equal(current.totals.costUsd, 0);
    assert.deepEqual(current.byTask.map((t) => t.key).sort(), ['chat', 'completion']);
    assert.deepEqual(
      current.byModel.map((m) => [m.key, m.local, m.requests]),
      [['local/tiny', true, 2]],
    );
    assert.equal(current.budget.dailyUsd, 2);
    assert.equal(current.budget.monthlyUsd, 30);
    assert.equal(current.budget.spentTodayUsd, 0.25, 'the budget counts every workspace (the earlier record of today)');
    assert.equal(current.ledger.skippedLines, 1, 'the torn line was skipped and reported');

    const all = UsageResult.parse(await conn.sendRequest('gearbox/usage', { since: '7d', workspace: 'all' }));
    assert.equal(all.totals.requests, 4);
    assert.equal(all.totals.closedRequests, 2);
    assert.equal(all.totals.costUsd, 0.75);
    assert.equal(all.savingsUsd, 0.25);
    assert.equal(all.days.at(-1)!.requests, 3);
    assert.equal(all.days.at(-2)!.requests, 1);
    const today = UsageResult.parse(await conn.sendRequest('gearbox/usage', { since: '1d', workspace: 'all' }));
    assert.equal(today.totals.requests, 3);
    assert.deepEqual(d.engine.ledger.budgetState(), { spentTodayUsd: 0.25, spentMonthUsd: all.budget.spentMonthUsd });

    await d.engine.ledger.flush();
    const recs: LedgerRecord[] = [];
    await scanLedger(ledgerPath, (r) => recs.push(r));
    const mine = recs.filter((r) => r.workspace === W);
    assert.deepEqual(
      mine.map((r) => [r.task, r.model, r.local, r.costUsd, r.outcome]),
      [
        ['chat', 'local/tiny', true, 0, 'ok'],
        ['completion', 'local/tiny', true, 0, 'ok'],
      ],
    );
    assert.equal(host.calls[1]!.kind, 'complete');
    assert.ok(
      mine[1]!.outputTokens > 0 && mine[1]!.inputTokens === 10,
      'the local completion carries its token counts',
    );
  });

  it('a CLI connection is workspace "cli"; a cancelled chat is recorded as cancelled', async () => {
    const c = await d.connect();
    host.chunkDelayMs = 20;
    host.reply = () => 'a long answer that streams slowly enough to cancel';
    const cts = new CancellationTokenSource();
    const started = new Promise<void>((r) => host.onStart(() => r()));
    const p = c.request('gearbox/chat', { streamId: 'x', messages: [{ role: 'user', content: 'hello' }] }, cts);
    await started;
    await new Promise((r) => setTimeout(r, 50));
    cts.cancel();
    await assert.rejects(p, (e: { code?: number }) => e.code === ErrorCodes.RequestCancelled);
    await new Promise((r) => setTimeout(r, 50));
    const u = await c.request('gearbox/usage', {});
    assert.equal(u.workspaceId, 'cli');
    assert.equal(u.totals.requests, 1);
    assert.equal(u.totals.cancelledRequests, 1);
    assert.equal(u.days.length, 30, 'default range: the last 30 days');
  });

  it('rejects a bad since with -32602', async () => {
    const c = await d.connect();
    await assert.rejects(
      c.connection.sendRequest('gearbox/usage', { since: 'last week' }),
      (e: { code?: number }) => e.code === ErrorCodes.InvalidParams,
    );
    await assert.rejects(
      c.connection.sendRequest('gearbox/usage', { since: '2024-02-30' }),
      (e: { code?: number; message?: string }) =>
        e.code === ErrorCodes.InvalidParams && /calendar date/.test(e.message ?? ''),
    );
  });

  it('every record is on disk when the daemon reports it stopped', async () => {
    const c = await d.connect();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        c.request('gearbox/chat', { streamId: `b${i}`, messages: [{ role: 'user', content: `hi ${i}` }] }),
      ),
    );
    await d.stop();
    const scan = await scanLedger(ledgerPath, () => {});
    assert.equal(scan.records, 2 + 20);
    assert.equal(scan.invalid, 1, 'the old torn line, now terminated, is skipped');
    assert.equal(scan.torn, 0);
  });
});

describe('usage helpers', () => {
  it('a workspace id is the sorted folder URIs, else rootUri, else cli', () => {
    assert.equal(workspaceIdOf([{ uri: 'file:///b' }, { uri: 'file:///a' }], 'file:///b'), 'file:///a file:///b');
    assert.equal(workspaceIdOf(null, 'file:///r'), 'file:///r');
    assert.equal(workspaceIdOf(undefined, null), 'cli');
  });

  it('draws budget bars and the usage table', () => {
    assert.equal(budgetBar('today', 0.5, 2, 8), 'today  [##......]  $0.500 of $2.00 (25%)');
    assert.match(budgetBar('today', 3, 2, 8), /\[########\].*150%.*AT CAP/);
    assert.equal(budgetBar('month', 1.234, 0), 'month  no cap ($1.23 spent)');
    const text = formatUsage({
      since: '2024-03-01',
      until: '2024-03-02',
      workspace: 'all',
      workspaceId: 'cli',
      totals: {
        requests: 3,
        okRequests: 3,
        errorRequests: 0,
        cancelledRequests: 0,
        localRequests: 2,
        closedRequests: 1,
        inputTokens: 10,
        outputTokens: 5,
        costUsd: 0.5,
        counterfactualUsd: 2,
        savingsUsd: 1.5,
      },
      days: [
        { date: '2024-03-01', costUsd: 0, counterfactualUsd: 0, requests: 0, localRequests: 0, closedRequests: 0 },
        { date: '2024-03-02', costUsd: 0.5, counterfactualUsd: 2, requests: 3, localRequests: 2, closedRequests: 1 },
      ],
      byModel: [
        {
          key: 'a/b',
          provider: 'a',
          local: false,
          requests: 1,
          inputTokens: 5,
          outputTokens: 5,
          costUsd: 0.5,
          counterfactualUsd: 1,
        },
      ],
      byTask: [{ key: 'chat', requests: 3, inputTokens: 10, outputTokens: 5, costUsd: 0.5, counterfactualUsd: 2 }],
      savingsUsd: 1.5,
      budget: { dailyUsd: 1, monthlyUsd: 0, spentTodayUsd: 0.5, spentMonthUsd: 0.5 },
      ledger: { path: '/x/ledger.jsonl', skippedLines: 1, writeErrors: 0 },
    });
    assert.match(text, /2024-03-02\s+3\s+2\s+1\s+\$0\.500\s+\$2\.00\s+\$1\.50/);
    assert.match(text, /TOTAL\s+3\s+2\s+1\s+\$0\.500\s+\$2\.00\s+\$1\.50/);
    assert.match(text, /67% local/);
    assert.match(text, /today\s+\[#{12}\.{12}\]\s+\$0\.500 of \$1\.00 \(50%\)/);
    assert.match(text, /1 damaged line/);
  });
});
