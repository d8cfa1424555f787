/**
 * Times the replacement wasm kernels against the stock ones on the shapes training actually runs:
 * the gradient products of a 784-400 dense layer (batch 128) and the convolution gradients of a
 * small DCGAN (batch 64, 5x5 filters, stride 2, 'same'). Needs the wasm backend with
 * registerWasmTrainingKernels() done, as initBackend leaves it.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { stockWasmKernel } from './wasmKernels';

interface Case {
  kernel: string;
  inputs: Record<string, number[]>;
  attrs: tf.NamedAttrMap;
}

const conv = { strides: 2, pad: 'same', dataFormat: 'NHWC' };
const CASES: Record<string, Case> = {
  'matMul dW = xᵀ·dy, 128x784 and 128x400': {
    kernel: 'BatchMatMul',
    inputs: { a: [128, 784], b: [128, 400] },
    attrs: { transposeA: true, transposeB: false },
  },
  'matMul dx = dy·Wᵀ, 128x400 and 784x400': {
    kernel: 'BatchMatMul',
    inputs: { a: [128, 400], b: [784, 400] },
    attrs: { transposeA: false, transposeB: true },
  },
  'conv filter grad 28x28x1 -> 14x14x32': {
    kernel: 'Conv2DBackpropFilter',
    inputs: { x: [64, 28, 28, 1], dy: [64, 14, 14, 32] },
    attrs: { ...conv, filterShape: [5, 5, 1, 32] },
  },
  'conv filter grad 14x14x32 -> 7x7x64': {
    kernel: 'Conv2DBackpropFilter',
    inputs: { x: [64, 14, 14, 32], dy: [64, 7, 7, 64] },
    attrs: { ...conv, filterShape: [5, 5, 32, 64] },
  },
  'conv2dTranspose 7x7x64 -> 14x14x32': {
    kernel: 'Conv2DBackpropInput',
    inputs: { dy: [64, 7, 7, 64], filter: [5, 5, 32, 64] },
    attrs: { ...conv, inputShape: [64, 14, 14, 32] },
  },
  'conv2dTranspose 14x14x32 -> 28x28x1': {
    kernel: 'Conv2DBackpropInput',
    inputs: { dy: [64, 14, 14, 32], filter: [5, 5, 1, 32] },
    attrs: { ...conv, inputShape: [64, 28, 28, 1] },
  },
};

function medianMs(f: () => void, reps = 5): number {
  f(); // warm-up: XNNPACK packs weights and the heap grows on the first call
  const times: number[] = [];
  for (let i = 0; i < reps; i++) {
    const start = performance.now();
    f();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[reps >> 1];
}

export async function benchConvKernels(): Promise<Record<string, { stockMs: number | null; oursMs: number }>> {
  await tf.ready();
  if (tf.getBackend() !== 'wasm') throw new Error(`benchConvKernels needs the wasm backend, not ${tf.getBackend()}`);
  const backend = tf.backend() as BackendWasm;
  const results: Record<string, { stockMs: number | null; oursMs: number }> = {};
  for (const [label, { kernel, inputs: shapes, attrs }] of Object.entries(CASES)) {
    const inputs = Object.fromEntries(Object.entries(shapes).map(([k, s], i) => [k, tf.randomNormal(s, 0, 1, 'float32', i)]));
    const stock = stockWasmKernel(kernel);
    results[label] = {
      stockMs: stock ? medianMs(() => backend.disposeData(stock({ inputs, backend, attrs }).dataId)) : null,
      oursMs: medianMs(() => (tf.engine().runKernel(kernel, inputs, attrs) as tf.Tensor).dispose()),
    };
    tf.dispose(Object.values(inputs));
  }
  return results;
}
