/**
 * The SIMD loops of RealNVP's hand-written training step on 2-D points (families/realnvp.ts), on
 * the wasm backend: each coupling network's element-wise work (its first layer on a single input
 * column, its 2-wide linear output layer, and every ReLU layer's backward pass with its bias
 * gradient) as one loop per layer over the tensors where they live. On 2-D data every tensor is
 * small, so the fixed cost of each tfjs kernel, not arithmetic, dominates; one loop replaces five
 * to ten kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { F32, floatBytes, forLoop, I32, laneSum, memoryOffset, outputTensor, V128, op, v, vectorsThenTail, type WasmFunction, wasmFunctions, wasmModule } from './wasmAsm';

/**
 * The backward pass through one ReLU layer of a coupling network, as one SIMD loop over its B×H
 * activations instead of five to ten tensor kernels (on 2-D data every kernel is small, and its
 * fixed cost dominates). With h the layer's output and dh the gradient of h, the loop writes the
 * gradient of its pre-activation, dPre = dh where h > 0 (else 0), and the bias gradient
 * db = Σ_rows dPre. Two variants fold in the layers on either side:
 *  - head: h feeds the network's 2-wide output layer (kernel wOut, H×2), and dh is computed from
 *    that layer's output gradient g (B×2) as g·wOutᵀ; the loop also adds up dwOut = hᵀ·g.
 *  - first: the layer is the network's first, on a single input column x (kernel w1, 1×H): the
 *    loop also adds up dw1 = xᵀ·dPre and writes the input's gradient dx = dPre·w1ᵀ, and dPre itself
 *    is not stored.
 *
 * pass(rows, width, dh, h, dPre, db, g, wOut, dwOut, scratch, x, w1, dw1, dx): byte offsets into
 * the backend's memory; `scratch` holds 4·width floats (head only).
 */
