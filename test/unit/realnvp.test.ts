import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { completeConfig } from '../../src/protocol/config';
import type { DatasetName } from '../../src/protocol/datasets';
import type { PointDataset } from '../../src/trainer/data/dataset';
import { loadToyDataset } from '../../src/trainer/data/toy';
import { UserError } from '../../src/shared/userError';
import { type FlowSpec, RealNvpFlow, realnvpFamily } from '../../src/trainer/families/realnvp';
import { loadLayersModel } from '../../src/trainer/runs/layersFormat';
import { Rng } from '../../src/trainer/rng';
import { initFamilyBackend } from '../support/familyBackend';

before(async () => {
  await initFamilyBackend();
});

/** A toy dataset as the trainer loads it (50k training points, 10k test points). */
const pointData = (name: '8gaussians' | 'checkerboard', seed: number): PointDataset => ({ kind: 'points', ...loadToyDataset(name, seed) });

const randomSpec: FlowSpec = { couplings: 6, hiddenSizes: [16, 16], scaleBound: 2, mean: [0.3, -0.2], std: [1.5, 0.8] };

/** A randomly initialised flow: unlike a fresh model's (the identity), its couplings all do something. */
const randomFlow = (seed: number, spec = randomSpec) => new RealNvpFlow(spec, seed, { randomOutput: true });

/** The flow's forward map x → z, in float64, from its weights and the architecture flow.json describes. */
function forward64(flow: RealNvpFlow): (x: [number, number]) => [number, number] {
  const { mean, std, scaleBound } = flow.spec;
  const nets = flow.couplings.map((c) => ({
    cond: c.cond,
    layers: c.layers.map((l) => ({ kernel: Array.from(l.kernel.dataSync()), bias: Array.from(l.bias.dataSync()), out: l.bias.shape[0] })),
  }));
  return ([x0, x1]) => {
    const u = [(x0 - mean[0]) / std[0], (x1 - mean[1]) / std[1]];
    for (const { cond, layers } of nets) {
      let h = [u[cond]];
      layers.forEach(({ kernel, bias, out }, i) => {
        h = bias.map((b, j) => h.reduce((s, v, k) => s + v * kernel[k * out + j], b)).map((v) => (i < layers.length - 1 ? Math.max(v, 0) : v));
      });
      const s = scaleBound * Math.tanh(h[0] / scaleBound);
      u[1 - cond] = u[1 - cond] * Math.exp(s) + h[1];
    }
    return [u[0], u[1]];
  };
}

test('the log-determinant matches a numerical Jacobian of the forward map (float64 finite differences)', () => {
  const flow = randomFlow(11);
  const rng = new Rng(12);
  const points = Float32Array.from({ length: 10 }, () => (rng.next() - 0.5) * 4);
  const { z, logDet } = flow.forward(points, 5);
  const f = forward64(flow);
  const eps = 1e-6;
  for (let r = 0; r < 5; r++) {
    const x: [number, number] = [points[2 * r], points[2 * r + 1]];
    const z64 = f(x);
    // The float64 map is the same map as the model's.
    assert.ok(Math.abs(z64[0] - z[2 * r]) < 1e-4 && Math.abs(z64[1] - z[2 * r + 1]) < 1e-4, `z at ${x}: ${z64} vs ${[z[2 * r], z[2 * r + 1]]}`);
    const column = (d: 0 | 1) => {
      const plus = f(d === 0 ? [x[0] + eps, x[1]] : [x[0], x[1] + eps]);
      const minus = f(d === 0 ? [x[0] - eps, x[1]] : [x[0], x[1] - eps]);
      return [(plus[0] - minus[0]) / (2 * eps), (plus[1] - minus[1]) / (2 * eps)];
    };
    const [j0, j1] = [column(0), column(1)];
    const numeric = Math.log(Math.abs(j0[0] * j1[1] - j0[1] * j1[0]));
    assert.ok(Math.abs(numeric - logDet[r]) < 1e-3, `point ${x}: numerical ${numeric} vs flow ${logDet[r]}`);
  }
  // A random flow is far from volume-preserving, so the check is not vacuous.
  assert.ok(Math.max(...Array.from(logDet, Math.abs)) > 0.5, `log-determinants ${logDet}`);
  flow.dispose();
});

test('the inverse undoes the forward map, both ways round, to 1e-4', () => {
  const flow = randomFlow(21);
  const rng = new Rng(22);
  const n = 200;
  const x = rng.fillNormal(new Float32Array(2 * n)).map((v) => v * 2);
  const back = flow.inverse(flow.forward(x, n).z, n);
  const z = rng.fillNormal(new Float32Array(2 * n));
  const again = flow.forward(flow.inverse(z, n), n).z;
  const worst = (a: Float32Array, b: Float32Array) => Math.max(...Array.from(a, (v, i) => Math.abs(v - b[i]) / Math.max(1, Math.abs(b[i]))));
  assert.ok(worst(back, x) < 1e-4, `x → z → x: ${worst(back, x)}`);
  assert.ok(worst(again, z) < 1e-4, `z → x → z: ${worst(again, z)}`);
  flow.dispose();
});

