/**
 * matMul whose left operand holds only zeros and ones, sparsely: binarised images, the first dense
 * layer's input in the forward pass (x·W) and in its weight gradient (xᵀ·dy). Row i of the product
 * is then just the sum of the right operand's rows j where op(A)[i, j] = 1: ~13% of MNIST's pixels
 * are on, so a SIMD loop of row additions does a fraction of the dense product's work (and packs
 * nothing). The sums are of the same numbers as the dense product's, added in another order.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { F32, floatBytes, forLoop, I32, memoryOffset, V128, op, v, vectorsThenTail, type WasmFunction, wasmFunctions, wasmModule } from './wasmAsm';

/** Number of ones among n floats at `a`, or -1 if any is neither 0 nor 1. */
type CountOnes = (a: number, n: number) => number;
type MaskedRowSums = (out: number, a: number, b: number, rows: number, inner: number, width: number, rowStride: number, colStride: number) => void;

/** At most this fraction of ones; denser operands go to the dense product. */
const MAX_DENSITY = 0.3;
/** Products smaller than this many multiply-adds are not worth the scan. */
const MIN_WORK = 1 << 18;

function countOnesFunction(): WasmFunction {
  const P = { a: 0, n: 1 };
  const L = { s: 2, end: 3, count: 4, x: 5 };
  const body = [
    ...op.get(P.n), ...op.i32(2), ...op.i32Shl, ...op.set(L.end),
    ...forLoop(L.s, op.get(L.end), 4, [
      ...op.get(P.a), ...op.get(L.s), ...op.i32Add, ...op.f32Load, ...op.set(L.x),
      ...op.get(L.x), ...op.f32Const(0), ...op.f32Ne, ...op.if,
      ...op.get(L.x), ...op.f32Const(1), ...op.f32Ne, ...op.if, ...op.i32(-1), ...op.return, ...op.end,
      ...op.get(L.count), ...op.i32(1), ...op.i32Add, ...op.set(L.count),
      ...op.end,
    ]),
    ...op.get(L.count),
  ];
  return { name: 'countOnes', params: [I32, I32], results: [I32], locals: [I32, I32, I32, F32], body };
}

/**
 * maskedRowSums(out, a, b, rows, inner, width, rowStride, colStride): out[i, :] = Σ b[j, :] over the
 * j < inner where a[i·rowStride + j·colStride] ≠ 0; rows of `width` floats.
 */
function maskedRowSumsFunction(): WasmFunction {
  const P = { out: 0, a: 1, b: 2, rows: 3, inner: 4, width: 5, rowStride: 6, colStride: 7 };
  const L = { i: 8, j: 9, orow: 10, brow: 11, c: 12, rowBytes: 13, vecBytes: 14, arow: 15, colBytes: 16, zero: 17, zeroF: 18 };
  const at = (base: number) => [...op.get(base), ...op.get(L.c), ...op.i32Add];
  const columns = (vectorBody: number[], scalarBody: number[]) => vectorsThenTail(L.c, L.vecBytes, L.rowBytes, vectorBody, scalarBody);
  const body = [
    ...floatBytes(op.get(P.width), L.rowBytes, L.vecBytes),
    ...op.get(P.colStride), ...op.i32(2), ...op.i32Shl, ...op.set(L.colBytes),
    ...forLoop(L.i, op.get(P.rows), 1, [
      ...op.get(P.out), ...op.get(L.i), ...op.get(L.rowBytes), ...op.i32Mul, ...op.i32Add, ...op.set(L.orow),
      ...columns([...at(L.orow), ...op.get(L.zero), ...v.store], [...at(L.orow), ...op.get(L.zeroF), ...op.f32Store]),
      ...op.get(P.a), ...op.get(L.i), ...op.get(P.rowStride), ...op.i32Mul, ...op.i32(2), ...op.i32Shl, ...op.i32Add, ...op.set(L.arow),
      ...op.i32(0), ...op.set(L.j),
      ...forLoop(L.j, op.get(P.inner), 1, [
        ...op.get(L.arow), ...op.f32Load, ...op.f32Const(0), ...op.f32Ne, ...op.if,
        ...op.get(P.b), ...op.get(L.j), ...op.get(L.rowBytes), ...op.i32Mul, ...op.i32Add, ...op.set(L.brow),
        ...columns(
          [...at(L.orow), ...at(L.orow), ...v.load, ...at(L.brow), ...v.load, ...v.add, ...v.store],
          [...at(L.orow), ...at(L.orow), ...op.f32Load, ...at(L.brow), ...op.f32Load, ...op.f32Add, ...op.f32Store],
        ),
        ...op.end,
        ...op.get(L.arow), ...op.get(L.colBytes), ...op.i32Add, ...op.set(L.arow),
      ]),
    ]),
  ];
  return { name: 'maskedRowSums', params: Array(8).fill(I32), locals: [...Array(9).fill(I32), V128, F32], body };
}

export const binaryMatMulModule = wasmModule<{ countOnes: CountOnes; maskedRowSums: MaskedRowSums }>('binary matMul', () => [countOnesFunction(), maskedRowSumsFunction()]);

/**
 * op(A)·B as sums of B's rows, where A is a single float32 matrix of zeros and ones, sparse enough,
 * and the product large enough; else undefined, for the dense product. `b` gives B untransposed,
 * [.., K, N] with leading 1s, and is only called when the sums are taken.
 */
export function binaryLeftProduct(backend: BackendWasm, a: tf.TensorInfo, transposeA: boolean, width: number, b: () => tf.TensorInfo): tf.TensorInfo | undefined {
  const [ar, ac] = a.shape.slice(-2);
  const [rows, inner] = transposeA ? [ac, ar] : [ar, ac];
  if (!a.shape.slice(0, -2).every((d) => d === 1) || a.dtype !== 'float32' || rows * inner * width < MIN_WORK) return undefined;
  const k = wasmFunctions(backend, binaryMatMulModule);
  if (!k) return undefined;
  const at = (t: tf.TensorInfo) => memoryOffset(backend, t);
  const ones = k.countOnes(at(a), rows * inner);
  if (ones < 0 || ones > MAX_DENSITY * rows * inner) return undefined;
  const right = b();
  const lead = (a.shape.length >= right.shape.length ? a : right).shape.slice(0, -2);
  const out = backend.makeOutput([...lead, rows, width], 'float32');
  k.maskedRowSums(at(out), at(a), at(right), rows, inner, width, transposeA ? 1 : inner, transposeA ? rows : 1);
  return out;
}
