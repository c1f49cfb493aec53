// Fits the difficulty estimator's text weights, its learned vocabulary and its map onto the
// capability scale, and writes daemon/routing/weights.json.
//
//   npm run calibrate:difficulty      (npm run calibrate runs the capability fit first)
//
// Data (scripts/difficulty-data.ts): train splits only — LeetCode (the shared file's 80 % by id,
// plus other releases' problems it does not hold; outside the repo), our editor prompts, our short
// function tasks vs long open-ended requests, our function stubs, MBPP as text and as code (outside
// the repo). Held-out splits are never fitted on, and never scored here: bench/routing-quality.ts
// reports them. What this prints is cross-validated, in-sample, or on our dev split.
// Features: extractFeatures() from daemon/routing/difficulty.ts, the same code the router runs,
// plus a vocabulary selected from the train rows (scripts/difficulty-vocabulary.ts).
// Model (scripts/difficulty-fit.ts): logistic regression for P(hard) with soft labels (easy 0,
// medium 0.5, hard 1), sign constraints so hard asks and size never lower the score, each data set
// weighing the same. One scale for every source (no domain intercept): the router sees only the text.
// Then the score's logit is mapped onto the capability scale (scripts/difficulty-map.ts) through
// anchor groups with a known b: a 7B coder on short function tasks, GPT-4 on LeetCode
// Easy/Medium/Hard, and our editor labels placed by judgement.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import capabilities from '../daemon/routing/capabilities.json' with { type: 'json' };
import { localCapability, successProbability } from '../daemon/routing/capability';
import { type ThetaMap, thetaFromLogit } from '../daemon/routing/difficulty';
import { targetForQuality } from '../daemon/routing/expected-cost';
import type { TaskKind } from '../shared/protocol';
import { auc, type Label, loadAll, root } from './difficulty-data';
import { counts, crossValidate, fit, LAMBDA, logit, r4, type Row, toRow } from './difficulty-fit';
import { type AnchorGroup, type AnchorPoint, fitThetaMapByMeanSuccess, meanSuccess } from './difficulty-map';
import { selectVocabulary, VOCABULARY_SIZE } from './difficulty-vocabulary';

const OUT = path.join(root, 'daemon/routing/weights.json');
const K = 5;

/** Published anchors on the capability scale (θ from capabilities.json). */
interface Anchor {
  name: string;
  /** Anchors of one family (function tasks, our editor labels, LeetCode) weigh the same in total. */
  family: string;
  task: TaskKind;
  rows: Row[];
  /** Capability θ of the model the rate was published for, and its pass rate on this group. */
  theta: number;
  passRate: number;
  source: string;
}

const logitOf = (p: number) => Math.log(p / (1 - p));

