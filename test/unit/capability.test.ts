// Capabilities from published results, the expected-cost choice, policy over both, and the
// explanation every routed decision gives.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildCatalog } from '../../daemon/catalog/catalog';
import { identifyGguf, localModelCapability, readGgufGeneral } from '../../daemon/catalog/gguf-identity';
import {
  capabilityOf,
  chooseByExpectedCost,
  identifyFromText,
  localCapability,
  route,
  successProbability,
  targetForQuality,
  tierCapability,
} from '../../daemon/routing';
import capabilities from '../../daemon/routing/capabilities.json' with { type: 'json' };
import { fitCapabilities, type Run } from '../../scripts/capability-fit';
import { type ModelCapability, RouteDecision, WorkspaceSettings } from '../../shared/protocol';
import { GgufValueType, writeGguf } from '../fixtures/make-test-model';
import { model } from '../helpers/catalog-models';

const cap = (theta: number, sd = 0.2): ModelCapability => ({ theta, sd, source: 'published', basis: 'test' });

describe('capability fit (Aider leaderboards → θ)', () => {
  it('is monotone in the published pass rate, and links two benchmarks through shared models', () => {
    // Ten models on the easy benchmark; every other one also on the hard one, where all rates are lower.
    const runs: Run[] = [];
    for (let i = 0; i < 10; i++) {
      const easy = 0.2 + 0.07 * i;
      runs.push({ model: `m${i}`, column: 'edit-2', passRate: easy, cases: 133 });
      if (i % 2 === 0)
        runs.push({ model: `m${i}`, column: 'polyglot-2', passRate: Math.max(0.01, easy - 0.25), cases: 225 });
    }
    runs.push({ model: 'hard-only-weak', column: 'polyglot-2', passRate: 0.05, cases: 225 });
    runs.push({ model: 'hard-only-strong', column: 'polyglot-2', passRate: 0.6, cases: 225 });
    const fit = fitCapabilities(runs);
    const t = (m: string) => fit.theta.get(m)!.theta;
    for (let i = 1; i < 10; i++) assert.ok(t(`m${i}`) > t(`m${i - 1}`), `m${i} ≤ m${i - 1}`);
    assert.ok(t('hard-only-strong') > t('hard-only-weak'));
    // The hard benchmark's offset is positive: the same pass rate there means a stronger model.
    assert.ok(fit.columns['polyglot-2']!.offset > 0, JSON.stringify(fit.columns));
    assert.ok(t('hard-only-strong') > t('m6'), 'a 60 % polyglot model beats a 62 % edit-only one');
    assert.equal(fit.columns['edit-2']!.offset, 0);
    assert.equal(fit.columns['edit-2']!.scale, 1);
    assert.equal(fit.linked, 5);
  });

  it('keeps the best run when a model was run several times', () => {
    const fit = fitCapabilities([
      { model: 'a', column: 'edit-2', passRate: 0.3, cases: 133 },
      { model: 'a', column: 'edit-2', passRate: 0.6, cases: 133 },
      { model: 'b', column: 'edit-2', passRate: 0.6, cases: 133 },
    ]);
    assert.equal(fit.theta.get('a')!.theta, fit.theta.get('b')!.theta);
  });

  it('ships a size ladder that rises with the published pass rates (Qwen2.5-Coder 0.5B → 32B)', () => {
    const ladder = (capabilities as unknown as { families: Record<string, { ladder: [number, number][] }> }).families[
      'qwen2.5-coder'
    ]!.ladder;
    assert.deepEqual(
      ladder.map(([p]) => p),
      [0.5, 1.5, 3, 7, 14, 32],
    );
    for (let i = 1; i < ladder.length; i++) assert.ok(ladder[i]![1] > ladder[i - 1]![1]);
    // Tier fallbacks rise with the tier, and every catalog estimate carries an uncertainty.
    for (let t = 1; t < 4; t++) assert.ok(tierCapability(t).theta > tierCapability(t - 1).theta);
    for (const c of Object.values((capabilities as { catalog: Record<string, { sd: number }> }).catalog))
      assert.ok(c.sd > 0);
  });
});

