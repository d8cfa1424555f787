import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { completeConfig } from '../../src/protocol/config';
import { type Dataset, loadDataset, type PointDataset } from '../../src/trainer/data/dataset';
import { UserError } from '../../src/shared/userError';
import { gaussianFamily, gaussianNll, moments, REACHED_GAP } from '../../src/trainer/families/gaussian';
import { Rng } from '../../src/trainer/rng';
import { eightGaussians, pointData } from './pointData';
import { initFamilyBackend } from '../support/familyBackend';

const makeData = (dim: 1 | 2, train: ArrayLike<number>, test: ArrayLike<number>, extent: [number, number, number, number] = [-10, 10, -10, 10]) => pointData(dim, train, test, extent);

before(async () => {
  await initFamilyBackend();
});


interface Fit {
  mean: number[];
  covariance: number[][];
  trainNll: number;
  testNll: number;
}

async function saved(model: ReturnType<typeof gaussianFamily.create>): Promise<Fit & { gradientAscent: Fit & { gapToClosedForm: number; reachedClosedForm: boolean } }> {
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
  const closedForm = await saved(model);
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
  close(model.evaluate().testNll, testNll, 1e-12, 'evaluate().testNll, the headline, is the closed form');
  // Before training, gradient ascent's Gaussian is N(median, I) in units of the extent's half-width
  // (10): N((2, 1), 100 I). The test points lie 1 and √2 from it, so its test NLL is
  // log 2pi + log 100 + mean |x - m|^2 / 200 = log 2pi + log 100 + 1.5 / 200.
  close(model.evaluate().ascentTestNll, Math.log(2 * Math.PI) + Math.log(100) + 1.5 / 200, 1e-6, 'the start, N(median, 100 I)');
  assert.equal(model.evaluate().reachedClosedForm, 0);
  model.dispose();
});

test('1-D closed form matches values computed by hand', async () => {
  // 1 2 3 4 10: mean 4, deviations -3 -2 -1 0 6, biased variance 50 / 5 = 10.
  const data = makeData(1, [1, 2, 3, 4, 10], [4, 6]);
  const model = gaussianFamily.create(completeConfig({ family: 'gaussian', dataset: 'bimodal' }), data, new Rng(0));
  const closedForm = await saved(model);
  assert.deepEqual(closedForm.mean, [4]);
  close(closedForm.covariance[0][0], 10, 1e-12, 'variance');
  close(closedForm.trainNll, 0.5 * Math.log(2 * Math.PI * 10) + 0.5, 1e-12, 'train NLL');
  // Test points 4 and 6: squared distances 0 and 4, over the variance 10, halved and averaged.
  close(closedForm.testNll, 0.5 * Math.log(2 * Math.PI * 10) + 0.5 * (0.4 / 2), 1e-12, 'test NLL');
  const values = model.evaluate();
  assert.deepEqual(Object.keys(values).sort(), ['ascentTestNll', 'mean0', 'reachedClosedForm', 'testNll', 'var0']);
  assert.deepEqual([values.testNll, values.mean0, values.var0], [closedForm.testNll, 4, closedForm.covariance[0][0]]);
  model.dispose();
});

const userError = (message: RegExp, hint?: RegExp) => (e: unknown) => e instanceof UserError && message.test(e.message) && (!hint || hint.test(e.hint));

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
  const { mean, covariance, trainNll, gradientAscent: ascent } = await saved(model);
  const values = model.evaluate();
  const gap = gaussianNll(ascent.mean, [ascent.covariance[0][0], ascent.covariance[0][1], ascent.covariance[1][1]], moments(data.train.points, 2), 2) - trainNll;
  assert.ok(gap >= 0 && gap < 1e-3, `gap after 300 steps: ${gap}`);
  close(ascent.gapToClosedForm, gap, 1e-9, 'the gap saved');
  assert.equal(ascent.reachedClosedForm, true);
  assert.equal(values.reachedClosedForm, 1);
  // Within 1 % of the data's spread: at the optimum the float32 gradient is rounding noise, which
  // Adam scales up to steps of the learning rate, so the last steps wander by about that much on
  // every backend (the order of float32 sums differs between them), while the NLL gap stays < 1e-3.
  ascent.mean.forEach((m, i) => close(m, mean[i], 1e-2 * Math.sqrt(covariance[i][i]), `mean${i}`));
  ascent.covariance.flat().forEach((c, i) => close(c, covariance.flat()[i], 1e-2 * Math.max(covariance[0][0], covariance[1][1]), `covariance entry ${i}`));
  close(values.ascentTestNll, values.testNll, 1e-3, 'test NLL');
  // The headline figures are the closed form's, not gradient ascent's.
  assert.deepEqual([values.mean0, values.mean1, values.var0, values.var1, values.cov01], [mean[0], mean[1], covariance[0][0], covariance[1][1], covariance[0][1]]);
  model.dispose();
});

