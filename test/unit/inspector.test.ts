import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { decode } from '../../src/protocol/decode';
import { ACTIVATION_BINS, activationsRecord, architecture, normsRecord } from '../../src/protocol/inspector';
import { initBackend } from '../../src/trainer/backend/select';
import { ActivationProbe } from '../../src/trainer/inspector/activations';
import { describeArchitecture, inspectedLayers, OWN_VARIABLES } from '../../src/trainer/inspector/layers';
import { NormsRecorder } from '../../src/trainer/inspector/norms';

before(async () => {
  await initBackend('cpu');
});

/** One dense layer 2→3, kernel [[1,0,2],[0,1,0]], zero bias: ‖W‖² = 1 + 4 + 1 = 6. */
function tinyDense(): tfl.Sequential {
  const model = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, inputShape: [2], name: 'dense' })] });
  model.setWeights([tf.tensor2d([[1, 0, 2], [0, 1, 0]]), tf.zeros([3])]);
  return model;
}

test('architecture: a dense 2→3 layer has 2·3 + 3 = 9 parameters, output [null,3]; a free variable beside it is counted once', () => {
  const net = tinyDense();
  const logScale = tf.variable(tf.zeros([4]), true, 'scale/log');
  const created = [...net.weights.map((w) => w.read() as tf.Variable), logScale, tf.variable(tf.scalar(1), false, 'adam/beta1_power')];
  const arch = describeArchitecture(inspectedLayers({ net }, created));
  assert.deepEqual(arch.networks, [
    { name: 'net', parameters: 9, layers: [{ name: 'dense', className: 'Dense', outputShape: '[null,3]', parameters: 9 }] },
    { name: OWN_VARIABLES, parameters: 4, layers: [{ name: 'scale', className: 'Variable', outputShape: '[4]', parameters: 4 }] },
  ]);
  assert.equal(arch.parameters, 13);
  assert.ok(decode(architecture, JSON.parse(JSON.stringify(arch))).ok);
});

test('norms: weight norm, gradient norm and update ratio of one SGD step match the hand computation', () => {
  const model = tinyDense();
  const optimizer = tf.train.sgd(0.1);
  const recorder = new NormsRecorder(inspectedLayers({ net: model }, []), [optimizer]);
  // loss = Σ (xK + b) with x = [1, 2]: ∂L/∂K = [[1,1,1],[2,2,2]], ∂L/∂b = [1,1,1]; ‖∇‖² = 3 + 12 + 3 = 18.
  const x = tf.tensor2d([[1, 2]]);
  const step = () => optimizer.minimize(() => tf.sum(model.apply(x) as tf.Tensor) as tf.Scalar);
  const tensors = tf.memory().numTensors;
  recorder.begin();
  step();
  const record = recorder.end(1)!;
  assert.ok(decode(normsRecord, JSON.parse(JSON.stringify(record))).ok);
  const [layer] = record.layers;
  assert.equal(layer.network, 'net');
  assert.equal(layer.layer, 'dense');
  assert.ok(Math.abs(layer.weightNorm - Math.sqrt(6)) < 1e-5);
  assert.ok(Math.abs(layer.gradientNorm! - Math.sqrt(18)) < 1e-5);
  // ΔW = −0.1·∇: ‖ΔW‖/‖W‖ = 0.1·√18/√6 = 0.1·√3.
  assert.ok(Math.abs(layer.updateRatio! - 0.1 * Math.sqrt(3)) < 1e-5);
  // Recording leaves no tensors behind, and a step outside begin/end records nothing.
  assert.equal(tf.memory().numTensors, tensors);
  step();
  assert.equal(tf.memory().numTensors, tensors);
});

test('norms: a layer no optimiser touched has its weight norm only', () => {
  const model = tinyDense();
  const recorder = new NormsRecorder(inspectedLayers({ net: model }, []), []);
  recorder.begin();
  const [layer] = recorder.end(3)!.layers;
  assert.ok(Math.abs(layer.weightNorm - Math.sqrt(6)) < 1e-5);
  assert.equal(layer.gradientNorm, undefined);
  assert.equal(layer.updateRatio, undefined);
});

test('activations: a ReLU layer on a fixed batch, by hand: min, max, mean, zeros and the histogram', () => {
  const net = tfl.sequential({ layers: [tfl.layers.dense({ units: 3, inputShape: [2], name: 'dense', activation: 'relu' })] });
  net.setWeights([tf.tensor2d([[1, 0, -1], [0, 1, 0]]), tf.zeros([3])]);
  // Rows [1, 2] and [3, -1]: outputs relu([1, 2, -1]) = [1, 2, 0] and relu([3, -1, -3]) = [3, 0, 0].
  const test2 = tf.tensor2d([[1, 2], [3, -1]]);
  const probe = new ActivationProbe({ net }, test2, 7);
  const record = probe.record(10);
  assert.ok(decode(activationsRecord, JSON.parse(JSON.stringify(record))).ok);
  const [layer] = record.layers;
  assert.equal(layer.layer, 'dense');
  assert.equal(layer.min, 0);
  assert.equal(layer.max, 3);
  assert.ok(Math.abs(layer.mean - 1) < 1e-6);
  // Deviations from the mean 1: 0, 1, −1, 2, −1, −1; their squares sum to 8.
  assert.ok(Math.abs(layer.std - Math.sqrt(8 / 6)) < 1e-6);
  assert.equal(layer.zeros, 0.5);
  assert.equal(layer.counts.length, ACTIVATION_BINS);
  assert.equal(layer.counts.reduce((a, b) => a + b, 0), 6);
  assert.equal(layer.counts[0], 3);
  assert.equal(layer.counts[ACTIVATION_BINS - 1], 1);
  probe.dispose();
});

test('activations: a network taking a latent code gets the same standard normal batch at every evaluation', () => {
  const decoder = tfl.sequential({ layers: [tfl.layers.dense({ units: 4, inputShape: [5], name: 'out' })] });
  const probe = new ActivationProbe({ decoder }, tf.zeros([10, 2]) as tf.Tensor2D, 3);
  assert.deepEqual(probe.record(1).layers[0].counts, probe.record(2).layers[0].counts);
  probe.dispose();
});
