// Learning from the user (daemon/learning): the calibration moves with feedback, within its bounds,
// reaches the router's decisions, persists, recovers from a broken file, resets, and does nothing
// with routing.learning off.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import {
  adjustmentsOf,
  emptyState,
  HALF_LIFE_DAYS,
  learn,
  LearningState,
  MAX_OFFSET,
  MAX_OFFSET_STEP,
  MAX_SHIFT,
  MAX_STEP,
  type Observation,
} from '../../daemon/learning/learner';
import { LearningStore } from '../../daemon/learning/learning-store';
import { RoutingFeedback } from '../../daemon/learning/routing-feedback';
import { UsageLedger } from '../../daemon/ledger';
import { createLogger } from '../../daemon/log';
import { route, tierCapability } from '../../daemon/routing';
import { type ModelInfo, WorkspaceSettings } from '../../shared/protocol';
import { tempDir } from '../helpers/daemon-harness';

const NOW = new Date('2026-03-02T10:00:00Z');
const DAY = 86_400_000;

function model(id: string, tier: number, input: number, output: number): ModelInfo {
  return {
    id,
    provider: id.split('/')[0]!,
    providerKind: 'openai-compatible',
    displayName: id,
    tier,
    contextWindow: 128_000,
    inputPricePerMTok: input,
    outputPricePerMTok: output,
    local: false,
    private: false,
    tasks: ['chat', 'refactor'],
    available: true,
    capability: tierCapability(tier),
  };
}

const MID = model('midco/mid-1', 2, 1, 4);
const LARGE = model('bigco/large-1', 3, 3, 15);
const CATALOG = [MID, LARGE];
const SETTINGS = WorkspaceSettings.parse({ routing: { quality: 3 } });
const REQUEST = {
  task: 'refactor' as const,
  prompt: 'simplify: ',
  selectionText: 'def area(w, h):\n    return w * h\n',
  languageId: 'python',
};

/** A rejection of `m` at difficulty b (θ scale). */
function rejection(m: ModelInfo, b: number, over: Partial<Observation> = {}): Observation {
  return {
    model: m.id,
    publishedTheta: m.capability!.theta,
    publishedSd: m.capability!.sd,
    b,
    task: 'refactor',
    language: 'python',
    y: 0,
    weight: 1,
    movesTheta: true,
    ...over,
  };
}

