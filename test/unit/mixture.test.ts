import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { completeConfig } from '../../src/protocol/config';
import { type Dataset, loadDataset, type PointDataset } from '../../src/trainer/data/dataset';
import { UserError } from '../../src/shared/userError';
import { kMeansPlusPlus, mixtureFamily } from '../../src/trainer/families/mixture';
import { Rng } from '../../src/trainer/rng';
import { eightGaussians, pointData } from './pointData';
import { initFamilyBackend } from '../support/familyBackend';

const makeData = (dim: 1 | 2, train: ArrayLike<number>, test: ArrayLike<number>, extent: [number, number, number, number] = [-4, 4, -4, 4]) => pointData(dim, train, test, extent);

before(async () => {
  await initFamilyBackend();
});


/** Two well-separated Gaussians: weight 0.3 at (-3, 0) with std (0.5, 1), weight 0.7 at (3, 1), correlated. */
function twoGaussians(n: number, rng: Rng): Float32Array {
  const out = new Float32Array(2 * n);
  const z = rng.fillNormal(new Float32Array(2 * n));
  for (let i = 0; i < n; i++) {
    const [z0, z1] = [z[2 * i], z[2 * i + 1]];
    if (rng.next() < 0.3) out.set([-3 + 0.5 * z0, z1], 2 * i);
    else out.set([3 + 0.8 * z0, 1 + 0.6 * z0 + 0.3 * z1], 2 * i);
  }
  return out;
}