function backwardPassFunction(head: boolean, first: boolean): WasmFunction {
  const P = { rows: 0, width: 1, dh: 2, h: 3, dPre: 4, db: 5, g: 6, wOut: 7, dwOut: 8, scratch: 9, x: 10, w1: 11, dw1: 12, dx: 13 };
  // i32 locals, then one v128 and one f32 set (a, b: the row's output gradient; xs: its input).
  const L = { r: 14, c: 15, rowBytes: 16, vecBytes: 17, base: 18, zero: 19, va: 20, vb: 21, vx: 22, vdx: 23, vh: 24, vd: 25, sa: 26, sb: 27, sx: 28, sdx: 29, sh: 30, sd: 31 };
  /** ptr + base + c: element (r, c) of a B×width array; at(ptr, k): element c of row k of scratch. */
  const cell = (ptr: number) => [...op.get(ptr), ...op.get(L.base), ...op.i32Add, ...op.get(L.c), ...op.i32Add];
  const col = (ptr: number, k = 0) => [...op.get(ptr), ...op.get(L.c), ...op.i32Add, ...(k ? [...op.get(L.rowBytes), ...op.i32(k), ...op.i32Mul, ...op.i32Add] : [])];
  const addInto = (t: Lanes, addr: number[], value: number[]) => [...addr, ...addr, ...t.load, ...value, ...t.add, ...t.store];

  interface Lanes {
    load: number[];
    store: number[];
    add: number[];
    mul: number[];
    /** dh (on the stack) where h > 0, else 0. */
    mask: (h: number) => number[];
    a: number;
    b: number;
    x: number;
    dx: number;
    h: number;
    d: number;
  }
  const simd: Lanes = {
    load: v.load, store: v.store, add: v.add, mul: v.mul,
    mask: (h) => [...op.get(h), ...op.get(L.zero), ...v.gt, ...v.and],
    a: L.va, b: L.vb, x: L.vx, dx: L.vdx, h: L.vh, d: L.vd,
  };
  const scalar: Lanes = {
    load: op.f32Load, store: op.f32Store, add: op.f32Add, mul: op.f32Mul,
    mask: (h) => [...op.f32Const(0), ...op.get(h), ...op.f32Const(0), ...op.f32Gt, ...op.select],
    a: L.sa, b: L.sb, x: L.sx, dx: L.sdx, h: L.sh, d: L.sd,
  };
  const element = (t: Lanes) => [
    ...cell(P.h), ...t.load, ...op.set(t.h),
    ...(head
      ? [
          ...col(P.scratch, 0), ...t.load, ...op.get(t.a), ...t.mul, ...col(P.scratch, 1), ...t.load, ...op.get(t.b), ...t.mul, ...t.add,
          ...addInto(t, col(P.scratch, 2), [...op.get(t.h), ...op.get(t.a), ...t.mul]),
          ...addInto(t, col(P.scratch, 3), [...op.get(t.h), ...op.get(t.b), ...t.mul]),
        ]
      : [...cell(P.dh), ...t.load]),
    ...t.mask(t.h), ...op.set(t.d),
    ...(first ? [] : [...cell(P.dPre), ...op.get(t.d), ...t.store]),
    ...addInto(t, col(P.db), op.get(t.d)),
    ...(first
      ? [
          ...addInto(t, col(P.dw1), [...op.get(t.x), ...op.get(t.d), ...t.mul]),
          ...op.get(t.dx), ...op.get(t.d), ...col(P.w1), ...t.load, ...t.mul, ...t.add, ...op.set(t.dx),
        ]
      : []),
  ];
  const rowScalar = (ptr: number, shift: number, offset = 0) => [...op.get(ptr), ...op.get(L.r), ...op.i32(shift), ...op.i32Shl, ...op.i32Add, ...(offset ? [...op.i32(offset), ...op.i32Add] : []), ...op.f32Load];
  const body = [
    ...floatBytes(op.get(P.width), L.rowBytes, L.vecBytes),
    ...op.f32Const(0), ...v.splat, ...op.set(L.zero),
    // Zero the sums; for the head, split wOut's two columns into scratch rows 0 and 1.
    ...forLoop(L.c, op.get(L.rowBytes), 4, [
      ...col(P.db), ...op.f32Const(0), ...op.f32Store,
      ...(first ? [...col(P.dw1), ...op.f32Const(0), ...op.f32Store] : []),
      ...(head
        ? [
            ...col(P.scratch, 2), ...op.f32Const(0), ...op.f32Store,
            ...col(P.scratch, 3), ...op.f32Const(0), ...op.f32Store,
            ...col(P.scratch, 0), ...op.get(P.wOut), ...op.get(L.c), ...op.i32(1), ...op.i32Shl, ...op.i32Add, ...op.f32Load, ...op.f32Store,
            ...col(P.scratch, 1), ...op.get(P.wOut), ...op.get(L.c), ...op.i32(1), ...op.i32Shl, ...op.i32Add, ...op.i32(4), ...op.i32Add, ...op.f32Load, ...op.f32Store,
          ]
        : []),
    ]),
    ...forLoop(L.r, op.get(P.rows), 1, [
      ...(head ? [...rowScalar(P.g, 3), ...op.tee(L.sa), ...v.splat, ...op.set(L.va), ...rowScalar(P.g, 3, 4), ...op.tee(L.sb), ...v.splat, ...op.set(L.vb)] : []),
      ...(first ? [...rowScalar(P.x, 2), ...op.tee(L.sx), ...v.splat, ...op.set(L.vx), ...op.get(L.zero), ...op.set(L.vdx), ...op.f32Const(0), ...op.set(L.sdx)] : []),
      ...vectorsThenTail(L.c, L.vecBytes, L.rowBytes, element(simd), element(scalar)),
      ...(first
        ? [
            ...op.get(P.dx), ...op.get(L.r), ...op.i32(2), ...op.i32Shl, ...op.i32Add,
            ...laneSum(L.vdx, L.sdx), ...op.f32Store,
          ]
        : []),
      ...op.get(L.base), ...op.get(L.rowBytes), ...op.i32Add, ...op.set(L.base),
    ]),
    // The head's kernel gradient, back to wOut's H×2 layout.
    ...(head
      ? [
          ...op.i32(0), ...op.set(L.c),
          ...forLoop(L.c, op.get(L.rowBytes), 4, [
            ...op.get(P.dwOut), ...op.get(L.c), ...op.i32(1), ...op.i32Shl, ...op.i32Add, ...col(P.scratch, 2), ...op.f32Load, ...op.f32Store,
            ...op.get(P.dwOut), ...op.get(L.c), ...op.i32(1), ...op.i32Shl, ...op.i32Add, ...op.i32(4), ...op.i32Add, ...col(P.scratch, 3), ...op.f32Load, ...op.f32Store,
          ]),
        ]
      : []),
  ];
  return {
    name: `pass${head ? 'Head' : ''}${first ? 'First' : ''}`,
    params: Array(14).fill(I32),
    locals: [...Array(5).fill(I32), ...Array(7).fill(V128), ...Array(6).fill(F32)],
    body,
  };
}

