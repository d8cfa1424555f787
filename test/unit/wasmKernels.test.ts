// The replacement wasm kernels against the cpu backend's, on seeded random inputs: every
// transposition of BatchMatMul, and the conv gradients over strides, paddings, odd sizes and
// channel counts, alone and inside a small conv net.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// tfjs-core's node bundle registers no gradients; tfjs-layers' bundle carries and registers them,
// which is how the trainer gets them too.
import '@tensorflow/tfjs-layers';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { registerWasmTrainingKernels } from '../../src/trainer/backend/wasmKernels';
import { Rng } from '../../src/trainer/rng';

const TOLERANCE = 1e-4;

before(async () => {
  assert.ok(await tf.setBackend('wasm'));
  registerWasmTrainingKernels();
  // Makes the engine check after every kernel that it left no intermediate tensor behind.
  tf.env().set('IS_TEST', true);
});

/** Seeded inputs as plain arrays, so that both backends receive the same numbers. */
function inputs(seed: number, ...shapes: number[][]): { shape: number[]; values: Float32Array }[] {
  const rng = new Rng(seed);
  return shapes.map((shape) => ({ shape, values: rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1))) }));
}

type Data = ReturnType<typeof inputs>;

/** Runs `f` on one backend, asserting it really is that backend, and reads back the results. */
async function on(backend: 'wasm' | 'cpu', data: Data, f: (...xs: tf.Tensor[]) => tf.Tensor[]): Promise<Float32Array[]> {
  assert.ok(await tf.setBackend(backend));
  const outs = tf.tidy(() => {
    assert.equal(tf.getBackend(), backend);
    return f(...data.map(({ shape, values }) => tf.tensor(values, shape)));
  });
  const values = outs.map((t) => t.dataSync() as Float32Array);
  tf.dispose(outs);
  return values;
}

/** Largest difference, relative to the largest expected magnitude (sums of many terms cancel elementwise). */
function relativeError(actual: Float32Array, expected: Float32Array): number {
  assert.equal(actual.length, expected.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < actual.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / Math.max(scale, 1e-30);
}

async function assertWasmMatchesCpu(label: string, data: Data, f: (...xs: tf.Tensor[]) => tf.Tensor[], names?: string[]): Promise<void> {
  const wasm = await on('wasm', data, f);
  const cpu = await on('cpu', data, f);
  wasm.forEach((actual, i) => {
    const err = relativeError(actual, cpu[i]);
    assert.ok(err <= TOLERANCE, `${label}${names ? ` ${names[i]}` : ''}: relative error ${err.toExponential(2)}`);
  });
}

test('registering twice keeps one set of replacements', () => {
  const kernel = tf.getKernel('BatchMatMul', 'wasm').kernelFunc;
  assert.deepEqual(registerWasmTrainingKernels(), ['BatchMatMul', 'Conv2DBackpropFilter', 'Conv2DBackpropInput']);
  assert.equal(tf.getKernel('BatchMatMul', 'wasm').kernelFunc, kernel);
});

const MATMULS: { a: number[]; b: number[] }[] = [
  { a: [5, 7], b: [7, 3] },
  { a: [1, 9], b: [9, 1] },
  { a: [2, 5, 7], b: [2, 7, 3] },
  { a: [2, 3, 4, 6], b: [3, 6, 5] }, // batch dims broadcast
];

for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]]) {
  test(`BatchMatMul transposeA=${transposeA} transposeB=${transposeB}`, async () => {
    for (const [i, { a, b }] of MATMULS.entries()) {
      const swap = (s: number[], t: boolean) => (t ? [...s.slice(0, -2), s.at(-1)!, s.at(-2)!] : s);
      await assertWasmMatchesCpu(`${a} x ${b}`, inputs(i, swap(a, transposeA), swap(b, transposeB)), (x, y) => [
        tf.matMul(x, y, transposeA, transposeB),
      ]);
    }
  });
}

test('BatchMatMul on the VAE gradient shapes', async () => {
  const data = inputs(10, [128, 784], [128, 400], [784, 400]);
  await assertWasmMatchesCpu('VAE', data, (x, dy, w) => [tf.matMul(x, dy, true, false), tf.matMul(dy, w, false, true)], ['dW', 'dx']);
});

interface ConvCase {
  n: number;
  size: [number, number];
  k: [number, number];
  ci: number;
  co: number;
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];
}

