// The wasm fast paths against the cpu backend on seeded random inputs: BatchMatMul and _FusedMatMul
// shapes where the swapped product (Cᵀ = Bᵀ·Aᵀ) is chosen, or the sums of rows for a sparse binary
// left operand (with the cases that must fall back), for every transposition, with bias and
// activations (the stock fused kernel adds the bias wrongly when both operands are transposed);
// Identity sharing data; and all of them inside gradients of a small dense net.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
// tfjs-core's node bundle registers no gradients; tfjs-layers' bundle registers them.
import '@tensorflow/tfjs-layers';
import { registerWasmFastPaths, registerWasmTrainingKernels } from '../../src/trainer/backend/wasmKernels';
import { Rng } from '../../src/trainer/rng';

const TOLERANCE = 1e-5;

before(async () => {
  assert.ok(await tf.setBackend('wasm'));
  registerWasmTrainingKernels();
  assert.deepEqual(registerWasmFastPaths(), ['_FusedMatMul', 'Identity']);
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

// [m, k, n]: a narrow left operand against a wide right one, where the swapped product packs less.
const SWAPPED: [number, number, number][] = [
  [3, 40, 50],
  [16, 37, 29],
  [1, 64, 33],
];

for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]]) {
  test(`matMul with the swapped product, transposeA=${transposeA} transposeB=${transposeB}`, async () => {
    for (const [i, [m, k, n]] of SWAPPED.entries()) {
      const a = transposeA ? [k, m] : [m, k];
      const b = transposeB ? [n, k] : [k, n];
      await assertMatchesCpu(`${a} x ${b}`, data(i, a, b), (x, y) => [
        tf.matMul(x, y, transposeA, transposeB),
        tf.matMul(tf.reshape(x, [1, ...a]), tf.reshape(y, [1, ...b]), transposeA, transposeB),
      ]);
    }
  });
}

test('fused matMul with bias and linear / relu / elu activations, swapped or not', async () => {
  for (const [i, [m, k, n]] of [...SWAPPED, [50, 40, 3] as [number, number, number]].entries()) {
    for (const activation of ['linear', 'relu', 'elu'] as const) {
      await assertMatchesCpu(`${m}x${k}x${n} ${activation}`, data(10 + i, [m, k], [k, n], [n]), (x, w, bias) => [
        tf.fused.matMul({ a: x, b: w, bias, activation }),
        tf.fused.matMul({ a: x, b: w, activation }),
        tf.fused.matMul({ a: tf.transpose(x), b: tf.transpose(w), transposeA: true, transposeB: true, bias, activation }),
      ]);
    }
  }
});

/** Seeded 0/1 matrices with about `density` ones, and `spoil` cells set to 0.5 (not binary). */
function binary(seed: number, shape: number[], density: number, spoil = 0): { shape: number[]; values: Float32Array } {
  const rng = new Rng(seed);
  const values = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => (rng.next() < density ? 1 : 0));
  for (let i = 0; i < spoil; i++) values[Math.floor(rng.next() * values.length)] = 0.5;
  return { shape, values };
}

test('matMul with a sparse binary left operand (sums of rows), every transposition, and its fallbacks', async () => {
  // [m, k, n] large enough for the row sums; n odd for the scalar tail of the SIMD loop.
  for (const [m, k, n] of [[64, 200, 45], [150, 70, 31]]) {
    for (const [transposeA, transposeB] of [[false, false], [true, false], [false, true], [true, true]]) {
      const a = transposeA ? [k, m] : [m, k];
      const b = transposeB ? [n, k] : [k, n];
      for (const [density, spoil] of [[0.15, 0], [0.0, 0], [0.15, 1], [0.6, 0]]) {
        const inputs = [binary(m + n, a, density, spoil), ...data(n, b)];
        await assertMatchesCpu(`${a} x ${b} density ${density} spoil ${spoil}`, inputs, (x, y) => [
          tf.matMul(x, y, transposeA, transposeB),
          tf.matMul(tf.reshape(x, [1, ...a]), y, transposeA, transposeB),
          tf.fused.matMul({ a: x as tf.Tensor2D, b: y as tf.Tensor2D, transposeA, transposeB, bias: tf.linspace(-1, 1, n), activation: 'relu' }),
        ]);
      }
    }
  }
});

test('Identity shares data that stays valid after the original is disposed', () => {
  const x = tf.tensor([1, 2, 3]);
  const y = tf.clone(x);
  x.dispose();
  assert.deepEqual(Array.from(y.dataSync()), [1, 2, 3]);
  y.dispose();
  const s = tf.clone(tf.tensor(['a', 'b']));
  assert.deepEqual(s.dataSync(), ['a', 'b']);
  s.dispose();
});

test('gradients of a small dense net with the fast paths', async () => {
  await assertMatchesCpu('dense net', data(30, [8, 33], [33, 45], [45], [45, 7], [7]), (x, w1, b1, w2, b2) => {
    const f = (w1v: tf.Tensor, b1v: tf.Tensor, w2v: tf.Tensor, b2v: tf.Tensor) => {
      const h = tf.fused.matMul({ a: x as tf.Tensor2D, b: w1v as tf.Tensor2D, bias: b1v, activation: 'relu' });
      return tf.sum(tf.square(tf.fused.matMul({ a: h, b: w2v as tf.Tensor2D, bias: b2v })));
    };
    return tf.grads(f)([w1, b1, w2, b2]);
  });
});
