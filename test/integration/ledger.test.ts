// The usage ledger: durable appends (a child killed with SIGKILL mid-writes loses nothing it
// acknowledged, and leaves nothing a reader trips on), torn lines, file modes, and the totals,
// budget and savings arithmetic across day and month boundaries in the local time zone.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { scanLedger, UsageLedger, type LedgerRecord } from '../../daemon/ledger';
import { addDays, localDay, resolveSince, UsageAggregator, UsageRangeError } from '../../daemon/usage/aggregate';
import { counterfactual, LEDGER_RECORD_VERSION } from '../../daemon/usage/record';
import type { ModelInfo } from '../../shared/protocol';
import { tempDir } from '../helpers/daemon-harness';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function rec(over: Partial<LedgerRecord> = {}): LedgerRecord {
  return {
    v: LEDGER_RECORD_VERSION,
    time: new Date().toISOString(),
    workspace: 'file:///w',
    task: 'chat',
    model: 'frontier/big',
    provider: 'frontier',
    local: false,
    inputTokens: 100,
    outputTokens: 50,
    costUsd: 0.01,
    latencyMs: 12,
    difficulty: 0.5,
    reasons: ['size'],
    outcome: 'ok',
    counterfactualUsd: 0.05,
    counterfactualModel: 'frontier/big',
    ...over,
  };
}

function model(over: Partial<ModelInfo> & { id: string }): ModelInfo {
  return {
    provider: over.id.split('/')[0]!,
    providerKind: 'openai-compatible',
    displayName: over.id,
    tier: 3,
    contextWindow: 100_000,
    inputPricePerMTok: 1,
    outputPricePerMTok: 1,
    local: false,
    private: false,
    tasks: ['completion', 'chat', 'refactor'],
    available: true,
    ...over,
  };
}

/** Complete (newline-terminated) lines that parse as JSON: what a reader must count, no more, no less. */
function completeJsonLines(file: string): number {
  const text = fs.readFileSync(file, 'utf8');
  const lines = text.split('\n');
  lines.pop(); // after the last newline: empty, or a torn fragment
  return lines.filter((l) => {
    try {
      JSON.parse(l);
      return true;
    } catch {
      return false;
    }
  }).length;
}