async function savedMixture(model: ReturnType<typeof mixtureFamily.create>): Promise<{ warnings: string[] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-mixture-'));
  try {
    await model.save(dir);
    return JSON.parse(fs.readFileSync(path.join(dir, 'mixture.json'), 'utf8'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function runEm(model: ReturnType<typeof mixtureFamily.create>, data: PointDataset, steps: number): number[] {
  const whole = tf.tensor2d(data.train.points, [data.train.count, data.dim]);
  const nll = Array.from({ length: steps }, () => model.trainStep(whole).nll);
  whole.dispose();
  return nll;
}

function assertNonIncreasing(nll: number[], what: string): void {
  for (let i = 1; i < nll.length; i++) assert.ok(nll[i] <= nll[i - 1] + 1e-9, `${what}: iteration ${i}: ${nll[i]} > ${nll[i - 1]} (+${nll[i] - nll[i - 1]})`);
}

const close = (a: number, b: number, tol: number, what: string) => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);

async function saved(model: ReturnType<typeof mixtureFamily.create>): Promise<{ weights: number[]; means: number[][]; covariances: number[][][] }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-mixture-'));
  try {
    await model.save(path.join(dir, 'ckpt'));
    return JSON.parse(fs.readFileSync(path.join(dir, 'ckpt', 'mixture.json'), 'utf8'));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("EM's train NLL never increases, including with more components than clusters and in 1-D", () => {
  const rng = new Rng(5);
  const cases: Array<[string, PointDataset, number]> = [
    ['8gaussians, k=8', makeData(2, eightGaussians(3000, rng), eightGaussians(500, rng)), 8],
    ['8gaussians, k=20', makeData(2, eightGaussians(3000, rng), eightGaussians(500, rng)), 20],
    ['two Gaussians, k=5', makeData(2, twoGaussians(2000, rng), twoGaussians(500, rng)), 5],
    ['1-D, k=4', makeData(1, rng.fillNormal(new Float32Array(2000)).map((z, i) => (i % 3 ? 2 : -2) + 0.5 * z), new Float32Array(10), [-5, 5, 0, 0]), 4],
  ];
  for (const [what, data, components] of cases) {
    for (const seed of [0, 1, 2]) {
      const model = mixtureFamily.create(completeConfig({ family: 'mixture', model: { components } }), data, new Rng(seed));
      const nll = runEm(model, data, 100);
      assertNonIncreasing(nll, `${what}, seed ${seed}`);
      assert.ok(nll[99] < nll[0], `${what}: EM improved on the k-means start`);
      model.dispose();
    }
  }
});

test('on a well-separated 2-component mixture EM recovers the weights, means and covariances', async () => {
  const rng = new Rng(9);
  const data = makeData(2, twoGaussians(6000, rng), twoGaussians(2000, rng), [-6, 6, -4, 5]);
  const model = mixtureFamily.create(completeConfig({ family: 'mixture', model: { components: 2 } }), data, new Rng(0));
  runEm(model, data, 50);
  const { weights, means, covariances } = await saved(model);
  const order = means[0][0] < means[1][0] ? [0, 1] : [1, 0];
  const [a, b] = order.map((j) => ({ w: weights[j], m: means[j], c: covariances[j] }));
  close(a.w, 0.3, 0.02, 'weight of the left component');
  close(b.w, 0.7, 0.02, 'weight of the right component');
  close(a.m[0], -3, 0.05, 'left mean x');
  close(a.m[1], 0, 0.05, 'left mean y');
  close(b.m[0], 3, 0.05, 'right mean x');
  close(b.m[1], 1, 0.05, 'right mean y');
  // Right component: x = 3 + 0.8 z0, y = 1 + 0.6 z0 + 0.3 z1: cov [[0.64, 0.48], [0.48, 0.45]].
  [
    [a.c, [0.25, 0, 0, 1]],
    [b.c, [0.64, 0.48, 0.48, 0.45]],
  ].forEach(([got, want], j) => (got as number[][]).flat().forEach((v, i) => close(v, (want as number[])[i], 0.05, `component ${j} covariance entry ${i}`)));
  model.dispose();
});

test('k=8 on 8gaussians-like data with the defaults reaches a test NLL of at most 2.90 nats (true entropy ~2.84)', () => {
  const rng = new Rng(21);
  const data = makeData(2, eightGaussians(20000, rng), eightGaussians(5000, rng));
  const config = completeConfig({ family: 'mixture' });
  assert.equal(config.model.components, 8);
  for (const seed of [0, 1, 2, 3, 4, 5, 6, 7]) {
    const model = mixtureFamily.create(config, data, new Rng(seed));
    const nll = runEm(model, data, config.steps!);
    const { testNll } = model.evaluate();
    assert.ok(testNll <= 2.9, `seed ${seed}: test NLL ${testNll} (train ${nll.at(-1)})`);
    assert.ok(testNll > 2.75, `seed ${seed}: test NLL ${testNll} is below what the data allow`);
    model.dispose();
  }
});

test('k-means++ picks distinct initial centres, one per distinct point when there are exactly k', () => {
  // Three distinct points, each repeated many times: the three centres must be exactly those points.
  const base = [
    [0, 0],
    [5, 1],
    [-2, 7],
  ];
  const points = Float32Array.from(Array.from({ length: 300 }, (_, i) => base[i % 3]).flat());
  for (let seed = 0; seed < 20; seed++) {
    const centres = Array.from(kMeansPlusPlus(points, 2, 3, new Rng(seed)));
    const pairs = [0, 1, 2].map((j) => `${centres[2 * j]},${centres[2 * j + 1]}`).sort();
    assert.deepEqual(pairs, base.map((p) => p.join(',')).sort(), `seed ${seed}`);
  }
  // On continuous data, k=64 centres are pairwise distinct.
  const rng = new Rng(4);
  const data = eightGaussians(2000, rng);
  const centres = kMeansPlusPlus(data, 2, 64, new Rng(1));
  const keys = new Set(Array.from({ length: 64 }, (_, j) => `${centres[2 * j]},${centres[2 * j + 1]}`));
  assert.equal(keys.size, 64);
  // 1-D as well.
  const c1 = kMeansPlusPlus(Float32Array.from([1, 1, 1, 2, 2, 3]), 1, 3, new Rng(0));
  assert.deepEqual(Array.from(c1).sort(), [1, 2, 3]);
});

test('the grid log-density integrates to 1 over a wide extent; samples come from the mixture', () => {
  const rng = new Rng(13);
  const data = makeData(2, eightGaussians(4000, rng), eightGaussians(1000, rng), [-6, 6, -6, 6]);
  const model = mixtureFamily.create(completeConfig({ family: 'mixture' }), data, new Rng(0));
  runEm(model, data, 30);
  const view = model.density!()!;
  assert.equal(view.field, 'log-density');
  assert.equal(view.values.length, view.width * view.height);
  const mass = view.values.reduce((s, v) => s + Math.exp(v), 0) * (12 / view.width) * (12 / view.height);
  close(mass, 1, 1e-2, 'integral of the density over the grid');
  assert.equal(view.samples.length, 600 * 2);
  // Every sample lies near one of the 8 centres (within 5 std).
  for (let i = 0; i < 600; i++) {
    const r = Math.hypot(view.samples[2 * i], view.samples[2 * i + 1]);
    assert.ok(Math.abs(r - 4 / 1.414) < 5 * (0.5 / 1.414), `sample ${i} at radius ${r}`);
  }
  model.dispose();

  const rng1 = new Rng(2);
  const bimodal = (n: number) => rng1.fillNormal(new Float32Array(n)).map((z) => (rng1.next() < 0.3 ? -2 : 2) + 0.5 * z);
  const data1 = makeData(1, bimodal(3000), bimodal(500), [-6, 6, 0, 0]);
  const model1 = mixtureFamily.create(completeConfig({ family: 'mixture', dataset: 'bimodal', model: { components: 2 } }), data1, new Rng(0));
  runEm(model1, data1, 30);
  const view1 = model1.density!()!;
  assert.equal(view1.height, 1);
  close(view1.values.reduce((s, v) => s + Math.exp(v), 0) * (12 / (view1.width - 1)), 1, 1e-2, '1-D integral');
  assert.equal(view1.samples.length, 600);
  assert.ok(Math.abs(view1.samples.filter((x) => x < 0).length / 600 - 0.3) < 0.06);
  model1.dispose();
});

test('a collapsed component stays valid: EM with more components than distinct points stays finite, and is reported', async () => {
  // Four distinct points, k = 4: each component collapses onto one point; the ridge keeps it valid.
  const points = Float32Array.from([0, 0, 1, 0, 0, 1, 3, 3, 0, 0, 1, 0]);
  const data = makeData(2, points, points);
  const model = mixtureFamily.create(completeConfig({ family: 'mixture', model: { components: 4 } }), data, new Rng(0));
  const nll = runEm(model, data, 30);
  assert.ok(nll.every(Number.isFinite), `${nll}`);
  assertNonIncreasing(nll, 'collapsing');
  assert.ok(Number.isFinite(model.evaluate().testNll));
  // And it is reported: each component sits on one of the four points.
  assert.equal(model.evaluate().collapsedComponents, 4);
  // The training session shows each of these once as a warning (a notification and a note in run.json).
  assert.deepEqual(new Set(model.warnings!().map((w) => w.hint)), new Set(['Fit fewer components, or look in the data for a value repeated many times (rounded measurements, a default filled in).']));
  const { warnings } = await savedMixture(model);
  assert.equal(warnings.length, 4);
  assert.match(warnings.join('\n'), /Component \d of 4 has collapsed onto the point \(0, 0\), with 2 of the 6 training points: its variance there is held at the floor.*Fit fewer components, or look in the data for a value repeated many times/);
  for (const p of ['(1, 0)', '(0, 1)', '(3, 3)']) assert.ok(warnings.some((w) => w.includes(`onto the point ${p}`)), p);
  model.dispose();
});

test('a component on points that share one coordinate collapses onto a line, and is reported; healthy fits report none', async () => {
  const rng = new Rng(9);
  // A broad cloud, and 200 points all at x = 5 (a column with zero variance inside the cluster).
  const z = rng.fillNormal(new Float32Array(1000));
  const points = Float32Array.from({ length: 1000 }, (_, i) => (i < 600 ? z[i] : i % 2 === 0 ? 5 : 3 * z[i]));
  const data = makeData(2, points, points.slice(0, 40));
  const model = mixtureFamily.create(completeConfig({ family: 'mixture', model: { components: 2 } }), data, new Rng(0));
  runEm(model, data, 50);
  assert.equal(model.evaluate().collapsedComponents, 1);
  const { warnings } = await savedMixture(model);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /^Component \d of 2 has collapsed onto a line through \(5, [-\d.e]+\), with 200 of the 500 training points/);
  model.dispose();

  const healthy = makeData(2, eightGaussians(4000, rng), eightGaussians(500, rng));
  const fit = mixtureFamily.create(completeConfig({ family: 'mixture' }), healthy, new Rng(0));
  runEm(fit, healthy, 30);
  assert.equal(fit.evaluate().collapsedComponents, 0);
  assert.deepEqual((await savedMixture(fit)).warnings, []);
  fit.dispose();
});

test('data with a coordinate of one value, or on a line, is refused before EM, naming the data and the fix', () => {
  const create = (data: PointDataset) => () => mixtureFamily.create(completeConfig({ family: 'mixture', model: { components: 2 } }), data, new Rng(0));
  const flat = Float32Array.from({ length: 40 }, (_, i) => (i % 2 ? 7 : i));
  assert.throws(create(makeData(2, flat, flat)), (e: unknown) => e instanceof UserError && /A Gaussian mixture cannot be fitted: the y coordinate of the 20 training points of test data has one value, 7/.test(e.message) && /values vary/.test(e.hint));
  const line = Float32Array.from({ length: 40 }, (_, i) => (i % 2 ? 2 * (i - 1) + 1 : i));
  assert.throws(create(makeData(2, line, line)), (e: unknown) => e instanceof UserError && /lie on a line/.test(e.message));
});

test('images are rejected, and more components than points is a UserError', () => {
  const images = { kind: 'images', name: 'mnist', width: 28, height: 28 } as unknown as Dataset;
  assert.throws(
    () => mixtureFamily.create(completeConfig({ family: 'mixture' }), images, new Rng(0)),
    (err: unknown) => err instanceof UserError && /8gaussians/.test(err.hint),
  );
  const tiny = makeData(2, Float32Array.from([0, 0, 1, 1]), Float32Array.from([0, 0]));
  assert.throws(() => mixtureFamily.create(completeConfig({ family: 'mixture' }), tiny, new Rng(0)), UserError);
  assert.equal(mixtureFamily.fullBatch, true);
});

test('heights in millimetres and in kilometres: the same two components up to the units', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-mixture-heights-'));
  const [, ...rows] = fs.readFileSync(path.join(__dirname, '../../media/examples/heights.csv'), 'utf8').trim().split('\n');
  const fits: Record<string, number>[] = [];
  // Centimetres with one decimal: x10 is millimetres; moving the point five places left is kilometres.
  for (const [unit, toUnit] of [['mm', (h: string) => h.replace('.', '')], ['km', (h: string) => `0.00${h.replace('.', '')}`]] as const) {
    const file = path.join(dir, `heights-${unit}.csv`);
    fs.writeFileSync(file, `h\n${rows.map((r) => toUnit(r.split(',')[0])).join('\n')}\n`);
    const data = (await loadDataset('csv', { type: 'csv', path: file, columns: ['h'] })) as PointDataset;
    const model = mixtureFamily.create(completeConfig({ family: 'mixture', dataset: 'csv', data: { type: 'csv', path: file, columns: ['h'] }, model: { components: 2 } }), data, new Rng(0));
    runEm(model, data, 100);
    fits.push(model.evaluate());
    model.dispose();
  }
  fs.rmSync(dir, { recursive: true, force: true });
  // A millionth of the unit: the density per unit is a million times larger, the NLL log 1e6 higher.
  close(fits[0].testNll - fits[1].testNll, Math.log(1e6), 1e-4, 'test NLL, mm vs km');
  assert.deepEqual([fits[0].collapsedComponents, fits[1].collapsedComponents], [0, 0]);
});