test('exp(log p) of a random flow integrates to 1 over a wide grid', () => {
  const flow = randomFlow(31);
  const [lo, hi, cells] = [-20, 20, 800];
  const h = (hi - lo) / cells;
  const grid = new Float32Array(cells * cells * 2);
  for (let i = 0; i < cells; i++) {
    for (let j = 0; j < cells; j++) {
      grid[2 * (i * cells + j)] = lo + (i + 0.5) * h;
      grid[2 * (i * cells + j) + 1] = lo + (j + 0.5) * h;
    }
  }
  const logP = flow.logProb(grid, cells * cells);
  let mass = 0;
  for (const v of logP) mass += Math.exp(v) * h * h;
  // Samples from the flow all land inside the grid, so the grid holds (nearly) all the mass.
  const samples = flow.inverse(new Rng(32).fillNormal(new Float32Array(2000)), 1000);
  assert.ok(
    samples.every((v) => v > lo + 1 && v < hi - 1),
    'samples outside the grid',
  );
  assert.ok(Math.abs(mass - 1) < 0.01, `mass ${mass}`);
  flow.dispose();
});

for (const fused of [true, false]) {
  test(`the hand-written gradient equals tfjs autodiff of the same log-likelihood (${fused ? 'wasm loops' : 'tensor ops'})`, () => {
    // Odd widths exercise the loops' scalar tails; three hidden layers, the products between them.
    const flow = randomFlow(41, { ...randomSpec, hiddenSizes: [7, 12, 9] });
    flow.useFused = fused;
    const n = 64;
    const x = new Rng(42).fillNormal(new Float32Array(2 * n)).map((v) => v * 1.5);
    const { nll, grads } = flow.lossAndGradients(x, n);
    const xt = tf.tensor2d(x, [n, 2]);
    const reference = tf.variableGrads(() => tf.neg(tf.mean(flow.logProbOps(xt))) as tf.Scalar, flow.variables);
    assert.ok(Math.abs(nll - reference.value.dataSync()[0]) < 1e-4 * Math.abs(nll), `nll ${nll} vs ${reference.value.dataSync()[0]}`);
    for (const v of flow.variables) {
      const ours = grads[v.name].dataSync();
      const theirs = reference.grads[v.name].dataSync();
      assert.deepEqual(grads[v.name].shape, v.shape, v.name);
      const scale = Math.max(1e-3, ...Array.from(theirs, Math.abs));
      ours.forEach((g, i) => assert.ok(Math.abs(g - theirs[i]) < 1e-4 * scale, `${v.name}[${i}]: ${g} vs ${theirs[i]}`));
    }
    // The forward pass (log p for evaluation) agrees with the tensor ops too.
    const logP = flow.logProb(x, n);
    const logPOps = tf.tidy(() => flow.logProbOps(xt).dataSync());
    logP.forEach((v, i) => assert.ok(Math.abs(v - logPOps[i]) < 1e-4 * Math.max(1, Math.abs(v)), `log p[${i}]: ${v} vs ${logPOps[i]}`));
    tf.dispose([xt, reference.value, ...Object.values(reference.grads), ...Object.values(grads)]);
    flow.dispose();
  });
}

function train(model: ReturnType<typeof realnvpFamily.create>, data: PointDataset, steps: number, batch: number, rng: Rng): number[] {
  const buffer = new Float32Array(batch * 2);
  const losses: number[] = [];
  for (let s = 0; s < steps; s++) {
    for (let i = 0; i < batch; i++) {
      const row = Math.floor(rng.next() * data.train.count);
      buffer[2 * i] = data.train.points[2 * row];
      buffer[2 * i + 1] = data.train.points[2 * row + 1];
    }
    const x = tf.tensor2d(buffer, [batch, 2]);
    losses.push(model.trainStep(x).nll);
    x.dispose();
  }
  return losses;
}

test('a short real training run on 8gaussians lowers the test NLL by a clear margin', () => {
  const data = pointData('8gaussians', 51);
  const config = completeConfig({ family: 'realnvp', dataset: '8gaussians', steps: 400 });
  const model = realnvpFamily.create(config, data, new Rng(52));
  const start = model.evaluate().testNll;
  const losses = train(model, data, 400, config.batchSize, new Rng(53));
  const end = model.evaluate().testNll;
  model.dispose();
  assert.ok(losses.every(Number.isFinite));
  // Untrained, the flow is a Gaussian fitted by moments: ln(2πe) + ln(4.125) ≈ 4.26 nats. The
  // data's entropy is about 2.84.
  assert.ok(Math.abs(start - 4.26) < 0.1, `start ${start}`);
  assert.ok(end < start - 0.6, `after 400 steps: ${end} (start ${start})`);
});

