/** What a kernel of the wasm backend is given and returns, and putting one of ours in place of the registered one. */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: BackendWasm; attrs?: tf.NamedAttrMap };
export type WasmKernelFunc = (args: KernelArgs) => tf.TensorInfo;

/** Registers `kernelFunc` as the wasm backend's kernel `name`, unregistering whatever was there. */
export function installWasmKernel(name: string, kernelFunc: WasmKernelFunc): void {
  if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: kernelFunc as tf.KernelFunc });
}