describe('routing learning: the learner', () => {
  it('repeated rejections of a model move its θ down and the next decision one tier up', () => {
    const first = route({ ...REQUEST, settings: SETTINGS }, CATALOG);
    assert.equal(first.model, MID.id, first.summary);
    let state = emptyState();
    const shifts: number[] = [];
    let decision = first;
    for (let i = 0; i < 5 && decision.model === MID.id; i++) {
      const out = learn(state, rejection(MID, first.estimatedB!), NOW);
      state = out.state;
      shifts.push(out.thetaShift);
      decision = route(
        { ...REQUEST, settings: SETTINGS, adjustments: adjustmentsOf(state, 'refactor', 'python', NOW) },
        CATALOG,
      );
    }
    assert.equal(decision.model, LARGE.id, decision.summary);
    assert.equal(LARGE.tier, MID.tier + 1);
    assert.ok(shifts.length >= 2, `one rejection is not enough to give up on a model that met the target: ${shifts}`);
    shifts.forEach((s, i) => assert.ok(s < (shifts[i - 1] ?? 0), `θ moves down with each rejection: ${shifts}`));
    assert.ok(adjustmentsOf(state, 'refactor', 'python', NOW).difficultyOffset > 0, 'python refactors count as harder');
    assert.match(decision.summary, /difficulty learned from your feedback on refactors/);
  });

  it('acceptances move θ up and the offset down', () => {
    const out = learn(emptyState(), rejection(MID, 0.7, { y: 1 }), NOW);
    assert.ok(out.thetaShift > 0);
    assert.ok(out.offsetShift < 0);
  });

  it('moves are bounded: per signal, in total, and a completion never moves θ', () => {
    const one = learn(emptyState(), rejection(MID, -3), NOW);
    assert.ok(Math.abs(one.thetaShift) <= MAX_STEP + 1e-12, `one step: ${one.thetaShift}`);
    assert.ok(Math.abs(one.offsetShift) <= MAX_OFFSET_STEP + 1e-12, `one step: ${one.offsetShift}`);
    let state = emptyState();
    for (let i = 0; i < 500; i++) state = learn(state, rejection(MID, -3), NOW).state;
    const adj = adjustmentsOf(state, 'refactor', 'python', NOW);
    assert.equal(adj.theta[MID.id], -MAX_SHIFT);
    assert.ok(adj.difficultyOffset <= MAX_OFFSET && adj.difficultyOffset > 0);
    const completion = learn(emptyState(), rejection(MID, 0, { task: 'completion', movesTheta: false }), NOW);
    assert.deepEqual(Object.keys(completion.state.models), []);
    assert.ok(completion.offsetShift > 0);
  });

  it('old feedback fades: a shift halves in HALF_LIFE_DAYS and its uncertainty comes back', () => {
    const { state } = learn(emptyState(), rejection(MID, 0.7), NOW);
    const later = new Date(NOW.getTime() + HALF_LIFE_DAYS * DAY);
    const now = adjustmentsOf(state, 'refactor', 'python', NOW);
    const then = adjustmentsOf(state, 'refactor', 'python', later);
    assert.ok(Math.abs(then.theta[MID.id]! - now.theta[MID.id]! / 2) < 1e-9);
    assert.ok(Math.abs(then.difficultyOffset - now.difficultyOffset / 2) < 1e-9);
  });

  it('offsets are per task and language; other requests are untouched', () => {
    const { state } = learn(emptyState(), rejection(MID, 0.7), NOW);
    assert.equal(adjustmentsOf(state, 'refactor', 'typescript', NOW).difficultyOffset, 0);
    assert.equal(adjustmentsOf(state, 'chat', 'python', NOW).difficultyOffset, 0);
    assert.ok(adjustmentsOf(state, 'refactor', 'Python', NOW).difficultyOffset > 0, 'language ids are case-blind');
  });
});

describe('routing learning: state on disk', () => {
  it('round-trips through the store', async () => {
    const file = path.join(tempDir('gearbox-learn-'), 'state', 'routing-learning.json');
    const store = new LearningStore(file);
    const { state } = learn(emptyState(), rejection(MID, 0.7), NOW);
    await store.save(state);
    assert.deepEqual(new LearningStore(file).load(), state);
    if (process.platform !== 'win32') assert.equal(fs.statSync(file).mode & 0o777, 0o600);
  });

  it('a corrupt or invalid file is moved aside and learning starts from the published numbers', async () => {
    for (const content of ['{"v":1,"models":{', JSON.stringify({ ...emptyState(), models: { x: { shift: 'a' } } })]) {
      const file = path.join(tempDir('gearbox-learn-'), 'routing-learning.json');
      fs.writeFileSync(file, content);
      const warnings: string[] = [];
      const loaded = new LearningStore(file, createLogger({ write: (l) => warnings.push(l) })).load();
      assert.deepEqual(loaded, emptyState());
      assert.equal(fs.readFileSync(`${file}.corrupt`, 'utf8'), content, 'kept for inspection');
      assert.ok(!fs.existsSync(file));
      assert.match(warnings.join('\n'), /invalid; moved aside/);
      assert.ok(LearningState.safeParse(loaded).success);
    }
  });
});

