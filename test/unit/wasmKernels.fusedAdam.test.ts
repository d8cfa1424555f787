// The fused Adam update on the wasm backend against tfjs's own AdamOptimizer: same values bit for
// bit over several steps (sizes that exercise both the 4-lane loop and the scalar tail), same
// optimizer state under the same names, and a working save/restore of that state.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
// tfjs-core's node bundle registers no gradients; tfjs-layers' bundle registers them.
import '@tensorflow/tfjs-layers';
import { FusedAdamOptimizer, fusedAdam, fusedAdamActive } from '../../src/trainer/backend/fusedAdam';
import { Rng } from '../../src/trainer/rng';

before(async () => {
  assert.ok(await tf.setBackend('wasm'));
  assert.ok(fusedAdamActive(), 'the fused update must be what these tests exercise');
});

const SHAPES = [[7, 5], [13], [1], [16, 4], [3, 130]];

function makeVariables(seed: number, prefix: string): tf.Variable[] {
  const rng = new Rng(seed);
  return SHAPES.map((shape, i) =>
    tf.variable(tf.tensor(rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1))), shape), true, `${prefix}${i}`),
  );
}

/** Runs `steps` updates with gradients that depend on the current values, returns the values. */
function train(optimizer: tf.Optimizer, vars: tf.Variable[], steps: number, seed: number): Float32Array[] {
  const rng = new Rng(seed);
  for (let s = 0; s < steps; s++) {
    const noise = vars.map((v) => tf.tensor(rng.fillNormal(new Float32Array(v.size)), v.shape));
    optimizer.minimize(() => tf.addN(vars.map((v, i) => tf.sum(tf.mul(tf.square(tf.sub(v, noise[i])), 0.5 + i)))) as tf.Scalar);
    tf.dispose(noise);
  }
  return vars.map((v) => v.dataSync() as Float32Array);
}

test('fused Adam gives bit-identical values and state to tf.train.adam on the wasm backend', async () => {
  for (const [lr, beta1, beta2, eps] of [[0.001, 0.9, 0.999, undefined], [0.05, 0.5, 0.9, 1e-3]] as const) {
    const stockVars = makeVariables(1, `stock${lr}_`);
    const fusedVars = makeVariables(1, `fused${lr}_`);
    const stock = tf.train.adam(lr, beta1, beta2, eps);
    const fused = fusedAdam(lr, beta1, beta2, eps);
    const expected = train(stock, stockVars, 6, 2);
    const actual = train(fused, fusedVars, 6, 2);
    actual.forEach((a, i) => assert.deepEqual(a, expected[i], `variable ${i}`));
    const [ws, wf] = [await stock.getWeights(), await fused.getWeights()];
    assert.deepEqual(
      wf.map((w) => w.name.replace('fused', 'stock')),
      ws.map((w) => w.name),
    );
    wf.forEach((w, i) => assert.deepEqual(w.tensor.dataSync(), ws[i].tensor.dataSync(), w.name));
    tf.dispose([...stockVars, ...fusedVars]);
    stock.dispose();
    fused.dispose();
  }
});

test('fused Adam state restores with setWeights and training continues identically', async () => {
  const a = makeVariables(3, 'restoreA');
  const optimizer = fusedAdam(0.01);
  train(optimizer, a, 3, 4);
  const saved = (await optimizer.getWeights()).map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) }));
  const b = a.map((v, i) => tf.variable(tf.clone(v), true, `restoreB${i}`));
  const resumed = new FusedAdamOptimizer(0.01, 0.9, 0.999);
  await resumed.setWeights(saved.map((w) => ({ name: w.name.replace('restoreA', 'restoreB'), tensor: w.tensor })));
  const expected = train(optimizer, a, 3, 5);
  const actual = train(resumed, b, 3, 5);
  actual.forEach((x, i) => assert.deepEqual(x, expected[i], `variable ${i}`));
  assert.equal(FusedAdamOptimizer.className, 'Adam');
  tf.dispose([...a, ...b, ...saved.map((w) => w.tensor)]);
  optimizer.dispose();
  resumed.dispose();
});

test('no tensors leak across fused Adam steps', () => {
  const vars = makeVariables(6, 'leak');
  const optimizer = fusedAdam(0.01);
  train(optimizer, vars, 1, 7); // the moment variables are created on the first step
  const start = tf.memory().numTensors;
  train(optimizer, vars, 5, 8);
  assert.equal(tf.memory().numTensors, start);
  tf.dispose(vars);
  optimizer.dispose();
});
