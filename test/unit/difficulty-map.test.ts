import assert from 'node:assert/strict';
import { thetaFromLogit } from '../../daemon/routing/difficulty';
import { type AnchorGroup, fitThetaMap, fitThetaMapByMeanSuccess, meanSuccess } from '../../scripts/difficulty-map';

const logit = (p: number) => Math.log(p / (1 - p));
/** A group of logits spread evenly around its centre. */
const spread = (centre: number, width: number, n = 41) =>
  Array.from({ length: n }, (_, i) => centre + width * (i / (n - 1) - 0.5));

describe('difficulty map by mean success (scripts/difficulty-map.ts)', () => {
  it('without spread, is the line through θ − logit(rate)', () => {
    const groups: AnchorGroup[] = [
      { name: 'easy', family: 'a', task: 'chat', logits: spread(-2, 0), theta: 0.5, passRate: 0.86 },
      { name: 'hard', family: 'b', task: 'chat', logits: spread(1, 0), theta: 2, passRate: 0.1 },
    ];
    const byMean = fitThetaMapByMeanSuccess(groups);
    const byCentre = fitThetaMap(
      groups.map((g) => ({ ...g, meanLogit: g.logits[0]!, b: g.theta - logit(g.passRate) })),
    );
    assert.ok(Math.abs(byMean.slope - byCentre.slope) < 1e-6);
    assert.ok(Math.abs(byMean.intercept - byCentre.intercept) < 1e-6);
  });

  it("gives each group its published rate as its mean success, which moves a spread group's centre", () => {
    const groups: AnchorGroup[] = [
      { name: 'easy', family: 'a', task: 'chat', logits: spread(-2, 3), theta: 0.5, passRate: 0.86 },
      { name: 'hard', family: 'b', task: 'chat', logits: spread(1, 3), theta: 2, passRate: 0.1 },
    ];
    const map = fitThetaMapByMeanSuccess(groups);
    const bOf = (l: number) => thetaFromLogit({ ...map, min: -99, max: 99 }, l, 'chat');
    for (const g of groups) assert.ok(Math.abs(meanSuccess(g, bOf) - g.passRate) < 1e-3, g.name);
    // A rate above one half is an average over easy and hard tasks: the typical one is easier than
    // logit(rate) says (σ is concave there), and one below one half the other way.
    assert.ok(bOf(-2) < 0.5 - logit(0.86), 'the easy group centre is easier');
    assert.ok(bOf(1) > 2 - logit(0.1), 'the hard group centre is harder');
  });
});