describe('routing learning: feedback, setting and reset', () => {
  function setup(now = () => NOW) {
    const file = path.join(tempDir('gearbox-learn-'), 'routing-learning.json');
    const ledger = UsageLedger.inMemory({ now });
    const fb = new RoutingFeedback({ ledger, store: new LearningStore(file), now });
    const answer = (requestId: string, client = 'c1') =>
      fb.answered({
        requestId,
        client,
        workspace: 'w',
        task: 'refactor',
        language: 'python',
        model: MID,
        difficulty: 0.27,
        b: 0.7,
        saved: true,
      });
    return { fb, ledger, file, answer };
  }
  const on = SETTINGS;
  const off = WorkspaceSettings.parse({ routing: { quality: 3, learning: false } });

  it("only this client's recent requests take feedback, each signal once", async () => {
    const { fb, answer } = setup();
    answer('r-aaaaaaaa');
    const theirs = await fb.feedback(
      { requestId: 'r-aaaaaaaa', signal: 'edit-rejected' },
      { client: 'c2', settings: on },
    );
    assert.deepEqual(theirs, { recorded: false, learned: false, refused: 'unknown-request' });
    const made = await fb.feedback(
      { requestId: 'r-bbbbbbbb', signal: 'edit-rejected' },
      { client: 'c1', settings: on },
    );
    assert.equal(made.refused, 'unknown-request');
    const ok = await fb.feedback({ requestId: 'r-aaaaaaaa', signal: 'edit-rejected' }, { client: 'c1', settings: on });
    assert.deepEqual(ok, { recorded: true, learned: true });
    const again = await fb.feedback(
      { requestId: 'r-aaaaaaaa', signal: 'edit-rejected' },
      { client: 'c1', settings: on },
    );
    assert.equal(again.refused, 'duplicate');
    fb.forgetClient('c1');
    const gone = await fb.feedback({ requestId: 'r-aaaaaaaa', signal: 'code-copied' }, { client: 'c1', settings: on });
    assert.equal(gone.refused, 'unknown-request');
  });

  it('learning off changes nothing: no adjustments, nothing learned, the signal still recorded', async () => {
    const { fb, answer } = setup();
    answer('r-aaaaaaaa');
    answer('r-cccccccc');
    await fb.feedback({ requestId: 'r-aaaaaaaa', signal: 'edit-rejected' }, { client: 'c1', settings: on });
    const before = fb.stats({}, { workspaceId: 'w', settings: off });
    assert.equal(fb.adjustmentsFor(off, 'refactor', 'python'), undefined);
    const decision = route(
      { ...REQUEST, settings: off, adjustments: fb.adjustmentsFor(off, 'refactor', 'python') },
      CATALOG,
    );
    assert.deepEqual(decision, route({ ...REQUEST, settings: off }, CATALOG));
    const r = await fb.feedback({ requestId: 'r-cccccccc', signal: 'edit-rejected' }, { client: 'c1', settings: off });
    assert.deepEqual(r, { recorded: true, learned: false });
    const after = fb.stats({}, { workspaceId: 'w', settings: off });
    assert.deepEqual(after.models, before.models);
    assert.deepEqual(after.difficulty, before.difficulty);
    assert.equal(after.learning, false);
    assert.equal(after.byModel[0]!.signals['edit-rejected'], 2, 'both signals are in the ledger');
  });

  it('a reset restores the published numbers, on disk too', async () => {
    const { fb, file, answer } = setup();
    answer('r-aaaaaaaa');
    await fb.feedback({ requestId: 'r-aaaaaaaa', signal: 'edit-rejected' }, { client: 'c1', settings: on });
    assert.ok((fb.adjustmentsFor(on, 'refactor', 'python')?.theta?.[MID.id] ?? 0) < 0);
    const r = await fb.reset();
    assert.deepEqual([r.models, r.difficulty], [1, 1]);
    assert.deepEqual(fb.adjustmentsFor(on, 'refactor', 'python'), { theta: {}, difficultyOffset: 0 });
    const decision = route(
      { ...REQUEST, settings: on, adjustments: fb.adjustmentsFor(on, 'refactor', 'python') },
      CATALOG,
    );
    assert.equal(decision.model, route({ ...REQUEST, settings: on }, CATALOG).model);
    const saved = new LearningStore(file).load();
    assert.deepEqual([saved.models, saved.offsets, saved.resetAt], [{}, {}, NOW.toISOString()]);
    assert.equal(fb.stats({}, { workspaceId: 'w', settings: on }).resetAt, NOW.toISOString());
  });
});
