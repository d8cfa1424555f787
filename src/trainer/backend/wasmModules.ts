/**
 * Every module of SIMD loops the trainer assembles, in one list: the backend compiles them all when
 * it starts, so that the label names each fast path that is off and why (select.ts), and a test
 * compiles each (test/unit/wasmKernels.modules.test.ts).
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { binaryMatMulModule } from './binaryMatMul';
import { couplingModule } from './couplingPasses';
import { fusedAdamModule } from './fusedAdam';
import { type WasmModule, wasmModuleProblem } from './wasmAsm';
import { convTrainingModule } from './wasmConvKernels';

export const WASM_MODULES: readonly WasmModule<unknown>[] = [fusedAdamModule, binaryMatMulModule, convTrainingModule, couplingModule];

/**
 * The fast paths that cannot run on this backend, with why, one entry a reason: e.g. 'fused Adam
 * off: <the compiler's message>'. Empty where all of them run.
 */
export function fastPathsOff(backend: BackendWasm, modules: readonly WasmModule<unknown>[] = WASM_MODULES): string[] {
  const byProblem = new Map<string, string[]>();
  for (const module of modules) {
    const problem = wasmModuleProblem(backend, module);
    if (problem) byProblem.set(problem, [...(byProblem.get(problem) ?? []), module.fastPath]);
  }
  return [...byProblem].map(([problem, paths]) => `${paths.join(', ')} off: ${problem}`);
}
