// Learning from the user through the daemon: refactors rejected by their client (gearbox/feedback)
// move the calibration, and the next refactor of that kind goes one tier up; an accepted completion
// (its item's command, workspace/executeCommand) is recorded; only the asking connection may give
// feedback; routing.learning off changes nothing; the state survives a restart; `gearbox usage
// --routing` shows it and `--reset-routing` forgets it. Nothing of the prompt reaches the ledger.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { InlineCompletionList } from 'vscode-languageserver';
import { LEARNING_FILE } from '../../daemon/learning/learning-store';
import { scanLedger } from '../../daemon/ledger';
import type { FeedbackRecord } from '../../daemon/usage/feedback-record';
import type { DaemonClient } from '../../daemon/cli/client';
import { COMPLETION_ACCEPTED_COMMAND, RoutingStatsResult, type WorkspaceSettings } from '../../shared/protocol';
import { FakeModelHost } from '../fakes/fake-model-host';
import { startFakeOpenAI } from '../fakes/fake-openai';
import type { FakeServer } from '../fakes/fake-server';
import { startTestDaemon, tempDir, type TestDaemon } from '../helpers/daemon-harness';
import { buildBundles, runCli } from '../helpers/cli';

const URI = 'file:///work/geometry.py';
const CODE = 'def area(w, h):\n    return w * h\n';
const INSTRUCTION_MARKER = 'area(w: float';
const KEYS = { MIDCO_KEY: 'mid-key-123456789', BIGCO_KEY: 'big-key-123456789' };
/** A 67 % target: the tier-2 model meets it for this request, until feedback says otherwise. */
const SETTINGS: Partial<WorkspaceSettings> = { routing: { mode: 'auto', quality: 3 } };

