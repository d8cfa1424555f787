// Backend selection on this machine, where tfjs-node cannot install: `auto` lands on wasm. The
// tests share one process and run in order; switching backends within a process is supported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '../../src/trainer/backend/select';

const tfjsNodeInstalled = (() => {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
})();
const skip = tfjsNodeInstalled && 'tfjs-node is installed here';

test('auto falls back to wasm with our kernels, and says why', { skip }, async () => {
  const info = await initBackend('auto');
  assert.equal(info.name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.match(info.label, /^wasm \((SIMD|no SIMD), 1 thread\)$/);
  assert.ok(info.notes.some((n) => /^tfjs-node: not installed/.test(n)), info.notes.join('; '));
  assert.deepEqual(info.replacedKernels, ['BatchMatMul', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', '_FusedMatMul', 'Identity', 'Sum']);
  assert.equal(info.versions['tfjs-core'], tf.version_core);
  assert.match(info.versions['tfjs-backend-wasm'], /^\d+\.\d+\.\d+/);
  assert.equal(info.versions.node, process.versions.node);
});

test('forcing tensorflow without tfjs-node names the fix', { skip }, async () => {
  await assert.rejects(initBackend('tensorflow'), (err: Error) => err.message.includes('npm install @tensorflow/tfjs-node'));
});

test('cpu can be forced', async () => {
  const info = await initBackend('cpu');
  assert.equal(info.name, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.deepEqual(info.replacedKernels, []);
  const sum = tf.add(tf.scalar(1), tf.scalar(2));
  assert.equal(sum.dataSync()[0], 3);
  tf.dispose(sum);
});

test('selecting again switches back and registers nothing twice', { skip }, async () => {
  const info = await initBackend('auto');
  assert.equal(info.name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.equal(info.replacedKernels.length, 6);
});

test("tfjs's Node.js banner is silenced: nothing on stdout or stderr", () => {
  // A fresh process: the cpu backend prints its "install tfjs-node" banner on its first tensor.
  const select = JSON.stringify(resolve(__dirname, '../../src/trainer/backend/select.ts'));
  const script = `
    const tf = require('@tensorflow/tfjs-core');
    require(${select}).initBackend('cpu').then(() => { tf.scalar(1).dataSync(); console.log('done'); });`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
  assert.equal(child.stderr, '');
  assert.equal(child.stdout, 'done\n');
});
