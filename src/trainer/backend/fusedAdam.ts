/**
 * Adam whose update runs, on the wasm backend, as one fused SIMD loop over each variable instead of
 * tfjs's ~13 element-wise kernels per variable (each a full pass over memory): the VAE's 660k
 * parameters took ~6 ms per step that way, the fused loop well under 1 ms.
 *
 * It is tf.AdamOptimizer (same state variables and names, getWeights/setWeights, serialisation),
 * and the fused loop performs the very float32 operations tfjs's kernels do, in the same order, so
 * results are bit-identical (test/unit/wasmKernels.fusedAdam.test.ts). Other backends, or a wasm
 * build whose memory cannot be reached, use the stock update.
 *
 * The loop is a small WebAssembly module assembled here (no toolchain needed) that imports the wasm
 * backend's own memory, so it reads and writes tensors where they live. New values go to fresh
 * tensors that the variables are assigned, never written in place: the backend caches packed
 * matMul weights by tensor id, and a tensor's memory may be shared by clones.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { F32, floatBytes, forLoop, I32, memoryOffset, outputTensor, V128, op, v, type WasmFunction, wasmFunctions, wasmModule } from './wasmAsm';

type AdamStep = (
  n: number,
  g: number,
  m: number,
  v: number,
  w: number,
  mOut: number,
  vOut: number,
  wOut: number,
  beta1: number,
  oneMinusBeta1: number,
  beta2: number,
  oneMinusBeta2: number,
  oneMinusAccBeta1: number,
  oneMinusAccBeta2: number,
  epsilon: number,
  negLearningRate: number,
) => void;

/**
 * adam(n, g, m, v, w, mOut, vOut, wOut, beta1, 1-beta1, beta2, 1-beta2, 1-accBeta1, 1-accBeta2,
 * epsilon, -learningRate), pointers as byte offsets into the imported memory. Per element, exactly
 * tfjs's AdamOptimizer: m' = m·β1 + g·(1-β1); v' = v·β2 + (g·g)·(1-β2);
 * w' = ((m'/(1-β1ᵗ)) / (sqrt(v'/(1-β2ᵗ)) + ε))·(-lr) + w.
 */
function adamFunction(): WasmFunction {
  const P = { n: 0, g: 1, m: 2, v: 3, w: 4, mo: 5, vo: 6, wo: 7, scalars: 8 }; // 8 f32 scalars: 8..15
  const L = { i: 16, end: 17, bytes: 18, splat: 19 /* 19..26 */, gv: 27, mv: 28, vv: 29, gs: 30, ms: 31, vs: 32 };
  const at = (ptr: number) => [...op.get(ptr), ...op.get(L.i), ...op.i32Add];
  const splat = (k: number) => op.get(L.splat + k);
  const scalar = (k: number) => op.get(P.scalars + k);

  // One step of the update, for either lanes of four (SIMD) or single floats.
  const update = (t: { load: number[]; store: number[]; add: number[]; mul: number[]; div: number[]; sqrt: number[] }, c: (k: number) => number[], g: number, m: number, vv: number) => [
    ...at(P.g), ...t.load, ...op.set(g),
    ...at(P.m), ...t.load, ...c(0), ...t.mul, ...op.get(g), ...c(1), ...t.mul, ...t.add, ...op.set(m),
    ...at(P.v), ...t.load, ...c(2), ...t.mul, ...op.get(g), ...op.get(g), ...t.mul, ...c(3), ...t.mul, ...t.add, ...op.set(vv),
    ...at(P.mo), ...op.get(m), ...t.store,
    ...at(P.vo), ...op.get(vv), ...t.store,
    ...at(P.wo),
    ...op.get(m), ...c(4), ...t.div,
    ...op.get(vv), ...c(5), ...t.div, ...t.sqrt, ...c(6), ...t.add,
    ...t.div, ...c(7), ...t.mul,
    ...at(P.w), ...t.load, ...t.add,
    ...t.store,
  ];
  const simd = { load: v.load, store: v.store, add: v.add, mul: v.mul, div: v.div, sqrt: v.sqrt };
  const flt = { load: op.f32Load, store: op.f32Store, add: op.f32Add, mul: op.f32Mul, div: op.f32Div, sqrt: op.f32Sqrt };
  const body = [
    ...Array.from({ length: 8 }, (_, k) => [...scalar(k), ...v.splat, ...op.set(L.splat + k)]).flat(),
    ...floatBytes(op.get(P.n), L.bytes, L.end),
    ...forLoop(L.i, op.get(L.end), 16, update(simd, splat, L.gv, L.mv, L.vv)),
    ...forLoop(L.i, op.get(L.bytes), 4, update(flt, scalar, L.gs, L.ms, L.vs)),
  ];
  return {
    name: 'adam',
    params: [...Array(8).fill(I32), ...Array(8).fill(F32)],
    locals: [...Array(3).fill(I32), ...Array(11).fill(V128), ...Array(3).fill(F32)],
    body,
  };
}