describe('routing learns from feedback (daemon, fakes)', function () {
  this.timeout(120_000);
  let mid: FakeServer;
  let big: FakeServer;
  let d: TestDaemon;
  let state: string;
  let ledgerPath: string;
  const host = new FakeModelHost();
  host.reply = () => 'return sum(xs)';

  const config = () => ({
    ledgerPath,
    localModels: [{ id: 'local/coder', source: '/nonexistent/coder.gguf', tier: 0, tasks: ['completion'] }],
    providers: [
      {
        id: 'midco',
        kind: 'openai-compatible',
        baseUrl: mid.url,
        apiKeyEnv: 'MIDCO_KEY',
        models: [{ name: 'mid-1', tier: 2, contextWindow: 128_000, inputPricePerMTok: 1, outputPricePerMTok: 4 }],
      },
      {
        id: 'bigco',
        kind: 'openai-compatible',
        baseUrl: big.url,
        apiKeyEnv: 'BIGCO_KEY',
        models: [{ name: 'big-1', tier: 3, contextWindow: 128_000, inputPricePerMTok: 3, outputPricePerMTok: 15 }],
      },
    ],
  });
  const start = async () =>
    startTestDaemon(config(), { modelHost: host, env: { PATH: process.env.PATH ?? '', ...KEYS } });

  before(async () => {
    [mid, big] = await Promise.all([
      startFakeOpenAI({ apiKey: KEYS.MIDCO_KEY }),
      startFakeOpenAI({ apiKey: KEYS.BIGCO_KEY }),
    ]);
    const answer = () => ({
      kind: 'reply' as const,
      text: `\`\`\`python\ndef ${INSTRUCTION_MARKER}, h: float):\n\`\`\``,
    });
    mid.setScript(answer);
    big.setScript(answer);
    state = path.join(tempDir('gearbox-learning-'), 'state');
    ledgerPath = path.join(state, 'ledger.jsonl');
    d = await start();
  });
  after(async () => {
    await d?.stop();
    await Promise.all([mid?.close(), big?.close()]);
  });

  const open = async (c: DaemonClient) =>
    c.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri: URI, languageId: 'python', version: 1, text: CODE },
    });
  const simplify = (c: DaemonClient) =>
    c.request('gearbox/refactor', {
      kind: 'simplify',
      uri: URI,
      range: { start: { line: 0, character: 0 }, end: { line: 2, character: 0 } },
      languageId: 'python',
    });

  it('two rejected refactors of a kind: the third goes one tier up, and says why', async () => {
    const c = await d.connect(SETTINGS);
    await open(c);
    const served: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await simplify(c);
      served.push(r.model);
      assert.match(r.requestId ?? '', /^r-/);
      assert.deepEqual(await c.request('gearbox/feedback', { requestId: r.requestId!, signal: 'edit-rejected' }), {
        recorded: true,
        learned: true,
      });
    }
    assert.deepEqual(served, ['midco/mid-1', 'midco/mid-1'], 'the tier-2 model meets the target until rejected twice');
    const third = await simplify(c);
    assert.equal(third.model, 'bigco/big-1', third.route.summary);
    assert.match(third.route.summary, /difficulty learned from your feedback on refactors/);

    const stats = await c.request('gearbox/routing/stats', { since: '7d' });
    const m = stats.models.find((x) => x.model === 'midco/mid-1')!;
    assert.ok(m.shift < 0 && m.theta < m.publishedTheta, JSON.stringify(m));
    assert.equal(m.signals, 2);
    const off = stats.difficulty.find((x) => x.task === 'refactor' && x.language === 'python')!;
    assert.ok(off.shift > 0);
    const row = stats.byModel.find((x) => x.key === 'midco/mid-1')!;
    assert.deepEqual([row.tier, row.requests, row.signals['edit-rejected'], row.acceptanceRate], [2, 2, 2, 0]);
    assert.equal(stats.byTier.find((t) => t.tier === 3)!.requests, 1);
    assert.equal(stats.learning, true);
    assert.equal(stats.statePath, path.join(state, LEARNING_FILE));
  });

  it('only the asking connection may name its requests, and each signal counts once', async () => {
    const a = await d.connect(SETTINGS);
    await open(a);
    const r = await simplify(a);
    const b = await d.connect(SETTINGS);
    const other = await b.request('gearbox/feedback', { requestId: r.requestId!, signal: 'edit-accepted' });
    assert.deepEqual(other, { recorded: false, learned: false, refused: 'unknown-request' });
    // The daemon checks the params itself (the raw connection skips the client's own check).
    await assert.rejects(
      b.connection.sendRequest('gearbox/feedback', { requestId: 'not-an-id', signal: 'edit-accepted', prompt: 'x' }),
      { code: -32602 },
    );
    const ok = await a.request('gearbox/feedback', { requestId: r.requestId!, signal: 'code-copied' });
    assert.equal(ok.recorded, true);
    const twice = await a.request('gearbox/feedback', { requestId: r.requestId!, signal: 'code-copied' });
    assert.equal(twice.refused, 'duplicate');
  });

  it('an accepted completion runs its command: the daemon records it', async () => {
    const c = await d.connect(SETTINGS);
    const uri = 'file:///work/total.py';
    await c.connection.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'python', version: 1, text: 'def total(xs):\n    ' },
    });
    const list = (await c.connection.sendRequest('textDocument/inlineCompletion', {
      textDocument: { uri },
      position: { line: 1, character: 4 },
      context: { triggerKind: 1 },
    })) as InlineCompletionList;
    const command = list.items[0]!.command!;
    assert.equal(command.command, COMPLETION_ACCEPTED_COMMAND);
    await c.connection.sendRequest('workspace/executeCommand', command);
    const stats = await c.request('gearbox/routing/stats', { since: '7d' });
    const local = stats.byModel.find((x) => x.key === 'local/coder')!;
    assert.deepEqual(
      [local.completions, local.signals['completion-accepted'], local.completionAcceptanceRate],
      [1, 1, 1],
    );
    assert.equal(
      stats.models.find((x) => x.model === 'local/coder'),
      undefined,
      'completions never move a θ',
    );
  });

  it('routing.learning off: the published numbers route, and its feedback is recorded, not learned', async () => {
    const c = await d.connect({ routing: { mode: 'auto', quality: 3, learning: false } });
    await open(c);
    const before = await c.request('gearbox/routing/stats', { since: '7d' });
    const r = await simplify(c);
    assert.equal(r.model, 'midco/mid-1', r.route.summary);
    assert.doesNotMatch(r.route.summary, /feedback/);
    assert.deepEqual(await c.request('gearbox/feedback', { requestId: r.requestId!, signal: 'edit-rejected' }), {
      recorded: true,
      learned: false,
    });
    const after = await c.request('gearbox/routing/stats', { since: '7d' });
    assert.deepEqual(after.models, before.models);
    assert.deepEqual(after.difficulty, before.difficulty);
    assert.equal(after.learning, false);
  });

  it('the ledger holds the signals and no prompt text; the calibration survives a restart', async () => {
    await d.engine.ledger.flush();
    await d.engine.learning.flush();
    const feedback: FeedbackRecord[] = [];
    await scanLedger(
      ledgerPath,
      () => {},
      undefined,
      (f) => feedback.push(f),
    );
    assert.deepEqual(
      feedback.map((f) => [f.signal, f.model, f.learned]),
      [
        ['edit-rejected', 'midco/mid-1', true],
        ['edit-rejected', 'midco/mid-1', true],
        ['code-copied', 'bigco/big-1', true],
        ['completion-accepted', 'local/coder', true],
        ['edit-rejected', 'midco/mid-1', false],
      ],
    );
    assert.deepEqual([feedback[0]!.task, feedback[0]!.language, feedback[0]!.tier], ['refactor', 'python', 2]);
    const raw = fs.readFileSync(ledgerPath, 'utf8') + fs.readFileSync(path.join(state, LEARNING_FILE), 'utf8');
    for (const text of ['def area', 'return w * h', 'def total', 'sum(xs)', INSTRUCTION_MARKER, ...Object.values(KEYS)])
      assert.ok(!raw.includes(text), `not in the ledger or the state: ${text}`);
    if (process.platform !== 'win32') assert.equal(fs.statSync(path.join(state, LEARNING_FILE)).mode & 0o777, 0o600);

    await d.stop();
    d = await start();
    const c = await d.connect(SETTINGS);
    await open(c);
    const r = await simplify(c);
    assert.equal(r.model, 'bigco/big-1', `learned before the restart: ${r.route.summary}`);
  });

  it('`gearbox usage --routing` shows it; `--reset-routing` forgets it and routing is as published again', async () => {
    await buildBundles();
    const env = { PATH: process.env.PATH, GEARBOX_RUNTIME_DIR: d.runtimeDir, HOME: tempDir() };
    const run = (args: string[]) => runCli(args, { env, timeoutMs: 30_000 });
    const text = await run(['usage', '--routing']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /learning on/);
    // Two rejections learned, one recorded with learning off; the copied answer was the frontier model's.
    assert.match(text.stdout, /midco\/mid-1\s+2\s+3\s+0\/3\/0\s+0%/, text.stdout);
    assert.match(text.stdout, /bigco\/big-1\s+3\s+\d+\s+1\/0\/0\s+100%/);
    assert.match(text.stdout, /tier 2\s+2\s+3\s+0\/3\/0\s+0%/);
    assert.match(text.stdout, /midco\/mid-1\s+1\.58\s+\d\.\d\d\s+-0\.\d\d/);
    assert.match(text.stdout, /refactor · python\s+\+0\.\d\d/);
    assert.match(text.stdout, /Saved -?\$[\d.]+ \(90% band/);
    const json = await run(['usage', '--routing', '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.ok(RoutingStatsResult.parse(JSON.parse(json.stdout)).models.length > 0);

    const reset = await run(['usage', '--reset-routing']);
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(reset.stdout, /forgot 2 model shifts and 2 difficulty offsets/);
    const c = await d.connect(SETTINGS);
    await open(c);
    const r = await simplify(c);
    assert.equal(r.model, 'midco/mid-1', r.route.summary);
    assert.match((await run(['usage', '--routing'])).stdout, /unchanged: no feedback learned yet/);
  });
});