/**
 * The forward pass through a network's first layer, h = relu(x·w1 + b1) for a single input column
 * x: first(rows, width, x, w1, b1, h).
 */
function firstForwardFunction(): WasmFunction {
  const P = { rows: 0, width: 1, x: 2, w1: 3, b1: 4, h: 5 };
  const L = { r: 6, c: 7, rowBytes: 8, vecBytes: 9, base: 10, zero: 11, vx: 12, sx: 13 };
  const col = (ptr: number) => [...op.get(ptr), ...op.get(L.c), ...op.i32Add];
  const cell = (ptr: number) => [...op.get(ptr), ...op.get(L.base), ...op.i32Add, ...op.get(L.c), ...op.i32Add];
  const element = (load: number[], store: number[], mul: number[], add: number[], max: number[], x: number, zero: number[]) => [
    ...cell(P.h), ...op.get(x), ...col(P.w1), ...load, ...mul, ...col(P.b1), ...load, ...add, ...zero, ...max, ...store,
  ];
  const body = [
    ...floatBytes(op.get(P.width), L.rowBytes, L.vecBytes),
    ...op.f32Const(0), ...v.splat, ...op.set(L.zero),
    ...forLoop(L.r, op.get(P.rows), 1, [
      ...op.get(P.x), ...op.get(L.r), ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.f32Load, ...op.tee(L.sx), ...v.splat, ...op.set(L.vx),
      ...vectorsThenTail(
        L.c, L.vecBytes, L.rowBytes,
        element(v.load, v.store, v.mul, v.add, v.max, L.vx, op.get(L.zero)),
        element(op.f32Load, op.f32Store, op.f32Mul, op.f32Add, op.f32Max, L.sx, op.f32Const(0)),
      ),
      ...op.get(L.base), ...op.get(L.rowBytes), ...op.i32Add, ...op.set(L.base),
    ]),
  ];
  return { name: 'firstForward', params: Array(6).fill(I32), locals: [...Array(5).fill(I32), V128, V128, F32], body };
}

/**
 * The forward pass through a network's 2-wide linear output layer, o = h·wOut + bOut:
 * head(rows, width, h, wOut, bOut, o, scratch), with scratch for 2·width floats.
 */
function headForwardFunction(): WasmFunction {
  const P = { rows: 0, width: 1, h: 2, wOut: 3, bOut: 4, o: 5, scratch: 6 };
  const L = { r: 7, c: 8, rowBytes: 9, vecBytes: 10, base: 11, va: 12, vb: 13, vh: 14, sa: 15, sb: 16, sh: 17 };
  const col = (ptr: number, k = 0) => [...op.get(ptr), ...op.get(L.c), ...op.i32Add, ...(k ? [...op.get(L.rowBytes), ...op.i32Add] : [])];
  const cell = (ptr: number) => [...op.get(ptr), ...op.get(L.base), ...op.i32Add, ...op.get(L.c), ...op.i32Add];
  const element = (load: number[], mul: number[], add: number[], a: number, b: number, h: number) => [
    ...cell(P.h), ...load, ...op.set(h),
    ...op.get(a), ...op.get(h), ...col(P.scratch), ...load, ...mul, ...add, ...op.set(a),
    ...op.get(b), ...op.get(h), ...col(P.scratch, 1), ...load, ...mul, ...add, ...op.set(b),
  ];
  const wOutAt = (offset: number) => [...op.get(P.wOut), ...op.get(L.c), ...op.i32(1), ...op.i32Shl, ...op.i32Add, ...(offset ? [...op.i32(offset), ...op.i32Add] : []), ...op.f32Load];
  const oAt = (offset: number) => [...op.get(P.o), ...op.get(L.r), ...op.i32(3), ...op.i32Shl, ...op.i32Add, ...(offset ? [...op.i32(offset), ...op.i32Add] : [])];
  const body = [
    ...floatBytes(op.get(P.width), L.rowBytes, L.vecBytes),
    // wOut's two columns, split into scratch rows 0 and 1.
    ...forLoop(L.c, op.get(L.rowBytes), 4, [...col(P.scratch), ...wOutAt(0), ...op.f32Store, ...col(P.scratch, 1), ...wOutAt(4), ...op.f32Store]),
    ...forLoop(L.r, op.get(P.rows), 1, [
      ...op.f32Const(0), ...v.splat, ...op.tee(L.va), ...op.set(L.vb), ...op.f32Const(0), ...op.tee(L.sa), ...op.set(L.sb),
      ...vectorsThenTail(L.c, L.vecBytes, L.rowBytes, element(v.load, v.mul, v.add, L.va, L.vb, L.vh), element(op.f32Load, op.f32Mul, op.f32Add, L.sa, L.sb, L.sh)),
      ...oAt(0), ...laneSum(L.va, L.sa), ...op.get(P.bOut), ...op.f32Load, ...op.f32Add, ...op.f32Store,
      ...oAt(4), ...laneSum(L.vb, L.sb), ...op.get(P.bOut), ...op.i32(4), ...op.i32Add, ...op.f32Load, ...op.f32Add, ...op.f32Store,
      ...op.get(L.base), ...op.get(L.rowBytes), ...op.i32Add, ...op.set(L.base),
    ]),
  ];
  return { name: 'headForward', params: Array(7).fill(I32), locals: [...Array(5).fill(I32), V128, V128, V128, F32, F32, F32], body };
}

