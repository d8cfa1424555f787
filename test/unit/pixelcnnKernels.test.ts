// The SIMD conv-training kernels of wasmConvKernels.ts (filter gradient, sum over leading axes)
// against the cpu backend on seeded random inputs: every tiling of the channels, the orientation
// with x's channels as vectors, the cases that fall back, strides and explicit paddings (the
// causal ones PixelCNN uses), and the gradients of a small masked-conv net.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// tfjs-core's node bundle registers no gradients; tfjs-layers' bundle registers them.
import '@tensorflow/tfjs-layers';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmConvKernels } from '../../src/trainer/backend/wasmConvKernels';
import { registerWasmTrainingKernels } from '../../src/trainer/backend/wasmKernels';
import { Rng } from '../../src/trainer/rng';

const TOLERANCE = 1e-5;

before(async () => {
  assert.ok(await tf.setBackend('wasm'));
  registerWasmTrainingKernels();
  assert.deepEqual(registerWasmConvKernels(), ['Conv2DBackpropFilter', 'Sum']);
  tf.env().set('IS_TEST', true);
});

function data(seed: number, ...shapes: number[][]): { shape: number[]; values: Float32Array }[] {
  const rng = new Rng(seed);
  return shapes.map((shape) => ({ shape, values: rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1))) }));
}

async function on(backend: 'wasm' | 'cpu', inputs: ReturnType<typeof data>, f: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<{ shape: number[]; values: Float32Array }[]> {
  assert.ok(await tf.setBackend(backend));
  const outs = tf.tidy(() => f(...inputs.map(({ shape, values }) => tf.tensor(values, shape))));
  const result = outs.map((t) => ({ shape: t.shape, values: t.dataSync() as Float32Array }));
  tf.dispose(outs);
  return result;
}

async function assertMatchesCpu(label: string, inputs: ReturnType<typeof data>, f: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<void> {
  const wasm = await on('wasm', inputs, f);
  const cpu = await on('cpu', inputs, f);
  assert.ok(await tf.setBackend('wasm'));
  wasm.forEach((actual, i) => {
    const expected = cpu[i];
    assert.deepEqual(actual.shape, expected.shape, `${label} output ${i} shape`);
    let diff = 0;
    let scale = 0;
    expected.values.forEach((e, j) => {
      diff = Math.max(diff, Math.abs(actual.values[j] - e));
      scale = Math.max(scale, Math.abs(e));
    });
    assert.ok(diff <= TOLERANCE * Math.max(scale, 1e-30), `${label} output ${i}: relative error ${diff / scale}`);
  });
}

type Pad = 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];
const causal = (k: number): Pad => [[0, 0], [Math.floor(k / 2), 0], [Math.floor(k / 2), Math.floor(k / 2)], [0, 0]];

function filterGradient(x: tf.Tensor, dy: tf.Tensor, filterShape: number[], strides: number | [number, number], pad: Pad): tf.Tensor {
  return tf.engine().runKernel('Conv2DBackpropFilter', { x, dy }, { strides, pad, filterShape, dataFormat: 'NHWC' } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

const FILTER_GRADIENTS: { size: [number, number]; k: [number, number]; ci: number; co: number; strides: number | [number, number]; pad: Pad; note: string }[] = [
  { size: [28, 28], k: [2, 3], ci: 32, co: 32, strides: 1, pad: causal(3), note: "PixelCNN's mask-B layer: 4x8 blocks" },
  { size: [9, 7], k: [1, 1], ci: 8, co: 12, strides: 1, pad: 'same', note: '4x4 blocks' },
  { size: [9, 7], k: [3, 3], ci: 3, co: 8, strides: 1, pad: 'same', note: '1x8 blocks' },
  { size: [9, 7], k: [1, 1], ci: 16, co: 1, strides: 1, pad: 'same', note: "one output channel: x's channels as the vectors" },
  { size: [9, 7], k: [3, 2], ci: 8, co: 3, strides: 1, pad: 'valid', note: "x's channels as the vectors, every tap" },
  { size: [11, 10], k: [5, 5], ci: 4, co: 8, strides: 2, pad: 'same', note: 'strided' },
  { size: [9, 8], k: [3, 3], ci: 8, co: 4, strides: [2, 1], pad: [[0, 0], [1, 2], [0, 1], [0, 0]], note: 'explicit uneven padding' },
  { size: [10, 12], k: [4, 7], ci: 1, co: 8, strides: 1, pad: causal(7), note: 'one input channel under many taps: falls back' },
  { size: [7, 7], k: [3, 3], ci: 3, co: 5, strides: 1, pad: 'same', note: 'channels that tile neither way: falls back' },
];

for (const c of FILTER_GRADIENTS) {
  test(`Conv2DBackpropFilter, ${c.note}: ${c.size.join('x')}x${c.ci} k${c.k.join('x')} -> ${c.co}, strides ${c.strides}, pad ${JSON.stringify(c.pad)}`, async () => {
    const { outShape } = tf.backend_util.computeConv2DInfo([2, ...c.size, c.ci], [...c.k, c.ci, c.co], c.strides, 1, c.pad);
    await assertMatchesCpu(c.note, data(1, [2, ...c.size, c.ci], outShape), (x, dy) => [
      filterGradient(x, dy, [...c.k, c.ci, c.co], c.strides, c.pad),
    ]);
  });
}

test('Sum over leading axes (bias gradients), with and without keepDims, rows of a width that is no multiple of 4; other axes as before', async () => {
  const inputs = data(2, [3, 5, 7, 6], [4, 9]);
  await assertMatchesCpu('sum', inputs, (x, y) => [
    tf.sum(x, [0, 1, 2]),
    tf.sum(x, [1, 0], true),
    tf.sum(x, 0),
    tf.sum(y, 0),
    tf.sum(x, [1, 2]),
    tf.sum(x),
  ]);
});

test('gradients of a small net of causal convolutions, with biases and ReLUs', async () => {
  const inputs = data(3, [2, 10, 10, 1], [4, 7, 1, 8], [8], [2, 3, 8, 8], [8], [1, 1, 8, 1]);
  const loss = (x: tf.Tensor) => (w1: tf.Tensor, b1: tf.Tensor, w2: tf.Tensor, b2: tf.Tensor, w3: tf.Tensor) => {
    const h = tf.relu(tf.add(tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 1, causal(7)), b1)) as tf.Tensor4D;
    const g = tf.fused.conv2d({ x: h, filter: w2 as tf.Tensor4D, strides: 1, pad: causal(3), bias: b2, activation: 'relu' });
    return tf.mean(tf.softplus(tf.conv2d(tf.add(h, g) as tf.Tensor4D, tf.div(w3, 3) as tf.Tensor4D, 1, 'same')));
  };
  await assertMatchesCpu('net', inputs, (x, ...weights) => tf.grads(loss(x))(weights));
});

test('a wrong kernel fails the comparison, so the comparisons do run on wasm', async () => {
  const ours = tf.getKernel('Conv2DBackpropFilter', 'wasm');
  const broken: tf.KernelFunc = (args) => {
    const out = ours.kernelFunc(args) as tf.TensorInfo;
    (args.backend as BackendWasm).typedArrayFromHeap(out)[0] += 0.01;
    return out;
  };
  tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
  tf.registerKernel({ ...ours, kernelFunc: broken });
  try {
    await assert.rejects(
      assertMatchesCpu('broken', data(4, [2, 5, 5, 4], [2, 5, 5, 8]), (x, dy) => [filterGradient(x, dy, [1, 1, 4, 8], 1, 'same')]),
      /relative error/,
    );
  } finally {
    tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
    tf.registerKernel(ours);
  }
});
