// Backend selection. `npm test` runs with no native backend (scripts/run-tests.mjs points
// GENLAB_NATIVE_DIR at an empty folder), where `auto` lands on wasm; `npm run test:native` runs it
// with GenLab's per-user install, where `auto` picks tensorflow. The tests share one process and
// run in order; switching backends within a process is supported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { TFJS_VERSION } from '../../src/protocol/native';
import { initBackend } from '../../src/trainer/backend/select';
import { findNativeInstall, installDir, MANIFEST_FILE, tfjsNodePackage } from '../../src/shared/native/location';
import { FAMILY_BACKEND } from '../support/familyBackend';

const native = FAMILY_BACKEND === 'tensorflow';
const skip = native && 'the native backend is installed for this run';

/** Runs `body` with the per-user install looked for in `dir`. */
async function withNativeDir<T>(dir: string, body: () => Promise<T>): Promise<T> {
  const before = process.env.GENLAB_NATIVE_DIR;
  process.env.GENLAB_NATIVE_DIR = dir;
  try {
    return await body();
  } finally {
    process.env.GENLAB_NATIVE_DIR = before;
  }
}

test('auto falls back to wasm with our kernels, and says why', { skip }, async () => {
  const info = await initBackend('auto');
  assert.equal(info.name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.match(info.label, /^wasm \((SIMD|no SIMD), 1 thread\)$/);
  assert.ok(info.notes.some((n) => /^tfjs-node: not installed \(GenLab: Install Native Backend/.test(n)), info.notes.join('; '));
  assert.deepEqual(info.replacedKernels, ['BatchMatMul', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', '_FusedMatMul', 'Identity', 'Sum']);
  assert.equal(info.versions['tfjs-core'], tf.version_core);
  assert.match(info.versions['tfjs-backend-wasm'], /^\d+\.\d+\.\d+/);
  assert.equal(info.versions.node, process.versions.node);
});

test('forcing tensorflow without the native backend names the fix', { skip }, async () => {
  await assert.rejects(initBackend('tensorflow'), (err: Error) => err.message.includes('not installed: run GenLab: Install Native Backend (or `genlab native install`)'));
});

test('an install that never finished, or of another TensorFlow.js, is passed over naming why', { skip }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-native-'));
  const dir = installDir({ GENLAB_NATIVE_DIR: root });
  fs.mkdirSync(dir, { recursive: true });
  const unfinished = await withNativeDir(root, () => initBackend('auto'));
  assert.equal(unfinished.name, 'wasm');
  assert.ok(unfinished.notes.some((n) => n.startsWith(`tfjs-node: damaged (${path.join(dir, MANIFEST_FILE)}`)), unfinished.notes.join('; '));
  const manifest = { tfjsNode: '4.21.0', libtensorflow: { version: '2.15.1', source: 'pypi', url: 'https://example.invalid/x.whl' }, addon: 'built', node: '20.0.0', installedAt: new Date().toISOString(), bytes: 1 };
  fs.writeFileSync(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest));
  const other = await withNativeDir(root, () => initBackend('auto'));
  assert.ok(other.notes.includes(`tfjs-node: tfjs-node 4.21.0, not GenLab's TensorFlow.js ${TFJS_VERSION}`), other.notes.join('; '));
  assert.equal(tf.version_core, TFJS_VERSION, "TFJS_VERSION is the tfjs-core GenLab runs on");
});

/** A valid native.json for an install folder, as the installer writes it. */
function writeManifest(dir: string): void {
  const manifest = { tfjsNode: TFJS_VERSION, libtensorflow: { version: '2.15.1', source: 'pypi', url: 'https://example.invalid/x.whl' }, addon: 'built', node: process.versions.node, installedAt: new Date().toISOString(), bytes: 1 };
  fs.writeFileSync(path.join(dir, MANIFEST_FILE), JSON.stringify(manifest));
}

test('a GPU build that cannot load (no CUDA libraries) is passed over naming why, and forcing tensorflow says it too', { skip }, async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-native-'));
  const dir = installDir({ GENLAB_NATIVE_DIR: root }, 'gpu');
  const pkg = tfjsNodePackage(dir, 'gpu');
  fs.mkdirSync(pkg, { recursive: true });
  writeManifest(dir);
  fs.writeFileSync(path.join(pkg, 'package.json'), JSON.stringify({ name: '@tensorflow/tfjs-node-gpu', version: TFJS_VERSION, main: 'index.js' }));
  fs.writeFileSync(path.join(pkg, 'index.js'), "throw new Error('libcudart.so.12: cannot open shared object file: No such file or directory');\n");
  const info = await withNativeDir(root, () => initBackend('auto'));
  assert.equal(info.name, 'wasm');
  assert.deepEqual(info.notes.slice(0, 2), [
    'tfjs-node-gpu: installed but failed to load (libcudart.so.12: cannot open shared object file: No such file or directory)',
    'tfjs-node: not installed (GenLab: Install Native Backend, or `genlab native install`, adds it)',
  ]);
  await assert.rejects(withNativeDir(root, () => initBackend('tensorflow')), (err: Error) => err.message.startsWith('tfjs-node is not installed (tfjs-node-gpu: installed but failed to load (libcudart.so.12'));
});

test('a GPU build is preferred to the CPU one, and says when TensorFlow found no GPU', { skip: !native && 'no native backend in this run (npm run test:native)' }, () => {
  // GenLab's CPU install standing in as the GPU build (the same addon, without CUDA), in a fresh
  // process: one process can load only one tfjs-node.
  const cpu = findNativeInstall();
  assert.ok(cpu.ok, 'the install this run was given');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'genlab-native-'));
  const dir = installDir({ GENLAB_NATIVE_DIR: root }, 'gpu');
  const pkg = tfjsNodePackage(dir, 'gpu');
  fs.mkdirSync(path.dirname(pkg), { recursive: true });
  fs.symlinkSync(tfjsNodePackage(cpu.dir), pkg);
  writeManifest(dir);
  const select = JSON.stringify(path.resolve(__dirname, '../../src/trainer/backend/select.ts'));
  const script = `require(${select}).initBackend('auto').then((info) => console.log(JSON.stringify(info)));`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', env: { ...process.env, GENLAB_NATIVE_DIR: root } });
  assert.equal(child.status, 0, child.stderr);
  const info = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { name: string; label: string; notes: string[]; versions: Record<string, string> };
  assert.equal(info.name, 'tensorflow');
  assert.equal(info.label, `tensorflow (tfjs-node-gpu ${TFJS_VERSION}, libtensorflow 2.15.1 from PyPI; no GPU found, on the CPU)`);
  assert.equal(info.versions['tfjs-node-gpu'], TFJS_VERSION);
  assert.match(info.notes.join('; '), /^tfjs-node-gpu: TensorFlow found no GPU it can use, so it computes on the CPU; it needs NVIDIA's driver and the CUDA and cuDNN libraries/);
});

test('auto picks the native backend GenLab installed, and says where it came from', { skip: !native && 'no native backend in this run (npm run test:native)' }, async () => {
  const install = findNativeInstall();
  assert.ok(install.ok, 'the install this run was given');
  const info = await initBackend('auto');
  assert.equal(info.name, 'tensorflow');
  assert.equal(tf.getBackend(), 'tensorflow');
  assert.equal(info.label, `tensorflow (tfjs-node ${TFJS_VERSION}, libtensorflow ${install.manifest.libtensorflow.version}${install.manifest.libtensorflow.source === 'pypi' ? ' from PyPI' : ''})`);
  assert.equal(info.versions['tfjs-node'], TFJS_VERSION);
  const y = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[1], [1]]));
  assert.deepEqual(Array.from(y.dataSync()), [3, 7]);
  tf.dispose(y);
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
  const select = JSON.stringify(path.resolve(__dirname, '../../src/trainer/backend/select.ts'));
  const script = `
    const tf = require('@tensorflow/tfjs-core');
    require(${select}).initBackend('cpu').then(() => { tf.scalar(1).dataSync(); console.log('done'); });`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
  assert.equal(child.stderr, '');
  assert.equal(child.stdout, 'done\n');
});