test('no tensors leak: the tensor count is flat across 100 steps, evaluations and density views', () => {
  const data = pointData('8gaussians', 61);
  const model = realnvpFamily.create(completeConfig({ family: 'realnvp', steps: 100 }), data, new Rng(62));
  const rng = new Rng(63);
  train(model, data, 3, 64, rng); // Adam creates its moment variables on the first step.
  const start = tf.memory().numTensors;
  train(model, data, 100, 64, rng);
  model.evaluate();
  model.density!()!;
  assert.equal(tf.memory().numTensors, start);
  model.dispose();
});

test('the density view: log-density on the 64x64 grid, 600 samples from fixed base noise', () => {
  const data = pointData('8gaussians', 71);
  const model = realnvpFamily.create(completeConfig({ family: 'realnvp', steps: 10 }), data, new Rng(72));
  const view = model.density!()!;
  assert.equal(view.field, 'log-density');
  assert.deepEqual([view.width, view.height, view.values.length, view.samples.length, view.test.length], [64, 64, 4096, 1200, 1200]);
  assert.ok(view.values.every(Number.isFinite));
  // The same base draws each time: with no training in between, the same samples.
  assert.deepEqual(model.density!()!.samples, view.samples);
  model.dispose();
});

test('save writes one layers model per coupling and flow.json; the saved networks compute the same map', async () => {
  const data = pointData('8gaussians', 81);
  const config = completeConfig({ family: 'realnvp', steps: 20, model: { couplings: 4, hiddenSizes: [16] } });
  const model = realnvpFamily.create(config, data, new Rng(82));
  train(model, data, 20, 64, new Rng(83));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-realnvp-'));
  try {
    await model.save(dir);
    const flowJson = JSON.parse(fs.readFileSync(path.join(dir, 'flow.json'), 'utf8')) as {
      couplings: { model: string; conditionOn: number; transform: number }[];
      scaleBound: number;
      standardise: { mean: number[]; std: number[] };
    };
    assert.deepEqual(
      flowJson.couplings.map((c) => [c.model, c.conditionOn]),
      [0, 1, 2, 3].map((k) => [`coupling-0${k}/model.json`, k % 2]),
    );
    // Rebuild log p(x) from the files alone and compare with the model's.
    const nets = await Promise.all(flowJson.couplings.map((c) => loadLayersModel(path.join(dir, path.dirname(c.model)))));
    const x = data.test.points.subarray(0, 20);
    const { mean, std } = flowJson.standardise;
    const u = [0, 1].map((d) => Array.from({ length: 10 }, (_, r) => (x[2 * r + d] - mean[d]) / std[d]));
    const logDet = new Array<number>(10).fill(0);
    flowJson.couplings.forEach((c, k) => {
      const out = tf.tidy(() => (nets[k].predict(tf.tensor2d(u[c.conditionOn], [10, 1])) as tf.Tensor).arraySync() as number[][]);
      out.forEach(([raw, t], r) => {
        const s = flowJson.scaleBound * Math.tanh(raw / flowJson.scaleBound);
        u[c.transform][r] = u[c.transform][r] * Math.exp(s) + t;
        logDet[r] += s;
      });
    });
    const fromFiles = logDet.map((ld, r) => ld - 0.5 * (u[0][r] ** 2 + u[1][r] ** 2) - Math.log(2 * Math.PI) - Math.log(std[0] * std[1]));
    const fromModel = (model as unknown as { flow: RealNvpFlow }).flow.logProb(x, 10);
    fromFiles.forEach((v, r) => assert.ok(Math.abs(v - fromModel[r]) < 1e-4, `point ${r}: ${v} vs ${fromModel[r]}`));
    nets.forEach((n) => n.dispose());
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    model.dispose();
  }
});

test('1-D data is refused with a UserError naming what to use instead (images go to realnvpImages.test.ts)', () => {
  // The config decoder already refuses 1-D datasets for realnvp; the family checks the data itself too.
  const config = (dataset: DatasetName) => ({ ...completeConfig({ family: 'realnvp' }), dataset });
  const oneD = { kind: 'points', name: 'bimodal', dim: 1, train: { count: 10, points: new Float32Array(10) }, test: { count: 10, points: new Float32Array(10) }, extent: [-1, 1, 0, 1], description: '' } as PointDataset;
  assert.throws(
    () => realnvpFamily.create(config('bimodal'), oneD, new Rng(1)),
    (err: unknown) => err instanceof UserError && /at least 2 dimensions/.test(err.message) && /gaussian or mixture/.test(err.hint),
  );
});
