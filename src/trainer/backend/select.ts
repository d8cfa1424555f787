/**
 * Chooses and initialises the TensorFlow.js backend the trainer computes on. `auto` prefers
 * tfjs-node (native TensorFlow, the fastest on CPU) when it is installed, then the wasm backend
 * with our training kernels, then the pure-JS cpu backend, and records why it passed each one by.
 */
import * as tf from '@tensorflow/tfjs-core';
// tfjs-core's Node bundle registers no gradient functions; tfjs-layers' bundle registers them
// for every op. Every family trains through gradients, so they are registered with the backend.
import '@tensorflow/tfjs-layers';
import { version_cpu } from '@tensorflow/tfjs-backend-cpu';
import { type BackendWasm, getThreadsCount, version_wasm } from '@tensorflow/tfjs-backend-wasm';
import type { BackendChoice, BackendName } from '../../protocol/config';
import type { WasmModule } from './wasmAsm';
import { registerWasmConvKernels } from './wasmConvKernels';
import { registerWasmFastPaths, registerWasmTrainingKernels } from './wasmKernels';
import { fastPathsOff, WASM_MODULES } from './wasmModules';
import { NATIVE_PACKAGES, nativePackageName, type NativeVariant } from '../../protocol/native';
import { findNativeInstall, NOT_INSTALLED, tfjsNodePackage } from '../../shared/native/location';

export interface BackendInfo {
  name: BackendName;
  /** e.g. 'wasm (SIMD, 1 thread)', or 'wasm (SIMD, 1 thread; fused Adam off: <why>)' where a loop of ours cannot run */
  label: string;
  /** Why preferred backends were passed over, and anything else worth a line in the run's log. */
  notes: string[];
  versions: Record<string, string>;
  /** Stock kernels replaced by faster ones of ours (wasm only). */
  replacedKernels: string[];
}

const GPU_PACKAGE_NAME = nativePackageName('gpu');
const TFJS_NODE_HINT = 'run GenLab: Install Native Backend (or `genlab native install`), or use --backend wasm';

/**
 * Selects a backend; safe to call again (each call re-selects, and kernels are registered once).
 * Throws when a forced backend cannot be used. On wasm, `wasmModules` (all of ours unless told) are
 * compiled up front.
 */
export async function initBackend(choice: BackendChoice, wasmModules: readonly WasmModule<unknown>[] = WASM_MODULES): Promise<BackendInfo> {
  const info = await select(choice, wasmModules);
  // tfjs routes its warnings through one gate that 'PROD' closes (in 4.22 the flag does nothing
  // else). Closed only now, so that a failed initialisation above still explains itself; what is
  // left is tfjs-internal chatter and the cpu backend's "install tfjs-node" banner on its first
  // tensor, noise in the user's log.
  tf.env().set('PROD', true);
  return info;
}

async function select(choice: BackendChoice, wasmModules: readonly WasmModule<unknown>[]): Promise<BackendInfo> {
  const notes: string[] = [];
  if (choice === 'auto' || choice === 'tensorflow') {
    const tfjsNode = loadTfjsNode(notes);
    if ('version' in tfjsNode) return useTensorflow(tfjsNode, notes);
    if (choice === 'tensorflow') throw new Error(`tfjs-node is ${tfjsNode.problem}${notes.length ? ` (${notes.join('; ')})` : ''}: ${TFJS_NODE_HINT}`);
    notes.push(`tfjs-node: ${tfjsNode.problem}${tfjsNode.problem === NOT_INSTALLED ? ' (GenLab: Install Native Backend, or `genlab native install`, adds it)' : ''}`);
  }
  if (choice === 'auto' || choice === 'wasm') {
    if (await tf.setBackend('wasm')) return useWasm(notes, wasmModules);
    if (choice === 'wasm') throw new Error('the wasm backend failed to initialise (see the warning above)');
    notes.push('wasm: failed to initialise');
  }
  if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend failed to initialise');
  await tf.ready();
  return { name: 'cpu', label: 'cpu (pure JavaScript)', notes, versions: versions({ 'tfjs-backend-cpu': version_cpu }), replacedKernels: [] };
}

/**
 * tfjs-node-gpu, else tfjs-node, each from the project's own node_modules (a developer's optional
 * dependency) or else from the per-user install GenLab makes (src/shared/native). Loading one
 * registers its 'tensorflow' backend into the engine tfjs-core keeps in a global, which a second
 * copy of tfjs-core of the same version (the per-user install's) shares; only one can load in a
 * process. A build installed but failing to load (tfjs-node-gpu without its CUDA libraries) is
 * passed over with a note, and the next one tried.
 */
function loadTfjsNode(notes: string[]): { name: string; version: string; from: string } | { problem: string } {
  // libtensorflow prints start-up lines to stderr unless told otherwise: only fatal ones pass, as
  // op failures reach us as exceptions anyway, and what its CUDA build logs as errors on start-up
  // ("Unable to register cuDNN factory", on every machine) misleads.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '3';
  let problem = NOT_INSTALLED;
  for (const variant of ['gpu', 'cpu'] as const) {
    const name = nativePackageName(variant);
    const found = loadVariant(variant);
    if ('version' in found) return { name, ...found };
    // A missing GPU build is the usual case and goes unsaid; the CPU build's absence is the note.
    if (variant === 'gpu' && found.problem === NOT_INSTALLED) continue;
    if (variant === 'gpu') notes.push(`${name}: ${found.problem}`);
    else problem = found.problem;
  }
  return { problem };
}

