// Every module of SIMD loops the trainer assembles compiles and instantiates on the wasm backend's
// memory, from the one list the backend compiles at start-up (WASM_MODULES), which must hold every
// module the code declares; and a module that fails to compile is reported on stderr and named
// as off in the backend label, instead of silently leaving training on the slower stock kernels.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { initBackend } from '../../src/trainer/backend/select';
import { declaredWasmModules, wasmFunctions, wasmModuleProblem } from '../../src/trainer/backend/wasmAsm';
import { WASM_MODULES } from '../../src/trainer/backend/wasmModules';

const SRC = path.resolve(__dirname, '../../src');

before(async () => {
  const info = await initBackend('wasm');
  assert.match(info.label, /^wasm \(SIMD, 1 thread\)$/, 'every loop of ours runs here, and the label says no more');
});

test('every module of WASM_MODULES compiles and exports the functions it assembles', () => {
  const backend = tf.backend() as BackendWasm;
  assert.equal(WASM_MODULES.length, 4);
  for (const module of WASM_MODULES) {
    assert.equal(wasmModuleProblem(backend, module), undefined, module.fastPath);
    const exports = wasmFunctions(backend, module) as Record<string, unknown>;
    const names = module.build().map((f) => f.name);
    assert.ok(names.length > 0, module.fastPath);
    for (const name of names) assert.equal(typeof exports[name], 'function', `${module.fastPath}: ${name}`);
  }
});

test('WASM_MODULES lists every module the trainer declares', async () => {
  // Every trainer module loaded, so that each declaration of a wasm module has run.
  const files = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
  const trainer = files(path.join(SRC, 'trainer')).filter((f) => f !== path.join(SRC, 'trainer/main.ts'));
  for (const file of trainer) await import(file);
  const declared = declaredWasmModules();
  assert.ok(declared.length >= WASM_MODULES.length);
  assert.deepEqual(declared.filter((m) => !WASM_MODULES.includes(m)).map((m) => m.fastPath), []);
});

test('a module that fails to compile is logged, and the label names its fast path as off', () => {
  // A fresh process, so that stderr holds only what initialising the backend wrote.
  const backendDir = path.join(SRC, 'trainer/backend');
  const script = `
    const { initBackend } = require(${JSON.stringify(path.join(backendDir, 'select.ts'))});
    const { op, wasmModule } = require(${JSON.stringify(path.join(backendDir, 'wasmAsm.ts'))});
    const { WASM_MODULES } = require(${JSON.stringify(path.join(backendDir, 'wasmModules.ts'))});
    // f32.add with nothing on the stack: the module does not validate.
    const broken = wasmModule('test loop', () => [{ name: 'addNothing', params: [], locals: [], body: op.f32Add }]);
    initBackend('wasm', [...WASM_MODULES, broken]).then((info) => console.log(info.label));`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8' });
  assert.equal(child.status, 0, child.stderr);
  assert.match(child.stdout.trim(), /^wasm \(SIMD, 1 thread; test loop off: .*addNothing.*\)$/);
  const lines = child.stderr.trim().split('\n');
  assert.equal(lines.length, 1, child.stderr);
  assert.match(lines[0], /^genlab: the wasm module for test loop \(addNothing\) failed to compile, so test loop is off: .+/);
});