test('gradient ascent reaches the closed form in 1-D too', async () => {
  const rng = new Rng(3);
  const bimodal = (n: number) => Float32Array.from(rng.fillNormal(new Float32Array(n)), (z) => (rng.next() < 0.3 ? -2 : 2) + 0.5 * z);
  const data = makeData(1, bimodal(4000), bimodal(1000), [-5, 5, 0, 0]);
  const config = completeConfig({ family: 'gaussian', dataset: 'bimodal' });
  const model = gaussianFamily.create(config, data, new Rng(1));
  const history = train(model, data, config.steps!);
  const { mean, covariance, trainNll, gradientAscent: ascent } = await saved(model);
  const gap = gaussianNll(ascent.mean, [ascent.covariance[0][0], 0, 1], moments(data.train.points, 1), 1) - trainNll;
  assert.ok(gap >= 0 && gap < 1e-3, `gap after 300 steps: ${gap} (last reported ${history.at(-1)!.gapToClosedForm})`);
  assert.equal(ascent.reachedClosedForm, true);
  close(ascent.mean[0], mean[0], 1e-2, 'mean');
  close(ascent.covariance[0][0], covariance[0][0], 1e-2, 'variance');
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

test('at a standard deviation of 450 the headline test NLL is the closed form, and gradient ascent reaches it', async () => {
  const rng = new Rng(5);
  const draw = (n: number) => Float32Array.from(rng.fillNormal(new Float32Array(n)), (z) => 1000 + 450 * z);
  const data = makeData(1, draw(2000), draw(200), [-700, 2700, 0, 1]);
  const model = gaussianFamily.create(completeConfig({ family: 'gaussian', dataset: 'bimodal' }), data, new Rng(1));
  const fit = moments(data.train.points, 1);
  const closed = gaussianNll(fit.mean, fit.cov, moments(data.test.points, 1), 1);
  // Before the fix the headline was gradient ascent's, from N(median, 1): 596.6 against about 7.5.
  assert.ok(closed > 7 && closed < 8, `closed-form test NLL ${closed}`);
  close(model.evaluate().testNll, closed, 1e-12, 'the headline before any step');
  const history = train(model, data, 300);
  const values = model.evaluate();
  close(values.testNll, closed, 1e-12, 'the headline after training');
  assert.equal(values.reachedClosedForm, 1, `gap ${history.at(-1)!.gapToClosedForm}`);
  close(values.ascentTestNll, closed, 1e-3, 'gradient ascent\'s test NLL, in the data\'s units');
  model.dispose();
});

test('gradient ascent that has not reached the closed form says so', async () => {
  const rng = new Rng(7);
  const data = makeData(2, eightGaussians(2000, rng), eightGaussians(500, rng));
  const model = gaussianFamily.create(completeConfig({ family: 'gaussian', steps: 5 }), data, new Rng(1));
  const history = train(model, data, 5);
  assert.ok(history.at(-1)!.gapToClosedForm > REACHED_GAP);
  assert.equal(model.evaluate().reachedClosedForm, 0);
  const file = await saved(model);
  assert.equal(file.gradientAscent.reachedClosedForm, false);
  assert.ok(file.gradientAscent.testNll > file.testNll, 'gradient ascent is behind the closed form');
  close(model.evaluate().testNll, file.testNll, 0, 'the headline is the closed form even so');
  model.dispose();
});

/** `text` (a decimal) times 10^k, written exactly: the same heights in other units, as a person would type them. */
function shiftDecimal(text: string, k: number): string {
  const [int, frac = ''] = text.split('.');
  const digits = int + frac;
  const point = int.length + k;
  if (point <= 0) return `0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return digits + '0'.repeat(point - digits.length);
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}

test('heights in millimetres, metres and kilometres: the same fit up to the units, in 1-D and beside weights in 2-D', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-heights-'));
  const [header, ...rows] = fs.readFileSync(path.join(__dirname, '../../media/examples/heights.csv'), 'utf8').trim().split('\n');
  assert.equal(header, 'height_cm,weight_kg,sex');
  // From centimetres: millimetres (x10), metres (/100), kilometres (/100,000); each a factor of 1000 from the next.
  const units = { mm: 1, m: -2, km: -5 };
  const fits: Record<string, Record<number, Record<string, number>>> = {};
  for (const [unit, k] of Object.entries(units)) {
    const file = path.join(dir, `heights-${unit}.csv`);
    const scaled = rows.map((r) => r.replace(/^[^,]+/, (h) => shiftDecimal(h, k)));
    fs.writeFileSync(file, `height_${unit},weight_kg,sex\n${scaled.join('\n')}\n`);
    fits[unit] = {};
    for (const columns of [[`height_${unit}`], [`height_${unit}`, 'weight_kg']]) {
      const data = (await loadDataset('csv', { type: 'csv', path: file, columns })) as PointDataset;
      const config = completeConfig({ family: 'gaussian', dataset: 'csv', data: { type: 'csv', path: file, columns } });
      const model = gaussianFamily.create(config, data, new Rng(1));
      train(model, data, config.steps!);
      fits[unit][columns.length] = model.evaluate();
      model.dispose();
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
  for (const dim of [1, 2]) {
    const [mm, m, km] = [fits.mm[dim], fits.m[dim], fits.km[dim]];
    for (const [a, b, what] of [[mm, m, 'mm vs m'], [m, km, 'm vs km']] as const) {
      // Only the height changes units: its density is a thousandth per unit, so the NLL rises by log 1000.
      close(a.testNll - b.testNll, Math.log(1000), 1e-5, `${dim}-D test NLL, ${what}`);
      close(a.mean0 / b.mean0, 1000, 1e-4, `${dim}-D mean height, ${what}`);
      close(Math.sqrt(a.var0 / b.var0), 1000, 1e-4, `${dim}-D height sd, ${what}`);
      if (dim === 2) {
        close(a.mean1, b.mean1, 1e-4, `weights unchanged, ${what}`);
        close(a.cov01 / b.cov01, 1000, 1e-3, `covariance, ${what}`);
      }
      close(a.ascentTestNll - b.ascentTestNll, Math.log(1000), 1e-2, `${dim}-D gradient ascent's test NLL, ${what}`);
    }
    for (const [unit, fit] of Object.entries(fits)) assert.equal(fit[dim].reachedClosedForm, 1, `${dim}-D in ${unit}: gradient ascent reached the closed form`);
    // The answer itself: about 170.0 cm with a standard deviation of about 9.8 cm (media/examples/README.md).
    close(fits.m[dim].mean0, 1.7, 0.01, 'mean height in metres');
    close(Math.sqrt(fits.m[dim].var0), 0.098, 0.005, 'sd in metres');
  }
});

test('data on which the likelihood has no maximum is refused, naming the data and the fix', () => {
  const create = (data: PointDataset) => () => gaussianFamily.create(completeConfig({ family: 'gaussian' }), data, new Rng(0));
  assert.throws(create(makeData(2, [0, 0, 1, 1], [2, 2])), userError(/A Gaussian in 2-D needs at least 3 training points \(dimensions \+ 1\); test data has 2\./, /Add rows/));
  assert.throws(create(makeData(2, [0, 3, 1, 3, 2, 3], [2, 2])), userError(/the y coordinate of the 3 training points of test data has one value, 3, so its variance is 0/, /values vary/));
  assert.throws(create(makeData(1, [4, 4, 4], [4])), userError(/A Gaussian cannot be fitted: the 3 training points of test data all have one value, 4, so its variance is 0/));
  assert.throws(create(makeData(2, [0, 1, 1, 3, 2, 5, 3, 7], [2, 2])), userError(/lie on a line \(x and y are perfectly correlated\)/, /in 1-D/));
});