describe('capabilityOf', () => {
  it('uses the published run for a known catalog id', () => {
    const c = capabilityOf(model('openai/gpt-5', { tier: 3 }));
    assert.equal(c.source, 'published');
    assert.equal(c.basis, 'gpt-5 (medium)');
    const successor = capabilityOf(model('openai/gpt-5.5', { tier: 3 }));
    assert.equal(successor.source, 'successor');
    assert.equal(successor.theta, c.theta);
    assert.ok(successor.sd > c.sd, 'a successor is less certain than its published predecessor');
  });

  it('falls back to the tier, with a stated uncertainty, for a model nothing is known about', () => {
    for (const tier of [0, 1, 2, 3]) {
      const c = capabilityOf(model('acme/mystery-model', { tier }));
      assert.equal(c.source, 'tier');
      assert.deepEqual([c.theta, c.sd], [tierCapability(tier).theta, tierCapability(tier).sd]);
      assert.ok(c.sd >= 0.5);
      assert.match(c.basis, new RegExp(`tier ${tier} fallback`));
    }
  });

  it('reads family, size and quantisation from names; an unknown family uses the size curve', () => {
    assert.deepEqual(identifyFromText('hf:Qwen/Qwen2.5-Coder-7B-Instruct-GGUF:Q4_K_M'), {
      family: 'qwen2.5-coder',
      paramsB: 7,
      quant: 'Q4_K_M',
    });
    assert.deepEqual(identifyFromText('models/mixtral-8x7b-v0.1.Q5_K_M.gguf'), { paramsB: 56, quant: 'Q5_K_M' });
    const full = localCapability({ family: 'qwen2.5-coder', paramsB: 7 })!;
    const q4 = localCapability({ family: 'qwen2.5-coder', paramsB: 7, quant: 'Q4_K_M' })!;
    const q2 = localCapability({ family: 'qwen2.5-coder', paramsB: 7, quant: 'Q2_K' })!;
    assert.ok(full.theta > q4.theta && q4.theta > q2.theta, 'fewer bits, less capability');
    const mid = localCapability({ family: 'qwen2.5-coder', paramsB: 10 })!;
    assert.ok(mid.theta > full.theta && mid.theta < localCapability({ family: 'qwen2.5-coder', paramsB: 14 })!.theta);
    const unknown = localCapability({ paramsB: 7 })!;
    assert.equal(unknown.source, 'size');
    assert.ok(unknown.sd > full.sd);
    assert.equal(localCapability({ family: 'qwen2.5-coder' }), undefined, 'no size, no estimate');
  });

  it('reads a local GGUF: general.* metadata beats the file name', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gearbox-gguf-'));
    const file = path.join(dir, 'model.gguf');
    const str = (key: string, value: string) => ({ key, type: GgufValueType.STRING, value }) as const;
    writeGguf(
      file,
      [
        str('general.architecture', 'qwen2'),
        str('general.name', 'Qwen2.5 Coder 14B Instruct'),
        str('general.basename', 'Qwen2.5-Coder'),
        str('general.size_label', '14B'),
        { key: 'general.file_type', type: GgufValueType.UINT32, value: 15 },
        str('tokenizer.ggml.model', 'gpt2'),
      ],
      [],
    );
    const g = readGgufGeneral(file)!;
    assert.deepEqual([g.basename, g.sizeLabel, g.fileType], ['Qwen2.5-Coder', '14B', 15]);
    assert.deepEqual(identifyGguf(g, 'model.gguf'), { family: 'qwen2.5-coder', paramsB: 14, quant: 'Q4_K_M' });
    const c = localModelCapability({ id: 'local/x', source: file })!;
    assert.equal(c.source, 'family');
    assert.equal(c.basis, 'qwen2.5-coder 14B Q4_K_M');
    assert.equal(readGgufGeneral(path.join(dir, 'missing.gguf')), undefined);
    fs.writeFileSync(path.join(dir, 'not.gguf'), 'hello');
    assert.equal(readGgufGeneral(path.join(dir, 'not.gguf')), undefined);
    // The catalog attaches it to the local model.
    const catalog = buildCatalog({
      providers: [],
      localModels: [{ id: 'local/x', source: file }],
      providersWithKeys: new Set(),
      loadedLocal: new Set(),
      localCapability: localModelCapability,
    });
    assert.equal(catalog.find((m) => m.id === 'local/x')!.capability?.basis, 'qwen2.5-coder 14B Q4_K_M');
  });
});

