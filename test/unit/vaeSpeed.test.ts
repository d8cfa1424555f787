// The VAE's training step computes its loss and gradients with hand-written pieces (a Bernoulli NLL
// without the Softplus kernel, the latent sampling and KL in plain loops) for speed. These check
// them against tfjs autodiff of the plain formulas (bernoulliNll, gaussianKl) on the same weights,
// batch and noise, on the wasm backend and on the cpu backend.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import { completeConfig } from '../../src/protocol/config';
import { initBackend } from '../../src/trainer/backend/select';
import { binarizeBatch, type ImageDataset, loadImageDataset } from '../../src/trainer/data/imageDatasets';
import { vaeFamily } from '../../src/trainer/families/vae';
import { Rng } from '../../src/trainer/rng';

let data: ImageDataset;

before(async () => {
  await initBackend('wasm');
  data = await loadImageDataset('mnist');
});

after(async () => {
  await initBackend('wasm');
});

/** The private parts of the model these checks reach into. */
interface VaeInternals {
  optimizer: tf.Optimizer;
  rng: Rng;
  noise(rows: number, rng: Rng): tf.Tensor2D;
  terms(x: tf.Tensor2D, eps: tf.Tensor2D): { recon: tf.Tensor1D; kl: tf.Tensor1D };
}

/** An optimizer that records the gradients it is given and changes nothing. */
class Recorder extends tf.SGDOptimizer {
  grads: Record<string, Float32Array> = {};
  constructor() {
    super(0);
  }
  override applyGradients(variableGradients: Parameters<tf.SGDOptimizer['applyGradients']>[0]): void {
    const named = Array.isArray(variableGradients) ? variableGradients : Object.entries(variableGradients).map(([name, tensor]) => ({ name, tensor }));
    for (const { name, tensor } of named) this.grads[name] = tensor.dataSync().slice() as Float32Array;
  }
}

function relativeError(actual: Float32Array, expected: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / Math.max(scale, 1e-30);
}

async function checkStep(backend: 'wasm' | 'cpu', rows: number, inputs: 'binary' | 'grey'): Promise<void> {
  await initBackend(backend);
  const config = completeConfig({ family: 'vae', steps: 1, batchSize: rows });
  const model = vaeFamily.create(config, data, new Rng(11));
  const inner = model as unknown as VaeInternals;
  const rng = new Rng(12);
  const idx = Array.from({ length: rows }, () => Math.floor(rng.next() * data.train.count));
  const pixels = binarizeBatch(data.train.pixels, idx, rng, new Float32Array(rows * 784));
  // Grey levels in [0, 1] too: the loss is defined for them, not only for binary pixels.
  if (inputs === 'grey') pixels.forEach((_, i) => (pixels[i] = rng.next()));
  const x = tf.tensor2d(pixels, [rows, 784]);
  // Train a few steps first, so the weights are not at their initial, symmetric values.
  for (let s = 0; s < 3; s++) model.trainStep(x);

  const recorder = new Recorder();
  const adam = inner.optimizer;
  inner.optimizer = recorder;
  inner.rng = new Rng(13);
  const values = model.trainStep(x);
  inner.optimizer = adam;

  const eps = inner.noise(rows, new Rng(13));
  const { value, grads } = tf.variableGrads(() => {
    const t = inner.terms(x, eps);
    return tf.add(tf.mean(t.recon), tf.mean(t.kl)) as tf.Scalar;
  });
  const expected = tf.tidy(() => {
    const t = inner.terms(x, eps);
    return { recon: tf.mean(t.recon).dataSync()[0], kl: tf.mean(t.kl).dataSync()[0] };
  });
  assert.ok(Math.abs(values.recon - expected.recon) < 1e-5 * Math.abs(expected.recon), `${backend} recon ${values.recon} vs ${expected.recon}`);
  assert.ok(Math.abs(values.kl - expected.kl) < 1e-4 * Math.max(1, Math.abs(expected.kl)), `${backend} kl ${values.kl} vs ${expected.kl}`);
  assert.ok(Math.abs(values.negElbo - value.dataSync()[0]) < 1e-5 * values.negElbo);
  assert.deepEqual(Object.keys(recorder.grads).sort(), Object.keys(grads).sort());
  for (const [name, g] of Object.entries(grads)) {
    const err = relativeError(recorder.grads[name], g.dataSync() as Float32Array);
    assert.ok(err < 1e-4, `${backend} ${inputs} gradient of ${name}: relative error ${err}`);
  }
  tf.dispose([x, eps, value, ...Object.values(grads)]);
  model.dispose();
  recorder.dispose();
}

test('training step loss terms and gradients match autodiff of bernoulliNll + gaussianKl (wasm)', async () => {
  await checkStep('wasm', 128, 'binary');
  await checkStep('wasm', 37, 'grey');
});

test('training step loss terms and gradients match autodiff of bernoulliNll + gaussianKl (cpu)', async () => {
  await checkStep('cpu', 16, 'binary');
});