export const fusedAdamModule = wasmModule<{ adam: AdamStep }>('fused Adam', () => [adamFunction()]);

/** The fused step bound to this backend's memory, or null where it cannot be had. */
function adamStepFor(backend: BackendWasm): AdamStep | null {
  return wasmFunctions(backend, fusedAdamModule)?.adam ?? null;
}

/** Whether Adam's update runs fused on the current backend. */
export function fusedAdamActive(): boolean {
  return tf.getBackend() === 'wasm' && adamStepFor(tf.backend() as BackendWasm) !== null;
}

interface AdamState {
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
  accumulatedSecondMoment: ({ originalName: string; variable: tf.Variable } | undefined)[];
}

export class FusedAdamOptimizer extends tf.AdamOptimizer {
  /** Serialises, and reloads, as a plain Adam. */
  static override get className(): string {
    return 'Adam';
  }

  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer['applyGradients']>[0]): void {
    const backend = tf.getBackend() === 'wasm' ? (tf.backend() as BackendWasm) : undefined;
    const step = backend ? adamStepFor(backend) : null;
    if (!backend || !step) {
      super.applyGradients(variableGradients);
      return;
    }
    // The private state of tf.AdamOptimizer, kept in its own fields so that everything else it
    // does (getWeights, setWeights, dispose) still holds.
    const state = this as unknown as AdamState;
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    const offset = (t: tf.TensorInfo) => memoryOffset(backend, t);
    // sub(1, accBeta) in float32, as the stock update computes it.
    const oneMinusAccBeta1 = Math.fround(1 - state.accBeta1.dataSync()[0]);
    const oneMinusAccBeta2 = Math.fround(1 - state.accBeta2.dataSync()[0]);
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name];
        const moment = (key: 'accumulatedFirstMoment' | 'accumulatedSecondMoment', suffix: string) =>
          (state[key][i] ??= { originalName: `${name}/${suffix}`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) }).variable;
        const m = moment('accumulatedFirstMoment', 'm');
        const v = moment('accumulatedSecondMoment', 'v');
        const gradient = Array.isArray(variableGradients) ? variableGradients[i].tensor : variableGradients[name];
        if (gradient == null) return;
        if (gradient.dtype !== 'float32' || value.dtype !== 'float32') throw new Error(`Adam: ${name} is not float32`);
        const fresh = () => outputTensor(backend, value.shape);
        const [mOut, vOut, wOut] = [fresh(), fresh(), fresh()];
        step(
          value.size,
          offset(gradient),
          offset(m),
          offset(v),
          offset(value),
          offset(mOut),
          offset(vOut),
          offset(wOut),
          this.beta1,
          1 - this.beta1,
          this.beta2,
          1 - this.beta2,
          oneMinusAccBeta1,
          oneMinusAccBeta2,
          this.epsilon,
          -this.learningRate,
        );
        m.assign(mOut);
        v.assign(vOut);
        value.assign(wOut);
      });
      state.accBeta1.assign(tf.mul(state.accBeta1, this.beta1));
      state.accBeta2.assign(tf.mul(state.accBeta2, this.beta2));
    });
    this.incrementIterations();
  }
}

/** tf.train.adam's defaults, with the fused update. */
export function fusedAdam(learningRate = 0.001, beta1 = 0.9, beta2 = 0.999, epsilon?: number): FusedAdamOptimizer {
  return new FusedAdamOptimizer(learningRate, beta1, beta2, epsilon);
}

/**
 * The learning rate at `step` of `total`: `peak`, decayed to zero along half a cosine, so that the
 * late small steps settle a model where the noisy early ones only circle.
 */
export function cosineRate(peak: number, step: number, total: number): number {
  return peak * 0.5 * (1 + Math.cos(Math.PI * Math.min(step / total, 1)));
}

/** Fused Adam on a cosine schedule: `advance()` before each update sets its rate and moves on. */
export class CosineAdam extends FusedAdamOptimizer {
  /** Updates made so far: the schedule's position, kept in checkpoints so a resumed run continues it. */
  position = 0;

  constructor(
    readonly peak: number,
    readonly totalSteps: number,
    beta1 = 0.9,
    beta2 = 0.999,
  ) {
    super(peak, beta1, beta2);
  }

  advance(): void {
    this.learningRate = cosineRate(this.peak, this.position++, this.totalSteps);
  }
}