describe('expected-cost choice', () => {
  const price = (m: { inputPricePerMTok: number }) => m.inputPricePerMTok / 1000;
  const local = model('local/small', { inputPricePerMTok: 0, outputPricePerMTok: 0, capability: cap(0.5) });
  const cheap = model('cloud/cheap', { inputPricePerMTok: 1, capability: cap(1.5) });
  const mid = model('cloud/mid', { inputPricePerMTok: 3, capability: cap(2.5) });
  const top = model('cloud/top', { inputPricePerMTok: 10, capability: cap(3.5) });
  const all = [top, mid, cheap, local];

  it('targets the probability routing.quality asks for', () => {
    assert.deepEqual([0, 5, 10].map(targetForQuality), [0.55, 0.75, 0.95]);
    assert.equal(targetForQuality(Number.NaN), 0.75);
  });

  it('picks the cheapest model meeting the target', () => {
    // b = 0: local P ≈ 0.62, cheap ≈ 0.81, mid ≈ 0.92, top ≈ 0.97.
    const c = chooseByExpectedCost({ candidates: all, b: 0, target: 0.75, price });
    assert.equal(c.ordered[0]!.model, 'cloud/cheap');
    assert.ok(c.meetsTarget);
    assert.equal(c.runnerUp?.model, 'cloud/mid', 'the cheapest model that would do better');
    // A lower bar lets the free model through; a higher one needs the stronger ones.
    assert.equal(chooseByExpectedCost({ candidates: all, b: 0, target: 0.55, price }).ordered[0]!.model, 'local/small');
    assert.equal(chooseByExpectedCost({ candidates: all, b: 0, target: 0.95, price }).ordered[0]!.model, 'cloud/top');
    // P(fail) × the escalation's price counts: a cheap model that often fails costs more than it seems.
    const flaky = model('cloud/flaky', { inputPricePerMTok: 2.5, capability: cap(2.17) });
    const solid = model('cloud/solid', { inputPricePerMTok: 3, capability: cap(5.2) });
    const pick = chooseByExpectedCost({ candidates: [flaky, solid, top], b: 1, target: 0.75, price });
    assert.equal(pick.ordered[0]!.model, 'cloud/solid');
    const est = (id: string) => pick.ordered.find((e) => e.model === id)!;
    assert.ok(est('cloud/flaky').expectedSuccess >= 0.75, 'both meet the target');
    assert.ok(est('cloud/flaky').priceUsd < est('cloud/solid').priceUsd);
    assert.ok(est('cloud/flaky').expectedCostUsd > est('cloud/solid').expectedCostUsd);
  });

  it('at the same price, takes the stronger for chat and refactor, the smaller for completions', () => {
    const big = model('local/big', { inputPricePerMTok: 0, outputPricePerMTok: 0, capability: cap(1.8) });
    // b = -1: local/small P ≈ 0.81, local/big ≈ 0.94, both free and meeting 0.75; the cloud is stronger still.
    const strong = chooseByExpectedCost({ candidates: [local, big, cheap, top], b: -1, target: 0.75, price });
    assert.equal(strong.ordered[0]!.model, 'local/big');
    assert.equal(strong.ordered[1]!.model, 'local/small', 'the weaker free model stays a fallback');
    const small = chooseByExpectedCost({
      candidates: [local, big, cheap, top],
      b: -1,
      target: 0.75,
      price,
      preferSmall: true,
    });
    assert.equal(small.ordered[0]!.model, 'local/small');
    // Two paid models at the same price: the one more likely to succeed.
    const twin = model('cloud/cheap-twin', { inputPricePerMTok: 1, capability: cap(2.2) });
    assert.equal(
      chooseByExpectedCost({ candidates: [cheap, twin, top], b: 0, target: 0.75, price }).ordered[0]!.model,
      'cloud/cheap-twin',
    );
    // Money still comes first: a free model meeting the target beats stronger paid ones.
    assert.equal(
      chooseByExpectedCost({ candidates: [local, cheap, top], b: -1, target: 0.75, price }).ordered[0]!.model,
      'local/small',
    );
  });

  it('takes the best available when none meets the target', () => {
    const c = chooseByExpectedCost({ candidates: all, b: 4, target: 0.75, price });
    assert.equal(c.meetsTarget, false);
    assert.equal(c.ordered[0]!.model, 'cloud/top');
    assert.ok(c.ordered[0]!.expectedSuccess < 0.75);
    // Far weaker ones are not fallbacks.
    assert.ok(c.tooWeak.some((e) => e.model === 'local/small'));
    assert.ok(!c.ordered.some((e) => e.model === 'local/small'));
  });

  it('measures "far weaker" in logits: at a request even the best rarely solves, the next best stays', () => {
    // b = 5: top expects ≈ 0.18, mid ≈ 0.08 (0.9 logits behind), cheap ≈ 0.03 and local ≈ 0.01 (far).
    const c = chooseByExpectedCost({ candidates: all, b: 5, target: 0.75, price });
    assert.deepEqual(
      c.ordered.map((e) => e.model),
      ['cloud/top', 'cloud/mid'],
    );
    assert.deepEqual(c.tooWeak.map((e) => e.model).sort(), ['cloud/cheap', 'local/small']);
  });

  it('widens P towards 0.5 when θ is unsure', () => {
    assert.ok(successProbability(2, 1, 0) < successProbability(2, 0, 0));
    assert.ok(successProbability(-2, 1, 0) > successProbability(-2, 0, 0));
  });

  it('learned adjustments move θ (the hook for per-user learning)', () => {
    const base = chooseByExpectedCost({ candidates: all, b: 0, target: 0.75, price });
    const down = chooseByExpectedCost({
      candidates: all,
      b: 0,
      target: 0.75,
      price,
      adjustments: { theta: { 'cloud/cheap': -1 } },
    });
    assert.equal(base.ordered[0]!.model, 'cloud/cheap');
    assert.equal(down.ordered[0]!.model, 'cloud/mid');
  });
});

