// The best evaluation and early stopping on synthetic metric streams (a real overfitting run is in
// test/integration/trainer.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BestTracker } from '../../src/trainer/bestEvaluation';

/** Feeds test NLLs at steps 100, 200, ...; returns each observation and the step patience ran out at. */
function feed(tracker: BestTracker, values: number[]) {
  const seen = values.map((testNll, i) => ({ step: 100 * (i + 1), ...tracker.observe(100 * (i + 1), { testNll, other: 1 }) }));
  return { seen, exhaustedAt: seen.find((s) => s.exhausted)?.step };
}

test('the best is the lowest score so far; patience counts evaluations in a row that do not beat it (a tie does not)', () => {
  const tracker = new BestTracker('testNll', 3, undefined);
  const { seen, exhaustedAt } = feed(tracker, [3.2, 3.0, 3.1, 2.9, 2.9, 3.5, 3.4, 4, 5]);
  assert.deepEqual(seen.filter((s) => s.improved).map((s) => s.step), [100, 200, 400]);
  assert.equal(exhaustedAt, 700, 'three evaluations after the best at step 400');
  assert.deepEqual(tracker.best, { step: 400, metric: 'testNll', value: 2.9 });
});

test('without a patience it never stops; without the metric in the evaluations there is no best', () => {
  assert.equal(feed(new BestTracker('testNll', undefined, undefined), [1, 2, 3, 4, 5, 6]).exhaustedAt, undefined);
  const imageGan = new BestTracker('js', 2, undefined);
  const { seen } = feed(imageGan, [1, 2, 3, 4]);
  assert.ok(seen.every((s) => !s.improved && !s.exhausted));
  assert.equal(imageGan.best, undefined);
  const noMetric = new BestTracker(undefined, 2, undefined);
  assert.equal(feed(noMetric, [1, 2, 3]).exhaustedAt, undefined);
});

test("a resumed run's best is beaten only by a better one; a non-finite score is never the best", () => {
  const resumed = new BestTracker('testNll', 2, { step: 300, metric: 'testNll', value: 2.5 });
  const { seen, exhaustedAt } = feed(resumed, [2.7, NaN, 2.6, 2.4]);
  assert.deepEqual(seen.map((s) => s.improved), [false, false, false, true]);
  assert.equal(exhaustedAt, 300, 'the NaN does not count either way');
  assert.deepEqual(resumed.best, { step: 400, metric: 'testNll', value: 2.4 });
});
