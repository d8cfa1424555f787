import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { completeConfig } from '../../src/protocol/config';
import { initBackend } from '../../src/trainer/backend/select';
import type { Dataset, PointDataset } from '../../src/trainer/data/dataset';
import { UserError } from '../../src/shared/userError';
import { gaussianFamily, gaussianNll, moments } from '../../src/trainer/families/gaussian';
import { Rng } from '../../src/trainer/rng';
import { eightGaussians, pointData } from './pointData';

const makeData = (dim: 1 | 2, train: ArrayLike<number>, test: ArrayLike<number>, extent: [number, number, number, number] = [-10, 10, -10, 10]) => pointData(dim, train, test, extent);

before(async () => {
  await initBackend('wasm');
});


async function saved(model: ReturnType<typeof gaussianFamily.create>): Promise<{
  mean: number[];
  covariance: number[][];
  closedForm: { mean: number[]; covariance: number[][]; trainNll: number; testNll: number };
}> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-gaussian-'));
  try {
    await model.save(path.join(dir, 'ckpt'));
    return JSON.parse(fs.readFileSync(path.join(dir, 'ckpt', 'gaussian.json'), 'utf8'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

test('2-D closed form: sample mean, biased covariance and NLL match values computed by hand', async () => {
  // x: 0 1 2 3 4, y: 0 1 1 3 5. Mean (2, 2); deviations x -2 -1 0 1 2, y -2 -1 -1 1 3;
  // biased covariance [[10/5, 12/5], [12/5, 16/5]] = [[2, 2.4], [2.4, 3.2]], det 0.64.
  const data = makeData(2, [0, 0, 1, 1, 2, 1, 3, 3, 4, 5], [2, 2, 3, 2]);
  const model = gaussianFamily.create(completeConfig({ family: 'gaussian' }), data, new Rng(0));
  const { closedForm } = await saved(model);
  assert.deepEqual(closedForm.mean, [2, 2]);
  close(closedForm.covariance[0][0], 2, 1e-12, 'var0');
  close(closedForm.covariance[0][1], 2.4, 1e-12, 'cov01');
  close(closedForm.covariance[1][0], 2.4, 1e-12, 'cov10');
  close(closedForm.covariance[1][1], 3.2, 1e-12, 'var1');
  // Train NLL: log 2pi + 1/2 log det + d/2 (the mean Mahalanobis distance of the fit's own data is d = 2).
  close(closedForm.trainNll, Math.log(2 * Math.PI) + 0.5 * Math.log(0.64) + 1, 1e-12, 'train NLL');
  // Test points (2, 2) and (3, 2): Mahalanobis 0 and 5 (cov^-1 = [[5, -3.75], [-3.75, 3.125]]).
  const testNll = Math.log(2 * Math.PI) + 0.5 * Math.log(0.64) + 0.5 * 2.5;
  close(closedForm.testNll, testNll, 1e-12, 'test NLL');
  close(model.evaluate().closedFormTestNll, testNll, 1e-12, 'evaluate().closedFormTestNll');
  // Before training the model is N(median, I) = N((2, 1), I): the test points lie 1 and √2 from
  // it, so its test NLL is log 2pi + mean |x - m|^2 / 2 = log 2pi + (1 + 2) / 4.
  close(model.evaluate().testNll, Math.log(2 * Math.PI) + 3 / 4, 1e-6, 'N(median, I) test NLL');
  model.dispose();
});

test('1-D closed form matches values computed by hand', async () => {
  // 1 2 3 4 10: mean 4, deviations -3 -2 -1 0 6, biased variance 50 / 5 = 10.
  const data = makeData(1, [1, 2, 3, 4, 10], [4, 6]);
  const model = gaussianFamily.create(completeConfig({ family: 'gaussian', dataset: 'bimodal' }), data, new Rng(0));
  const { closedForm } = await saved(model);
  assert.deepEqual(closedForm.mean, [4]);
  close(closedForm.covariance[0][0], 10, 1e-12, 'variance');
  close(closedForm.trainNll, 0.5 * Math.log(2 * Math.PI * 10) + 0.5, 1e-12, 'train NLL');
  // Test points 4 and 6: squared distances 0 and 4, over the variance 10, halved and averaged.
  close(closedForm.testNll, 0.5 * Math.log(2 * Math.PI * 10) + 0.5 * (0.4 / 2), 1e-12, 'test NLL');
  const values = model.evaluate();
  assert.deepEqual(Object.keys(values).sort(), ['closedFormTestNll', 'mean0', 'testNll', 'var0']);
  model.dispose();
});

function train(model: ReturnType<typeof gaussianFamily.create>, data: PointDataset, steps: number): Array<Record<string, number>> {
  const whole = tf.tensor2d(data.train.points, [data.train.count, data.dim]);
  const history = Array.from({ length: steps }, () => model.trainStep(whole));
  whole.dispose();
  return history;
}

test('gradient ascent with the defaults (300 steps, lr 0.05) reaches the closed form on 8gaussians-like data', async () => {
  const rng = new Rng(7);
  const data = makeData(2, eightGaussians(5000, rng), eightGaussians(2000, rng));
  const config = completeConfig({ family: 'gaussian' });
  assert.equal(config.steps, 300);
  assert.equal(config.learningRate, 0.05);
  const model = gaussianFamily.create(config, data, new Rng(1));
  const history = train(model, data, config.steps!);
  for (const h of history) {
    assert.ok(h.gapToClosedForm >= 0);
    close(h.nll - h.gapToClosedForm, history[0].nll - history[0].gapToClosedForm, 1e-9, 'closed-form train NLL');
  }
  assert.ok(history[0].gapToClosedForm > 0.5, `starts far from the fit: gap ${history[0].gapToClosedForm}`);
  const { mean, covariance, closedForm } = await saved(model);
  const values = model.evaluate();
  const gap = gaussianNll(mean, [covariance[0][0], covariance[0][1], covariance[1][1]], moments(data.train.points, 2), 2) - closedForm.trainNll;
  assert.ok(gap >= 0 && gap < 1e-3, `gap after 300 steps: ${gap}`);
  mean.forEach((m, i) => close(m, closedForm.mean[i], 1e-2, `mean${i}`));
  covariance.flat().forEach((c, i) => close(c, closedForm.covariance.flat()[i], 1e-2, `covariance entry ${i}`));
  close(values.testNll, values.closedFormTestNll, 1e-3, 'test NLL');
  assert.deepEqual(
    [values.mean0, values.mean1, values.var0, values.var1, values.cov01],
    [mean[0], mean[1], covariance[0][0], covariance[1][1], covariance[0][1]],
  );
  model.dispose();
});

test('gradient ascent reaches the closed form in 1-D too', async () => {
  const rng = new Rng(3);
  const bimodal = (n: number) => Float32Array.from(rng.fillNormal(new Float32Array(n)), (z) => (rng.next() < 0.3 ? -2 : 2) + 0.5 * z);
  const data = makeData(1, bimodal(4000), bimodal(1000), [-5, 5, 0, 0]);
  const config = completeConfig({ family: 'gaussian', dataset: 'bimodal' });
  const model = gaussianFamily.create(config, data, new Rng(1));
  const history = train(model, data, config.steps!);
  const { mean, covariance, closedForm } = await saved(model);
  const gap = gaussianNll(mean, [covariance[0][0], 0, 1], moments(data.train.points, 1), 1) - closedForm.trainNll;
  assert.ok(gap >= 0 && gap < 1e-3, `gap after 300 steps: ${gap} (last reported ${history.at(-1)!.gapToClosedForm})`);
  close(mean[0], closedForm.mean[0], 1e-2, 'mean');
  close(covariance[0][0], closedForm.covariance[0][0], 1e-2, 'variance');
  model.dispose();
});

test('the grid log-density integrates to 1 over a wide extent; samples follow the model', () => {
  const rng = new Rng(11);
  const data = makeData(2, eightGaussians(3000, rng), eightGaussians(1000, rng), [-12, 12, -12, 12]);
  const model = gaussianFamily.create(completeConfig({ family: 'gaussian' }), data, new Rng(1));
  train(model, data, 300);
  const view = model.density!()!;
  assert.equal(view.field, 'log-density');
  assert.equal(view.values.length, view.width * view.height);
  const cell = (24 / view.width) * (24 / view.height);
  const mass = view.values.reduce((s, v) => s + Math.exp(v), 0) * cell;
  close(mass, 1, 1e-3, 'integral of the density over the grid');
  assert.equal(view.samples.length, 600 * 2);
  const { mean0, mean1, var0 } = model.evaluate();
  const xs = view.samples.filter((_, i) => i % 2 === 0);
  const ys = view.samples.filter((_, i) => i % 2 === 1);
  const avg = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
  close(avg(xs), mean0, 0.3, 'sample mean x');
  close(avg(ys), mean1, 0.3, 'sample mean y');
  close(avg(xs.map((x) => (x - mean0) ** 2)), var0, 0.6, 'sample variance x');
  // Fixed noise: the same parameters give the same samples.
  assert.deepEqual(model.density!()!.samples, view.samples);
  model.dispose();

  // 1-D: 200 points across the extent.
  const data1 = makeData(1, [1, 2, 3, 4, 10], [4, 6], [-20, 28, 0, 0]);
  const model1 = gaussianFamily.create(completeConfig({ family: 'gaussian', dataset: 'bimodal' }), data1, new Rng(0));
  train(model1, data1, 300);
  const view1 = model1.density!()!;
  assert.equal(view1.height, 1);
  close(view1.values.reduce((s, v) => s + Math.exp(v), 0) * (48 / (view1.width - 1)), 1, 1e-3, '1-D integral');
  assert.equal(view1.samples.length, 600);
  model1.dispose();
});

test('images are rejected with a UserError that names the fix', () => {
  const images = { kind: 'images', name: 'mnist', width: 28, height: 28 } as unknown as Dataset;
  assert.throws(
    () => gaussianFamily.create(completeConfig({ family: 'gaussian' }), images, new Rng(0)),
    (err: unknown) => err instanceof UserError && /mnist/.test(err.message) && /8gaussians/.test(err.hint),
  );
  assert.equal(gaussianFamily.fullBatch, true);
});
