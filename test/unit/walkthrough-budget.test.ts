// The walkthrough's decisions (open once, when nothing can serve yet; the routing choices; the
// sample of "Try completion") and the budget's status bar part, without VS Code.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { budgetStatus } from '../../extension/core/budget-status';
import {
  hasUsableLocalModel,
  routingChoices,
  shouldOpenWalkthrough,
  TRY_COMPLETION_SAMPLE,
  WALKTHROUGH_ID,
} from '../../extension/core/walkthrough-logic';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('walkthrough decisions', () => {
  it('opens on a first activation with no usable local model and no key, never again', () => {
    const fresh = { decidedBefore: false, models: [], providersWithKeys: [] };
    assert.equal(shouldOpenWalkthrough(fresh), true);
    assert.equal(shouldOpenWalkthrough({ ...fresh, decidedBefore: true }), false);
    assert.equal(shouldOpenWalkthrough({ ...fresh, providersWithKeys: ['openai'] }), false);
    assert.equal(shouldOpenWalkthrough({ ...fresh, models: [{ state: 'on-disk' }] }), false);
    assert.equal(shouldOpenWalkthrough({ ...fresh, models: [{ state: 'loaded' }] }), false);
    // The first start's automatic download is not a usable model yet: the walkthrough still helps.
    assert.equal(shouldOpenWalkthrough({ ...fresh, models: [{ state: 'downloading' }] }), true);
    assert.equal(hasUsableLocalModel([{ state: 'not-downloaded' }, { state: 'file-missing' }]), false);
  });

  it('the routing choices go from cheapest to best, then local only, marking the current one', () => {
    const choices = routingChoices({ mode: 'auto', quality: 5 });
    assert.deepEqual(
      choices.map((c) => [c.label, c.mode, c.quality]),
      [
        ['Cheapest', 'auto', 0],
        ['Thrifty', 'auto', 3],
        ['$(check) Balanced', 'auto', 5],
        ['Quality', 'auto', 8],
        ['Best', 'auto', 10],
        ['Local only', 'local-only', undefined],
      ],
    );
    const local = routingChoices({ mode: 'local-only', quality: 5 });
    assert.deepEqual(
      local.filter((c) => c.current).map((c) => c.label),
      ['$(check) Local only'],
    );
    assert.deepEqual(
      routingChoices({ mode: 'auto', quality: 7 }).filter((c) => c.current),
      [],
      'a value set by hand matches no level',
    );
  });

  it("Try completion's cursor is at the end of the sample, inside the function body", () => {
    const lines = TRY_COMPLETION_SAMPLE.text.split('\n');
    assert.equal(lines.length - 1, TRY_COMPLETION_SAMPLE.cursor.line);
    assert.equal(lines.at(-1)!.length, TRY_COMPLETION_SAMPLE.cursor.character);
    assert.match(lines[0]!, /^def \w+\(/);
  });

  it('package.json contributes the walkthrough, and every step has its media file and a button', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
    const w = pkg.contributes.walkthroughs.find((x: { id: string }) => x.id === WALKTHROUGH_ID);
    assert.ok(w, `walkthrough ${WALKTHROUGH_ID}`);
    const commands = new Set(pkg.contributes.commands.map((c: { command: string }) => c.command));
    assert.deepEqual(
      w.steps.map((s: { id: string }) => s.id),
      ['localModel', 'apiKeys', 'tryCompletion', 'tryChat', 'routing'],
    );
    for (const step of w.steps) {
      assert.ok(fs.existsSync(path.join(root, step.media.markdown)), step.media.markdown);
      const button = /\(command:([\w.]+)/.exec(step.description)?.[1];
      assert.ok(button && commands.has(button), `${step.id}: its button runs a contributed command (${button})`);
      assert.ok(step.completionEvents.length > 0, step.id);
    }
  });
});

const budget = (over: Partial<Parameters<typeof budgetStatus>[0]> = {}) => ({
  dailyUsd: 0,
  monthlyUsd: 0,
  spentTodayUsd: 0,
  spentMonthUsd: 0,
  ...over,
});

describe('budget in the status bar', () => {
  it('shows nothing without a cap', () => {
    assert.equal(budgetStatus(budget({ spentTodayUsd: 3 })), undefined);
  });

  it('shows spend against the cap closest to being reached', () => {
    const s = budgetStatus(budget({ dailyUsd: 5, monthlyUsd: 50, spentTodayUsd: 1.2, spentMonthUsd: 30 }));
    assert.equal(s?.text, '$(credit-card) $30.00/$50.00 this month');
    assert.equal(s?.level, 'ok');
    assert.equal(s?.tooltip, 'Budget: $1.20 of $5.00 today (24 %); $30.00 of $50.00 this month (60 %)');
    const daily = budgetStatus(budget({ dailyUsd: 2, spentTodayUsd: 0.5, spentMonthUsd: 30 }));
    assert.equal(daily?.text, '$(credit-card) $0.50/$2.00 today');
  });

  it('warns from 80 % and says what happens at the cap', () => {
    assert.equal(budgetStatus(budget({ dailyUsd: 5, spentTodayUsd: 4 }))?.level, 'near');
    const over = budgetStatus(budget({ monthlyUsd: 100, spentMonthUsd: 120 }));
    assert.equal(over?.level, 'over');
    assert.equal(over?.text, '$(warning) $120/$100 this month');
    assert.match(over?.tooltip ?? '', /only local models are used until it resets/);
  });
});