type Pass = (...pointers: number[]) => void;

export const couplingModule = wasmModule<Record<'pass' | 'passHead' | 'passFirst' | 'passHeadFirst' | 'firstForward' | 'headForward', Pass>>('RealNVP coupling loops', () => [
  ...[false, true].flatMap((head) => [false, true].map((first) => backwardPassFunction(head, first))),
  firstForwardFunction(),
  headForwardFunction(),
]);

/** The backward pass through one hidden ReLU layer, h its output (rows × width). */
export interface HiddenLayerGradients {
  h: tf.Tensor2D;
  /** Receives the bias gradient (width). */
  db: tf.Tensor;
  /** The gradient of h, where it comes from the next hidden layer (not the head). */
  dh?: tf.Tensor;
  /** Receives the gradient of the pre-activation (rows × width), except for the first layer. */
  dPre?: tf.Tensor;
  /** h feeds the 2-wide output layer: its output gradient g (rows × 2) and kernel wOut, and what receives dwOut. */
  head?: { g: tf.Tensor; wOut: tf.Tensor; dwOut: tf.Tensor; scratch: tf.Tensor };
  /** The layer is the network's first, on the single input column x: w1 its kernel, and what receives dw1 and dx. */
  first?: { x: tf.Tensor; w1: tf.Tensor; dw1: tf.Tensor; dx: tf.Tensor };
}

export interface CouplingPasses {
  /** A float32 tensor for a loop to write, its memory left as it was. */
  output(shape: number[]): tf.Tensor2D;
  /** h = relu(x·w1 + b1) for a single input column x (rows × 1). */
  firstForward(x: tf.Tensor, w1: tf.Tensor, b1: tf.Tensor, h: tf.Tensor2D): void;
  /** o = h·wOut + bOut, the 2-wide linear output layer; scratch holds 2·width floats. */
  headForward(h: tf.Tensor2D, wOut: tf.Tensor, bOut: tf.Tensor, o: tf.Tensor, scratch: tf.Tensor): void;
  backward(layer: HiddenLayerGradients): void;
}

/** The loops on the current backend's memory; null where it is not wasm or the loops cannot run there. */
export function couplingPasses(): CouplingPasses | null {
  const backend = tf.getBackend() === 'wasm' ? (tf.backend() as BackendWasm) : undefined;
  const passes = backend && wasmFunctions(backend, couplingModule);
  if (!backend || !passes) return null;
  const at = (t: tf.Tensor | undefined) => (t ? memoryOffset(backend, t) : 0);
  return {
    output: (shape) => outputTensor(backend, shape) as tf.Tensor2D,
    firstForward: (x, w1, b1, h) => passes.firstForward(h.shape[0], h.shape[1], at(x), at(w1), at(b1), at(h)),
    headForward: (h, wOut, bOut, o, scratch) => passes.headForward(h.shape[0], h.shape[1], at(h), at(wOut), at(bOut), at(o), at(scratch)),
    backward: ({ h, db, dh, dPre, head, first }) =>
      passes[`pass${head ? 'Head' : ''}${first ? 'First' : ''}`](
        h.shape[0],
        h.shape[1],
        at(dh),
        at(h),
        at(dPre),
        at(db),
        at(head?.g),
        at(head?.wOut),
        at(head?.dwOut),
        at(head?.scratch),
        at(first?.x),
        at(first?.w1),
        at(first?.dw1),
        at(first?.dx),
      ),
  };
}