const CONVS: ConvCase[] = [
  { n: 2, size: [7, 7], k: [3, 3], ci: 3, co: 4, strides: 1, pad: 'same' },
  { n: 2, size: [7, 7], k: [3, 3], ci: 1, co: 8, strides: 2, pad: 'same' },
  { n: 2, size: [7, 7], k: [5, 5], ci: 4, co: 2, strides: 2, pad: 'valid' },
  { n: 3, size: [5, 9], k: [3, 3], ci: 2, co: 5, strides: 2, pad: 'same' },
  { n: 1, size: [5, 9], k: [4, 4], ci: 3, co: 3, strides: 2, pad: 'valid' },
  { n: 2, size: [8, 8], k: [3, 3], ci: 2, co: 3, strides: 2, pad: 'valid' }, // a row and column fall in no window
  { n: 2, size: [14, 14], k: [4, 4], ci: 16, co: 8, strides: 2, pad: 'same' }, // output not phase-aligned
  { n: 2, size: [28, 28], k: [5, 5], ci: 1, co: 16, strides: 2, pad: 'same' },
  { n: 2, size: [6, 6], k: [3, 3], ci: 2, co: 3, strides: 3, pad: 'same' },
  { n: 2, size: [9, 7], k: [3, 2], ci: 3, co: 2, strides: [2, 1], pad: 'same' },
  { n: 2, size: [7, 5], k: [3, 3], ci: 2, co: 3, strides: 1, pad: 1 },
  { n: 2, size: [7, 5], k: [3, 3], ci: 2, co: 3, strides: 1, pad: 3 }, // wider than the filter: stock fallback
  { n: 2, size: [9, 8], k: [3, 3], ci: 2, co: 3, strides: 2, pad: [[0, 0], [1, 2], [0, 1], [0, 0]] },
];

for (const c of CONVS) {
  const label = `${c.size.join('x')}x${c.ci} k${c.k.join('x')} -> ${c.co}, strides ${c.strides}, pad ${JSON.stringify(c.pad)}`;
  test(`conv2d gradients (Conv2DBackpropInput, Conv2DBackpropFilter): ${label}`, async () => {
    const { outShape } = tf.backend_util.computeConv2DInfo([c.n, ...c.size, c.ci], [...c.k, c.ci, c.co], c.strides, 1, c.pad);
    const data = inputs(1, [c.n, ...c.size, c.ci], [...c.k, c.ci, c.co], outShape);
    await assertWasmMatchesCpu(
      label,
      data,
      (x, filter, dy) => tf.grads((x: tf.Tensor, f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x as tf.Tensor4D, f as tf.Tensor4D, c.strides, c.pad), dy)))([x, filter]),
      ['dx', 'dFilter'],
    );
    await assertWasmMatchesCpu(label, data, (x, filter, dy) => [
      tf.conv2dTranspose(dy as tf.Tensor4D, filter as tf.Tensor4D, x.shape as [number, number, number, number], c.strides, c.pad),
    ], ['conv2dTranspose']);
  });
}

test('gradients of a small conv2dTranspose generator and conv discriminator', async () => {
  const data = inputs(7, [4, 4, 4, 8], [3, 3, 6, 8], [5, 5, 1, 6], [5, 5, 1, 8], [3, 3, 8, 4], [36, 1]);
  // Weights scaled by 1/sqrt(fan-in), as an initialiser would, so that tanh does not saturate.
  const scaled = (w: tf.Tensor, fanIn: number) => tf.div(w, Math.sqrt(fanIn)) as tf.Tensor4D;
  const loss = (z: tf.Tensor) => (g1: tf.Tensor, g2: tf.Tensor, d1: tf.Tensor, d2: tf.Tensor, dense: tf.Tensor) => {
    const h = tf.relu(tf.conv2dTranspose(z as tf.Tensor4D, scaled(g1, 9 * 8), [4, 7, 7, 6], 2, 'same'));
    const image = tf.tanh(tf.conv2dTranspose(h, scaled(g2, 25 * 6), [4, 13, 13, 1], 2, 'same'));
    const f1 = tf.relu(tf.conv2d(image, scaled(d1, 25), 2, 'same'));
    const f2 = tf.relu(tf.conv2d(f1, scaled(d2, 9 * 8), 2, 'valid'));
    return tf.mean(tf.softplus(tf.matMul(tf.reshape(f2, [4, 36]), scaled(dense, 36))));
  };
  await assertWasmMatchesCpu('conv net', data, (z, ...weights) => tf.grads(loss(z))(weights), ['g1', 'g2', 'd1', 'd2', 'dense']);
});

test('a wrong kernel fails the comparison, so the comparisons do run on wasm', async () => {
  const ours = tf.getKernel('Conv2DBackpropInput', 'wasm');
  const broken: tf.KernelFunc = (args) => {
    const out = ours.kernelFunc(args) as tf.TensorInfo;
    (args.backend as BackendWasm).typedArrayFromHeap(out)[0] += 0.01;
    return out;
  };
  tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel({ ...ours, kernelFunc: broken });
  try {
    const data = inputs(3, [2, 3, 3, 4], [3, 3, 2, 4]);
    await assert.rejects(
      assertWasmMatchesCpu('broken', data, (dy, filter) => [tf.conv2dTranspose(dy as tf.Tensor4D, filter as tf.Tensor4D, [2, 6, 6, 2], 2, 'same')]),
      /relative error/,
    );
  } finally {
    tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
    tf.registerKernel(ours);
  }
});
