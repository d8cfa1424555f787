import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { decode } from '../../src/protocol/decode';
import { architecture, normsRecord } from '../../src/protocol/inspector';
import { initBackend } from '../../src/trainer/backend/select';
import { describeArchitecture } from '../../src/trainer/inspector/architecture';
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

test('architecture: a dense 2→3 layer has 2·3 + 3 = 9 parameters, output [null,3]', () => {
  const arch = describeArchitecture({ net: tinyDense() });
  assert.deepEqual(arch.networks[0].layers, [{ name: 'dense', className: 'Dense', outputShape: '[null,3]', parameters: 9 }]);
  assert.equal(arch.networks[0].parameters, 9);
  assert.equal(arch.parameters, 9);
  assert.ok(decode(architecture, JSON.parse(JSON.stringify(arch))).ok);
});

test('norms: weight norm, gradient norm and update ratio of one SGD step match the hand computation', () => {
  const model = tinyDense();
  const optimizer = tf.train.sgd(0.1);
  const recorder = new NormsRecorder({ net: model }, [optimizer]);
  // loss = Σ (xK + b) with x = [1, 2]: ∂L/∂K = [[1,1,1],[2,2,2]], ∂L/∂b = [1,1,1]; ‖∇‖² = 3 + 12 + 3 = 18.
  const x = tf.tensor2d([[1, 2]]);
  const step = () => optimizer.minimize(() => tf.sum(model.apply(x) as tf.Tensor) as tf.Scalar);
  recorder.begin();
  step();
  const record = recorder.end(1);
  assert.ok(decode(normsRecord, JSON.parse(JSON.stringify(record))).ok);
  const [layer] = record.layers;
  assert.equal(layer.network, 'net');
  assert.equal(layer.layer, 'dense');
  assert.ok(Math.abs(layer.weightNorm - Math.sqrt(6)) < 1e-5);
  assert.ok(Math.abs(layer.gradientNorm! - Math.sqrt(18)) < 1e-5);
  // ΔW = −0.1·∇: ‖ΔW‖/‖W‖ = 0.1·√18/√6 = 0.1·√3.
  assert.ok(Math.abs(layer.updateRatio! - 0.1 * Math.sqrt(3)) < 1e-5);

  // A step outside begin/end records nothing and leaves no tensors behind.
  const tensors = tf.memory().numTensors;
  step();
  assert.equal(tf.memory().numTensors, tensors);
});