describe('usage ledger', () => {
  describe('durability', function () {
    this.timeout(60_000);

    const sigkillTitle =
      'a writer killed with SIGKILL mid-writes keeps every acknowledged record; ' +
      'the reader counts exactly the complete ones';
    it(sigkillTitle, async () => {
      if (process.platform === 'win32') return;
      const file = path.join(tempDir('gearbox-ledger-'), 'state', 'ledger.jsonl');
      const ledgerUrl = pathToFileURL(path.join(root, 'daemon', 'ledger.ts')).href;
      // Bursts of concurrent appends (batched into one write + fsync) and single ones, forever;
      // each acknowledged (durable) count is printed after record() resolves.
      const code = `
        const { UsageLedger } = await import(${JSON.stringify(ledgerUrl)});
        const ledger = UsageLedger.open(${JSON.stringify(file)});
        await ledger.ready;
        let n = 0;
        const rec = (i) => ({ v: 1, time: new Date().toISOString(), workspace: 'w',
          task: i % 3 ? 'completion' : 'chat', model: 'm/' + (i % 4), provider: 'm', local: i % 2 === 0,
          inputTokens: i, outputTokens: 1, costUsd: 0.001, latencyMs: 1, difficulty: 0.2, reasons: ['size'],
          outcome: 'ok', counterfactualUsd: 0.002, counterfactualModel: 'm/x',
          pad: 'x'.repeat(i % 700) });
        for (;;) {
          const burst = 1 + (n % 17);
          await Promise.all(Array.from({ length: burst }, (_, k) => ledger.append(rec(n + k))));
          n += burst;
          process.stdout.write(n + '\\n');
        }`;
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let acked = 0;
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          const last = d.toString().trim().split('\n').pop();
          if (last) acked = Math.max(acked, Number(last));
          if (acked >= 1500) resolve();
        });
        child.once('exit', (c) => reject(new Error(`writer exited early (${c}): ${stderr}`)));
      });
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));

      const expected = completeJsonLines(file);
      let seen = 0;
      const scan = await scanLedger(file, () => seen++);
      assert.equal(scan.records, expected, 'the reader counts exactly the complete records');
      assert.equal(seen, scan.records);
      assert.ok(
        scan.records >= acked,
        `every acknowledged record survived (${scan.records} on disk, ${acked} acknowledged)`,
      );
      assert.equal(scan.invalid, 0);
      assert.ok(scan.torn <= 1);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600);
      assert.equal(fs.statSync(path.dirname(file)).mode & 0o777, 0o700);

      // A restarted ledger loads the same totals and appends on a fresh line.
      const again = UsageLedger.open(file);
      await again.ready;
      assert.equal(again.aggregator.records, expected);
      await again.append(rec({ workspace: 'after-crash' }));
      await again.close();
      const rescan = await scanLedger(file, () => {});
      assert.equal(rescan.records, expected + 1);
      assert.equal(rescan.torn, 0);
    });

    it('skips and reports a torn last line, never crashes, and appends after it on a new line', async () => {
      const file = path.join(tempDir('gearbox-ledger-'), 'ledger.jsonl');
      const whole = [rec(), rec({ costUsd: 0.02 })].map((r) => `${JSON.stringify(r)}\n`).join('');
      fs.writeFileSync(file, whole + JSON.stringify(rec()).slice(0, 37), { mode: 0o644 });
      const scan = await scanLedger(file, () => {});
      assert.deepEqual(scan, { records: 2, torn: 1, invalid: 0 });

      const ledger = UsageLedger.open(file);
      await ledger.ready;
      assert.equal(ledger.skippedLines, 1);
      assert.equal(ledger.aggregator.records, 2);
      assert.equal(fs.statSync(file).mode & 0o777, 0o600, 'an existing ledger is tightened to 0600');
      await ledger.append(rec({ model: 'after/torn' }));
      await ledger.close();
      const models: string[] = [];
      const after = await scanLedger(file, (r) => models.push(r.model));
      assert.deepEqual(
        after,
        { records: 3, torn: 0, invalid: 1 },
        'the torn fragment is now a complete invalid line; the new record is intact',
      );
      assert.equal(models[2], 'after/torn');
      assert.ok(fs.readFileSync(file, 'utf8').startsWith(whole), 'O_APPEND: existing content untouched');
    });

    it('skips invalid lines in the middle, garbage and a missing file', async () => {
      const dir = tempDir('gearbox-ledger-');
      assert.deepEqual(await scanLedger(path.join(dir, 'none.jsonl'), () => {}), { records: 0, torn: 0, invalid: 0 });
      const file = path.join(dir, 'ledger.jsonl');
      fs.writeFileSync(
        file,
        `${[
          JSON.stringify(rec()),
          '{"v":1,"nope":true}',
          'not json',
          '',
          JSON.stringify(rec({ v: 99 as 1 })),
          JSON.stringify(rec()),
        ].join('\n')}\n`,
      );
      assert.deepEqual(await scanLedger(file, () => {}), { records: 2, torn: 0, invalid: 3 });
    });

    const flushTitle =
      'flushes everything queued on close, with one record per request, and writes synchronously after close';
    it(flushTitle, async () => {
      const file = path.join(tempDir('gearbox-ledger-'), 'ledger.jsonl');
      const ledger = UsageLedger.open(file);
      const pending = Array.from({ length: 250 }, (_, i) => ledger.append(rec({ inputTokens: i })));
      await ledger.close();
      assert.equal(completeJsonLines(file), 250);
      await Promise.all(pending);
      await ledger.append(rec({ model: 'late/one' }));
      assert.equal(completeJsonLines(file), 251);
      assert.match(fs.readFileSync(file, 'utf8'), /late\/one/);
    });

    it('keeps counting in memory when the file cannot be opened', async () => {
      const dir = tempDir('gearbox-ledger-');
      const blocker = path.join(dir, 'file');
      fs.writeFileSync(blocker, '');
      const ledger = UsageLedger.open(path.join(blocker, 'ledger.jsonl'));
      assert.equal(ledger.path, null);
      await ledger.append(rec());
      const u = ledger.usage({}, { workspaceId: 'file:///w', caps: { dailyUsd: 0, monthlyUsd: 0 } });
      assert.equal(u.totals.requests, 1);
      assert.equal(u.ledger.path, null);
      assert.equal(u.ledger.writeErrors, 1);
    });
  });

  describe('counterfactual', () => {
    const usage = { inputTokens: 1_000_000, outputTokens: 100_000 };
    it('is the most expensive available, allowed tier-3 closed model at the same token counts', () => {
      const catalog = [
        model({ id: 'a/cheap3', inputPricePerMTok: 1, outputPricePerMTok: 5 }),
        model({ id: 'b/pricey3', inputPricePerMTok: 10, outputPricePerMTok: 30 }),
        model({ id: 'c/nokey3', inputPricePerMTok: 100, outputPricePerMTok: 100, available: false }),
        model({ id: 'd/tier2', tier: 2, inputPricePerMTok: 50, outputPricePerMTok: 50 }),
        model({ id: 'local/x', provider: 'local', local: true, tier: 3, inputPricePerMTok: 0, outputPricePerMTok: 0 }),
      ];
      assert.deepEqual(counterfactual(catalog, usage, { task: 'chat', actualUsd: 0 }), { usd: 13, model: 'b/pricey3' });
      assert.deepEqual(counterfactual(catalog, usage, { task: 'chat', actualUsd: 0, allowedModels: ['cheap3'] }), {
        usd: 1.5,
        model: 'a/cheap3',
      });
      assert.deepEqual(
        counterfactual([catalog[2]!, catalog[3]!], usage, { task: 'chat', actualUsd: 0.7 }),
        { usd: 0.7, model: null },
        'none available: no savings claimed',
      );
    });
  });

  describe('totals, budget and savings in the local time zone', () => {
    const savedTz = process.env.TZ;
    before(() => {
      process.env.TZ = 'America/New_York';
    });
    after(() => {
      if (savedTz === undefined) delete process.env.TZ;
      else process.env.TZ = savedTz;
    });

    it('puts records on local days and months, across a day, a month and a DST boundary', () => {
      // 2024-03-01T04:30Z is still Feb 29 in New York (UTC-5).
      assert.equal(localDay(new Date('2024-03-01T04:30:00Z')), '2024-02-29');
      assert.equal(localDay(new Date('2024-03-01T05:30:00Z')), '2024-03-01');
      assert.equal(addDays('2024-03-09', 1), '2024-03-10');
      assert.equal(addDays('2024-03-10', 1), '2024-03-11', 'the DST day is one day');
      assert.equal(addDays('2024-11-03', 1), '2024-11-04');
      assert.equal(addDays('2024-02-28', 2), '2024-03-01');
      const now = new Date('2024-03-01T17:00:00Z');
      assert.equal(resolveSince('7d', now), '2024-02-24');
      assert.equal(resolveSince('1d', now), '2024-03-01');
      assert.equal(resolveSince(undefined, now), '2024-02-01');
      assert.equal(resolveSince('2024-02-20', now), '2024-02-20');
      assert.equal(resolveSince('2024-03-01T02:00:00Z', now), '2024-02-29');
      assert.throws(() => resolveSince('2024-02-30', now), UsageRangeError);
      assert.throws(() => resolveSince('0d', now), UsageRangeError);
      assert.throws(() => resolveSince('1900-01-01', now), UsageRangeError);
    });

    const sumsTitle =
      'sums per day, model, task and local/closed; budget is today and this month; savings = counterfactual − actual';
    it(sumsTitle, () => {
      const agg = new UsageAggregator();
      const W = 'file:///w';
      const records = [
        // Jan 31 late evening local = Feb 1 UTC: a January record.
        rec({ time: '2024-02-01T03:00:00Z', costUsd: 1.0, counterfactualUsd: 4.0 }),
        // Feb 29, 23:30 local (Mar 1 UTC).
        rec({ time: '2024-03-01T04:30:00Z', costUsd: 0.1, counterfactualUsd: 1.0, model: 'mid/m', provider: 'mid' }),
        // Mar 1, 00:30 local.
        rec({ time: '2024-03-01T05:30:00Z', costUsd: 0.2, counterfactualUsd: 2.0, task: 'refactor' }),
        rec({
          time: '2024-03-01T15:00:00Z',
          costUsd: 0,
          counterfactualUsd: 0.5,
          model: 'local/tiny',
          provider: 'local',
          local: true,
          task: 'completion',
        }),
        rec({
          time: '2024-03-01T15:01:00Z',
          costUsd: 0,
          counterfactualUsd: 0,
          model: 'local/tiny',
          provider: 'local',
          local: true,
          task: 'completion',
          outcome: 'cancelled',
        }),
        rec({
          time: '2024-03-01T16:00:00Z',
          costUsd: 0.05,
          counterfactualUsd: 0.05,
          workspace: 'cli',
          outcome: 'error',
        }),
      ];
      for (const r of records) agg.add(r);
      const caps = { dailyUsd: 1, monthlyUsd: 10 };

      // Just before local midnight on Feb 29.
      assert.deepEqual(agg.spent(new Date('2024-03-01T04:59:00Z')), { spentTodayUsd: 0.1, spentMonthUsd: 0.1 });
      // Mar 1 local: the month restarts; every workspace counts toward the budget.
      const now = new Date('2024-03-01T17:00:00Z');
      const b = agg.spent(now);
      assert.ok(Math.abs(b.spentTodayUsd - 0.25) < 1e-12);
      assert.ok(Math.abs(b.spentMonthUsd - 0.25) < 1e-12);
      assert.deepEqual(agg.spent(new Date('2024-02-15T12:00:00Z')), { spentTodayUsd: 0, spentMonthUsd: 0.1 });
      assert.deepEqual(agg.spent(new Date('2024-01-31T20:00:00Z')), { spentTodayUsd: 1, spentMonthUsd: 1 });

      const all = agg.query({ since: '2d', workspace: 'all', workspaceId: W, now, caps });
      assert.equal(all.since, '2024-02-29');
      assert.equal(all.until, '2024-03-01');
      assert.deepEqual(
        all.days.map((d) => [d.date, d.requests, d.localRequests, d.closedRequests]),
        [
          ['2024-02-29', 1, 0, 1],
          ['2024-03-01', 4, 2, 2],
        ],
      );
      assert.ok(Math.abs(all.days[1]!.costUsd - 0.25) < 1e-12);
      assert.ok(Math.abs(all.days[1]!.counterfactualUsd - 2.55) < 1e-12);
      assert.equal(all.totals.requests, 5);
      assert.equal(all.totals.okRequests, 3);
      assert.equal(all.totals.cancelledRequests, 1);
      assert.equal(all.totals.errorRequests, 1);
      assert.ok(Math.abs(all.totals.costUsd - 0.35) < 1e-12);
      assert.ok(Math.abs(all.totals.counterfactualUsd - 3.55) < 1e-12);
      assert.ok(Math.abs(all.savingsUsd - 3.2) < 1e-12);
      assert.equal(all.savingsUsd, all.totals.savingsUsd);
      assert.deepEqual(all.budget, {
        dailyUsd: 1,
        monthlyUsd: 10,
        spentTodayUsd: b.spentTodayUsd,
        spentMonthUsd: b.spentMonthUsd,
      });
      assert.deepEqual(
        all.byModel.map((m) => [m.key, m.requests, m.local]),
        [
          ['frontier/big', 2, false],
          ['mid/m', 1, false],
          ['local/tiny', 2, true],
        ],
      );
      assert.deepEqual(
        all.byTask.map((t) => [t.key, t.requests]),
        [
          ['refactor', 1],
          ['chat', 2],
          ['completion', 2],
        ],
      );

      const current = agg.query({ since: '2d', workspace: 'current', workspaceId: W, now, caps });
      assert.equal(current.totals.requests, 4, "another workspace's request is left out");
      assert.deepEqual(current.budget, all.budget, 'the budget counts every workspace');

      const month = agg.query({ since: '2024-01-01', workspace: 'all', workspaceId: W, now, caps });
      assert.equal(month.days.length, 31 + 29 + 1);
      assert.equal(month.totals.requests, 6);
      assert.equal(month.days.find((d) => d.date === '2024-01-31')!.requests, 1);
    });
  });
});