function loadVariant(variant: NativeVariant): { version: string; from: string } | { problem: string } {
  const local = requireTfjsNode(NATIVE_PACKAGES[variant]);
  if (!('missing' in local)) return 'version' in local ? { ...local, from: 'node_modules' } : local;
  const install = findNativeInstall(process.env, variant);
  if (!install.ok) return { problem: install.problem };
  const installed = requireTfjsNode(tfjsNodePackage(install.dir, variant));
  if ('missing' in installed) return { problem: `damaged (${installed.missing})` };
  if (!('version' in installed)) return installed;
  const lib = install.manifest.libtensorflow;
  return { ...installed, from: `libtensorflow ${lib.version}${lib.source === 'pypi' ? ' from PyPI' : ''}` };
}

function requireTfjsNode(specifier: string): { version: string } | { problem: string } | { missing: string } {
  // A per-user install brings its own copy of tfjs, which registers every cpu kernel again into the
  // shared engine, warning once per kernel; the gate is the engine's, so it silences that copy too.
  const quiet = tf.env().getBool('PROD');
  tf.env().set('PROD', true);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- optional: where it is absent, an import would fail to load this module
    const tfjsNode = require(specifier) as { version?: Record<string, string> };
    // tfjs-node-gpu is tfjs-node's source built against another libtensorflow: its version is under the same key.
    return { version: tfjsNode.version?.['tfjs-node'] ?? 'unknown' };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND' && e.message.includes(`'${specifier}'`)) return { missing: e.message.split('\n')[0] };
    return { problem: `installed but failed to load (${e.message.split('\n')[0]})` };
  } finally {
    tf.env().set('PROD', quiet);
  }
}

async function useTensorflow(tfjsNode: { name: string; version: string; from: string }, notes: string[]): Promise<BackendInfo> {
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`tfjs-node loaded but its backend failed to initialise: ${TFJS_NODE_HINT}`);
  await tf.ready();
  let device = '';
  if (tfjsNode.name === GPU_PACKAGE_NAME) {
    // tfjs-node's backend asks TensorFlow whether it placed a GPU device when it started.
    const onGpu = (tf.backend() as { isUsingGpuDevice?: boolean }).isUsingGpuDevice === true;
    device = onGpu ? '; GPU' : '; no GPU found, on the CPU';
    if (!onGpu) notes.push(`${GPU_PACKAGE_NAME}: TensorFlow found no GPU it can use, so it computes on the CPU; it needs NVIDIA's driver and the CUDA and cuDNN libraries its libtensorflow was built for (CUDA 12.2 and cuDNN 8.9 for 2.15, CUDA 11.2 and cuDNN 8.1 for 2.9.1) on the library path`);
  }
  return { name: 'tensorflow', label: `tensorflow (${tfjsNode.name} ${tfjsNode.version}, ${tfjsNode.from}${device})`, notes, versions: versions({ [tfjsNode.name]: tfjsNode.version }), replacedKernels: [] };
}

async function useWasm(notes: string[], wasmModules: readonly WasmModule<unknown>[]): Promise<BackendInfo> {
  await tf.ready();
  // Threads stay off: tfjs hard-codes them off in Node (tfjs issue #3830). Forcing them needs
  // worker scripts written to disk, the C++ side then caps threads at half the cores (1 on the
  // 2-core machines we measured), and the gain was 0-35% for ~75 MB and ~0.8 s of start-up, with
  // one run hanging.
  const simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) === true;
  if (!simd) notes.push('wasm: this Node has no WebAssembly SIMD, so training runs about 1.5-2x slower');
  const threads = getThreadsCount();
  // Missing or slow training kernels, then faster equivalents of working ones (dense layers, the
  // engine's copies of saved tensors), then SIMD loops for conv filter gradients and sums, which
  // fall back on the kernels registered before them where their shapes do not fit.
  const replacedKernels = [...new Set([...registerWasmTrainingKernels(), ...registerWasmFastPaths(), ...registerWasmConvKernels()])];
  // Where a loop of ours cannot run, its kernels fall back on slower stock ones: the label says so.
  const off = fastPathsOff(tf.backend() as BackendWasm, wasmModules).map((o) => `; ${o}`);
  return {
    name: 'wasm',
    label: `wasm (${simd ? 'SIMD' : 'no SIMD'}, ${threads} thread${threads === 1 ? '' : 's'}${off.join('')})`,
    notes,
    versions: versions({ 'tfjs-backend-wasm': version_wasm }),
    replacedKernels,
  };
}

function versions(backend: Record<string, string>): Record<string, string> {
  return { 'tfjs-core': tf.version_core, ...backend, node: process.versions.node };
}