describe('policy precedence over the expected-cost choice', () => {
  const settings = (over: Record<string, unknown> = {}) => WorkspaceSettings.parse(over);
  const free = model('pub/free-genius', {
    inputPricePerMTok: 0,
    outputPricePerMTok: 0,
    capability: cap(9),
  });
  const local = model('local/coder', { inputPricePerMTok: 0, outputPricePerMTok: 0, capability: cap(0) });
  const catalog = [free, local];

  it('a free, far stronger closed model never sees private code, secrets, or a disallowed workspace', () => {
    const prompt = 'refactor this module';
    assert.equal(route({ task: 'chat', prompt, settings: settings() }, catalog).model, 'pub/free-genius');
    for (const d of [
      route({ task: 'chat', prompt, settings: settings({ privateCode: true }) }, catalog),
      route({ task: 'chat', prompt, settings: settings({ routing: { mode: 'local-only' } }) }, catalog),
      route({ task: 'chat', prompt, settings: settings({ allowedModels: ['local/coder'] }) }, catalog),
      route({ task: 'chat', prompt: `${prompt} key=${'AKIA'}Z7QXWB4M2KD9RT5N`, settings: settings() }, catalog),
      route(
        {
          task: 'chat',
          prompt,
          settings: settings({ budget: { dailyUsd: 1, monthlyUsd: 0 } }),
          budget: { spentTodayUsd: 2, spentMonthUsd: 2 },
        },
        catalog,
      ),
    ]) {
      assert.equal(d.model, 'local/coder', d.summary);
      assert.ok(d.rejected.some((r) => r.model === 'pub/free-genius'));
      assert.ok(d.expectedSuccess !== undefined && d.targetSuccess === 0.75);
    }
  });
});

describe('every routed decision names its expected success and target', () => {
  it('over the built-in catalog with local models, for every task, hint and quality', () => {
    const catalog = buildCatalog({
      providers: [],
      localModels: [
        {
          id: 'local/qwen2.5-coder-1.5b',
          source: 'hf:Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF:Q8_0',
          tasks: ['completion'],
        },
        { id: 'local/qwen2.5-coder-7b', source: 'hf:Qwen/Qwen2.5-Coder-7B-Instruct-GGUF:Q4_K_M' },
      ],
      providersWithKeys: new Set(['openai', 'anthropic', 'gemini']),
      loadedLocal: new Set(),
    });
    const prompts = ['rename x', 'write a function that sums a list', 'find the race condition in this worker pool'];
    let n = 0;
    for (const task of ['completion', 'chat', 'refactor'] as const)
      for (const prompt of prompts)
        for (const hint of [undefined, 'best', 'stronger', 'local'] as const)
          for (const quality of [0, 5, 10]) {
            const input = { task, prompt, settings: WorkspaceSettings.parse({ routing: { quality } }) };
            const d = route(hint ? { ...input, hint } : input, catalog);
            RouteDecision.parse(d);
            assert.ok(d.model, d.summary);
            assert.equal(d.targetSuccess, targetForQuality(quality));
            assert.equal(d.expectedSuccess, d.chosen!.expectedSuccess);
            assert.equal(d.chosen!.model, d.model);
            assert.match(d.summary, /expected \d\.\d\d (≥|<) target \d\.\d\d, (\$|<\$)/, d.summary);
            n++;
          }
    assert.equal(n, 108);
  });
});