function main(): void {
  const { items, missing } = loadAll();
  for (const m of missing) console.log(`absent (skipped): ${m}`);
  const train = items.filter((i) => i.split === 'train').map(toRow);
  const dev = items.filter((i) => i.split === 'dev').map(toRow);
  const heldout = items.filter((i) => i.split === 'heldout').map(toRow);
  const exercism = items.filter((i) => i.split === 'anchor' && i.source === 'exercism').map(toRow);
  const bySource = (rows: Row[]) => {
    const out: Record<string, ReturnType<typeof counts>> = {};
    for (const src of new Set(rows.map((r) => r.source))) out[src] = counts(rows.filter((r) => r.source === src));
    return out;
  };
  console.log(`train: ${JSON.stringify(bySource(train))}`);
  console.log(`held-out (never fitted on): ${JSON.stringify(bySource(heldout))}`);

  const leet = train.filter((r) => r.domain === 'leetcode');
  const rest = train.filter((r) => r.domain !== 'leetcode');
  const editor = train.filter((r) => r.domain === 'editor');
  // Cross-validated on the shared file's train split (comparable across versions); the other
  // LeetCode releases are always in the training folds.
  const shared = leet.filter((r) => r.source === 'leetcode');
  const cvLeet = shared.length
    ? crossValidate(
        shared,
        train.filter((r) => r.source !== 'leetcode'),
        K,
        selectVocabulary,
      )
    : undefined;
  if (cvLeet) console.log(`LeetCode train, Hard vs Easy, ${K}-fold CV AUC: ${cvLeet.mean} ± ${cvLeet.sd}`);
  const cvEditor = crossValidate(editor, [...leet, ...rest.filter((r) => r.domain !== 'editor')], K, selectVocabulary);
  console.log(`editor prompts, hard vs easy, ${K}-fold CV AUC: ${cvEditor.mean} ± ${cvEditor.sd}`);

  const vocabulary = selectVocabulary(train);
  const model = fit(train, vocabulary);
  // No domain term: every row is scored the way the router will.
  const runtimeLogit = (r: Row) => logit(model, r);

  // Anchors: Qwen2.5-Coder-7B-Instruct solves ~86 % of short function tasks (HumanEval 88.4,
  // MBPP 83.5, Qwen2.5-Coder technical report); GPT-4 solved 31/41 Easy, 21/80 Medium and 3/45
  // Hard fresh LeetCode problems (GPT-4 technical report).
  const caps = capabilities as unknown as {
    families: Record<string, { ladder: [number, number][] }>;
    published: Record<string, { theta: number }>;
  };
  const theta7b = caps.families['qwen2.5-coder']!.ladder.find(([p]) => p === 7)![1];
  const thetaGpt4 = caps.published['gpt-4-0314']!.theta;
  const fnRows = train.filter((r) => r.domain === 'function');
  // Our own editor labels are placed by judgement, not measurement: easy (rename, document) as hard as
  // a short function task, medium as a LeetCode Medium, hard as a LeetCode Hard. They anchor per task,
  // so the map can learn how much higher the fit rates a refactor than a chat of the same label.
  const ed = (label: Label, task: TaskKind) => editor.filter((r) => r.label === label && r.task === task);
  const editorAnchor = (label: Label, task: TaskKind): Anchor => ({
    name: `editor ${['easy', 'medium', 'hard'][label]} ${task}`,
    family: 'editor',
    task,
    rows: ed(label, task),
    theta: label === 0 ? theta7b : thetaGpt4,
    passRate: [0.86, 21 / 80, 3 / 45][label]!,
    source: `our label ≈ ${['function task', 'LeetCode Medium', 'LeetCode Hard'][label]}`,
  });
  const anchors: Anchor[] = [
    {
      name: 'function tasks',
      family: 'function',
      task: 'chat' as const,
      rows: fnRows,
      theta: theta7b,
      passRate: 0.86,
      source: 'Qwen2.5-Coder-7B-Instruct',
    },
    // Aider's edit benchmark is these Exercism exercises (instructions and stub): the 7B solves 57.9 %
    // of them after one round of test errors, the very run its θ comes from.
    ...(exercism.length
      ? [
          {
            name: 'Exercism (Aider edit)',
            family: 'function',
            task: 'chat' as const,
            rows: exercism,
            theta: theta7b,
            passRate: 0.579,
            source: 'Qwen2.5-Coder-7B-Instruct, Aider edit',
          },
        ]
      : []),
    ...(['chat', 'refactor'] as const).flatMap((task) => ([0, 1, 2] as const).map((l) => editorAnchor(l, task))),
    ...([0, 1, 2] as const).map(
      (label): Anchor => ({
        name: `LeetCode ${['Easy', 'Medium', 'Hard'][label]}`,
        family: 'leetcode',
        task: 'chat',
        rows: leet.filter((r) => r.label === label),
        theta: thetaGpt4,
        passRate: [31 / 41, 21 / 80, 3 / 45][label]!,
        source: 'GPT-4 (0314)',
      }),
    ),
  ].filter((a) => a.rows.length);
  const anchorPoints: AnchorPoint[] = anchors.map((a) => ({
    name: a.name,
    family: a.family,
    task: a.task,
    meanLogit: a.rows.reduce((t, r) => t + runtimeLogit(r), 0) / a.rows.length,
    b: a.theta - logitOf(a.passRate),
  }));
  const groups: AnchorGroup[] = anchors.map((a) => ({
    name: a.name,
    family: a.family,
    task: a.task,
    logits: a.rows.map(runtimeLogit),
    theta: a.theta,
    passRate: a.passRate,
  }));
  const fitted = fitThetaMapByMeanSuccess(groups);

  const thetaMap: ThetaMap = {
    intercept: r4(fitted.intercept),
    slope: r4(fitted.slope),
    refactorShift: r4(fitted.refactorShift),
    min: r4(fitted.min),
    max: r4(fitted.max),
  };
  for (const [i, p] of anchorPoints.entries()) {
    const a = anchors[i]!;
    console.log(
      `  anchor ${p.name.padEnd(22)} n=${a.rows.length} mean logit ${p.meanLogit.toFixed(2)} → b ${p.b.toFixed(2)}` +
        ` (${a.source}); mapped ${thetaFromLogit(thetaMap, p.meanLogit, p.task).toFixed(2)}, mean success ` +
        `${meanSuccess(groups[i]!, (l) => thetaFromLogit(thetaMap, l, p.task)).toFixed(3)} vs ${a.passRate.toFixed(3)}`,
    );
  }
  console.log(`  map: ${JSON.stringify(thetaMap)}`);

  // Held-out sets are not scored here: bench/routing-quality.ts reports them, after the fit is done.
  // What is printed for development is cross-validated or in-sample on train data only.
  const local7b = localCapability({ family: 'qwen2.5-coder', paramsB: 7, quant: 'Q4_K_M' })!;
  const mapB = (r: Row) => thetaFromLogit(thetaMap, runtimeLogit(r), r.task);
  const localShare = (rows: Row[]) =>
    r4(
      rows.filter((r) => successProbability(local7b.theta, local7b.sd, mapB(r)) >= targetForQuality(5)).length /
        rows.length,
    );
  const trainShares = Object.fromEntries(
    [...new Set(train.map((r) => r.source))].map((src) => {
      const rows = train.filter((r) => r.source === src);
      return [
        src,
        ([0, 1, 2] as const)
          .map((l) => rows.filter((r) => r.label === l))
          .map((g) => (g.length ? localShare(g) : null)),
      ];
    }),
  );
  console.log(
    `in-sample local share at quality 5 (7B Q4_K_M) by source, [easy, medium, hard]: ${JSON.stringify(trainShares)}`,
  );
  if (exercism.length) {
    const easy = exercism.filter((r) => r.label === 0);
    const harder = exercism.filter((r) => r.label > 0);
    const exAuc = r4(auc(harder.map(runtimeLogit), easy.map(runtimeLogit)));
    console.log(
      `Exercism (weights never fitted on it), AUC medium or hard vs easy: ${exAuc} (${harder.length} + ` +
        `${easy.length}); local share at quality 5: ${localShare(exercism)}, of the easy ones ${localShare(easy)}`,
    );
  }
  for (const src of new Set(dev.map((r) => r.source))) {
    const rows = dev.filter((r) => r.source === src);
    const meanB = rows.reduce((t, r) => t + mapB(r), 0) / rows.length;
    console.log(
      `dev ${src} (not fitted) local share at quality 5: ${localShare(rows)} of ${rows.length}, ` +
        `mean b ${meanB.toFixed(2)}`,
    );
  }

  const out = {
    description:
      'Difficulty estimator weights (daemon/routing/difficulty.ts). ' +
      'Written by scripts/calibrate-difficulty.ts; do not edit by hand.',
    model:
      'logistic regression for P(hard), soft labels (easy 0, medium 0.5, hard 1), standardised features, L2, ' +
      'sign-constrained (projected Adam); raw-scale weights below; theta maps the logit to b on the capability scale',
    createdAt: new Date().toISOString().slice(0, 10),
    k: K,
    lambda: LAMBDA,
    vocabularySize: VOCABULARY_SIZE,
    datasets: { train: bySource(train), anchor: bySource(exercism), heldout: bySource(heldout), absent: missing },
    metrics: {
      leetcodeCvAucHardVsEasy: cvLeet ?? null,
      editorCvAucHardVsEasy: cvEditor,
    },
    theta: thetaMap,
    thetaAnchors: anchorPoints.map((p, i) => ({
      ...p,
      meanLogit: r4(p.meanLogit),
      b: r4(p.b),
      n: anchors[i]!.rows.length,
      source: anchors[i]!.source,
    })),
    intercept: {
      chat: r4(model.intercept.chat),
      refactor: r4(model.intercept.refactor),
    },
    weights: Object.fromEntries(Object.entries(model.weights).map(([k, w]) => [k, r4(w)])),
    // Words the fit gave no weight are left out: the runtime only looks up words that count.
    terms: Object.fromEntries(
      Object.entries(model.terms)
        .map(([k, w]) => [k, r4(w)] as const)
        .filter(([, w]) => w !== 0),
    ),
  };
  fs.writeFileSync(OUT, `${JSON.stringify(out, null, 2)}\n`);
  // In the repo's own format, so that a recalibration's diff is the numbers that moved.
  execFileSync(path.join(root, 'node_modules/.bin/biome'), ['format', '--write', OUT], { stdio: 'ignore' });
  console.log(`wrote ${path.relative(root, OUT)}`);
  console.log(JSON.stringify(out.weights));
}

main();
