import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { completeConfig } from '../../src/protocol/config';
import { Batcher } from '../../src/trainer/data/dataset';
import { loadImageDataset } from '../../src/trainer/data/imageDatasets';
import { dcganDiscriminator, forward, ganFamily } from '../../src/trainer/families/gan';
import { Rng } from '../../src/trainer/rng';
import { eightGaussians, pointData } from './pointData';
import { initFamilyBackend } from '../support/familyBackend';

before(async () => {
  await initFamilyBackend();
});

const plane: [number, number, number, number] = [-4, 4, -4, 4];

/** Every weight of a model's training state, copied. */
async function weights(model: { getState?(): Promise<{ name: string; tensor: tf.Tensor }[]> }): Promise<Map<string, Float32Array>> {
  return new Map((await model.getState!()).filter((t) => /^(generator|discriminator)\//.test(t.name)).map((t) => [t.name, Float32Array.from(t.tensor.dataSync())]));
}

for (const loss of ['non-saturating', 'least-squares'] as const) {
  test(`a 2-D GAN (${loss}) trains: the histogram JS to held-out data falls by a clear margin; both players learn`, () => {
    const rng = new Rng(3);
    const data = pointData(2, eightGaussians(20000, rng), eightGaussians(5000, rng), plane);
    const steps = 800;
    const config = completeConfig({ family: 'gan', dataset: '8gaussians', steps, learningRate: 1e-3, model: { loss } });
    const model = ganFamily.create(config, data, new Rng(1));
    const before = model.evaluate();
    const batches = new Batcher(data, 256, new Rng(2));
    const losses: Record<string, number>[] = [];
    for (let i = 0; i < steps; i++) {
      const x = batches.next();
      losses.push(model.trainStep(x));
      x.dispose();
    }
    const after = model.evaluate();
    assert.ok(before.js > 0.4, `an untrained generator misses the data: JS ${before.js}`);
    assert.ok(after.js < before.js / 2, `JS ${before.js} → ${after.js}`);
    assert.ok(after.kl < before.kl / 2, `KL ${before.kl} → ${after.kl}`);
    for (const key of ['discriminator', 'generator']) {
      assert.ok(losses.every((l) => Number.isFinite(l[key])), `${key} loss stays finite`);
      assert.notEqual(losses[0][key], losses.at(-1)![key]);
    }
    const view = model.density!()!;
    assert.equal(view.field, 'discriminator');
    assert.equal(view.values.length, view.width * view.height);
    assert.ok(view.values.every((v) => v >= 0 && v <= 1), 'D(x) is a probability');
    assert.ok(Math.max(...view.values) - Math.min(...view.values) > 0.05, 'the discriminator tells places apart');
    assert.equal(view.samples.length, 2 * 600);
    model.dispose();
  });
}

test("the discriminator's training pass (its own LeakyReLU and unfused convolutions) gives apply's outputs and gradients", () => {
  const d = dcganDiscriminator({ width: 28, height: 28, channels: 1 }, 8, 7);
  const x = tf.randomUniform([5, 784], 0, 1, 'float32', 3) as tf.Tensor2D;
  // A weighted sum, so that every logit's gradient differs.
  const w = tf.tensor2d([[1], [-2], [0.5], [3], [-1]]);
  const variables = d.trainableWeights.map((v) => v.read() as tf.Variable);
  const grads = (run: (x: tf.Tensor) => tf.Tensor) =>
    tf.tidy(() => {
      const { value, grads: g } = tf.variableGrads(() => tf.sum(tf.mul(run(x), w)) as tf.Scalar, variables);
      const dx = tf.grad((input: tf.Tensor) => tf.sum(tf.mul(run(input), w)))(x);
      return [value, dx, ...variables.map((v) => g[v.name])].map((t) => Array.from(t.dataSync()));
    });
  const ours = grads((input) => forward(d, input));
  const reference = grads((input) => d.apply(input) as tf.Tensor);
  assert.equal(ours.length, 2 + 6, 'value, input gradient, and two kernels and a bias per conv and for the dense layer');
  ours.forEach((values, k) => {
    const scale = Math.max(...reference[k].map(Math.abs));
    assert.ok(scale > 0);
    values.forEach((v, i) => assert.ok(Math.abs(v - reference[k][i]) <= 1e-4 * scale, `tensor ${k}[${i}]: ${v} vs ${reference[k][i]}`));
  });
  tf.dispose([x, w]);
  d.dispose();
});

test('a DCGAN on MNIST takes a step that updates both networks and draws grey-level grids; latent tools decode interpolations and traversals', async () => {
  const data = await loadImageDataset('mnist');
  const config = completeConfig({ family: 'gan', dataset: 'mnist', steps: 2, batchSize: 16, model: { channels: 8, latentDim: 4 } });
  const model = ganFamily.create(config, data, new Rng(1));
  const batches = new Batcher(data, 16, new Rng(2), ganFamily.grayscale);
  const x = batches.next();
  assert.ok(x.dataSync().some((v) => v > 0 && v < 1), 'GAN batches keep grey levels');
  const start = await weights(model);
  const values = model.trainStep(x);
  x.dispose();
  assert.ok(Number.isFinite(values.discriminator) && Number.isFinite(values.generator));
  const end = await weights(model);
  assert.equal(start.size, 2 * 3 + 3 * 2, 'the generator has a dense layer and two transposed convolutions, the discriminator two convolutions and a dense layer');
  for (const [name, w] of start) assert.ok(w.some((v, i) => v !== end.get(name)![i]), `${name} is updated`);
  assert.deepEqual(model.evaluate(), {}, 'no likelihood, no histogram for images');
  assert.equal(model.density!(), undefined);
  const [grid] = model.sample!();
  assert.equal(grid.count, 64);
  assert.equal(grid.pixels.length, 64 * 784);
  assert.ok(grid.pixels.every((v) => v >= 0 && v <= 1));
  assert.deepEqual(Array.from(model.sample!()[0].pixels), Array.from(grid.pixels), 'the grid is drawn from fixed noise');
  const tools = model.latentTools!;
  const strip = tools.interpolate(new Rng(5), 6, 2);
  assert.equal(strip.count, 12);
  assert.equal(strip.cols, 6);
  const traversal = tools.traverse([0, 3], 5, 2);
  assert.equal(traversal.count, 25);
  // The centre of a traversal is z = 0, whatever the dimensions traversed.
  const centre = tools.traverse([1, 2], 5, 2).pixels.subarray(12 * 784, 13 * 784);
  assert.deepEqual(Array.from(traversal.pixels.subarray(12 * 784, 13 * 784)), Array.from(centre));
  model.dispose();
  assert.ok(tf.memory().numTensors < 200);
  assert.throws(() => ganFamily.create(config, { ...data, width: 30, height: 30 }, new Rng(1)), /multiples of 4/);
});
