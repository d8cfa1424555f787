/**
 * Two kernels of conv training on the wasm backend, as SIMD loops over the tensors where they live
 * (wasmAsm.ts), for the shapes where the replacements in wasmKernels.ts still spend most of their
 * time around the arithmetic rather than in it:
 *
 * - Conv2DBackpropFilter: wasmKernels.ts gathers every tap's shifted input into one matrix and
 *   hands it to XNNPACK's product, whose right operand (dy) XNNPACK repacks on each call; with
 *   64x28x28 output positions the transpose, the gathers and the packing cost more than the
 *   multiply-adds (a 1x1 filter gradient of 32 channels: ~16 ms in a training step, ~5 ms here).
 *   Here each tap's gradient accumulates straight from the NHWC rows of x and dy, image by image
 *   so that both stay in cache.
 * - Sum over the leading axes (every bias gradient: [N, H, W, C] → [C]): the stock kernel
 *   transposes the whole tensor to bring the reduced axes innermost (~4 ms for 64x28x28x32); here
 *   one pass adds rows.
 *
 * Cases outside these (dilated filters, channel counts the loops do not tile, other reductions)
 * go to the kernels registered before. test/unit/pixelcnnKernels.test.ts checks both against the
 * cpu backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { floatBytes, forLoop, I32, memoryOffset, op, v, V128, vectorsThenTail, type WasmFunction, wasmFunctions, wasmModule } from './wasmAsm';
import { installWasmKernel, type KernelArgs, type WasmKernelFunc } from './wasmKernel';

/**
 * grad(s, v, out, rows, cols, sRow, vRow, sCol, vCol, S, V): for a rows × cols grid of positions,
 * out[k][m] += Σ s[position][k] · v[position][m], k < S, m < V (out is row-major [S][V]). Position
 * (r, c) of s is at byte s + r·sRow + c·sCol, of v at v + r·vRow + c·vCol; the strides are in bytes.
 */
type Grad = (s: number, v: number, out: number, rows: number, cols: number, sRow: number, vRow: number, sCol: number, vCol: number, channelsS: number, channelsV: number) => void;
/** colSum(x, out, rows, width): out[j] = Σ_r x[r·width + j]. */
type ColSum = (x: number, out: number, rows: number, width: number) => void;

/**
 * The multiply-add loop of `Grad` for blocks of `splats` channels of s (each broadcast to a vector)
 * by `vectors`·4 channels of v: splats·vectors accumulators stay in registers over the whole grid.
 * S must be a multiple of `splats`, V of 4·`vectors`.
 */
// prettier-ignore
function gradFunction(splats: number, vectors: number): WasmFunction {
  const P = { s: 0, v: 1, out: 2, rows: 3, cols: 4, sRow: 5, vRow: 6, sCol: 7, vCol: 8, S: 9, V: 10 };
  const L = { sb: 11, vb: 12, r: 13, c: 14, sp: 15, vp: 16, o: 17, sBytes: 18, vBytes: 19 };
  const acc = (ks: number, kv: number) => 20 + ks * vectors + kv;
  const vec = (kv: number) => 20 + splats * vectors + kv;
  const splat = 20 + splats * vectors + vectors;
  // Address of out[sb + ks][vb + 4·kv] is o + ks·vBytes, offset 16·kv.
  const row = (ks: number) => [...op.get(L.o), ...(ks ? [...op.get(L.vBytes), ...op.i32(ks), ...op.i32Mul, ...op.i32Add] : [])];
  const blocks = (f: (ks: number, kv: number) => number[]) => Array.from({ length: splats }, (_, ks) => Array.from({ length: vectors }, (_, kv) => f(ks, kv)).flat()).flat();
  const position = [
    ...Array.from({ length: vectors }, (_, kv) => [...op.get(L.vp), ...v.loadAt(16 * kv), ...op.set(vec(kv))]).flat(),
    ...Array.from({ length: splats }, (_, ks) => [
      ...op.get(L.sp), ...v.loadSplatAt(4 * ks), ...op.set(splat),
      ...Array.from({ length: vectors }, (_, kv) => [...op.get(acc(ks, kv)), ...op.get(splat), ...op.get(vec(kv)), ...v.mul, ...v.add, ...op.set(acc(ks, kv))]).flat(),
    ]).flat(),
    ...op.get(L.sp), ...op.get(P.sCol), ...op.i32Add, ...op.set(L.sp),
    ...op.get(L.vp), ...op.get(P.vCol), ...op.i32Add, ...op.set(L.vp),
  ];
  const body = [
    ...op.get(P.S), ...op.i32(2), ...op.i32Shl, ...op.set(L.sBytes),
    ...op.get(P.V), ...op.i32(2), ...op.i32Shl, ...op.set(L.vBytes),
    ...forLoop(L.sb, op.get(L.sBytes), 4 * splats, [
      ...op.i32(0), ...op.set(L.vb),
      ...forLoop(L.vb, op.get(L.vBytes), 16 * vectors, [
        // o = out + (sb/4)·vBytes + vb
        ...op.get(P.out), ...op.get(L.sb), ...op.get(P.V), ...op.i32Mul, ...op.i32Add, ...op.get(L.vb), ...op.i32Add, ...op.set(L.o),
        ...blocks((ks, kv) => [...row(ks), ...v.loadAt(16 * kv), ...op.set(acc(ks, kv))]),
        ...op.i32(0), ...op.set(L.r),
        ...forLoop(L.r, op.get(P.rows), 1, [
          ...op.get(P.s), ...op.get(L.r), ...op.get(P.sRow), ...op.i32Mul, ...op.i32Add, ...op.get(L.sb), ...op.i32Add, ...op.set(L.sp),
          ...op.get(P.v), ...op.get(L.r), ...op.get(P.vRow), ...op.i32Mul, ...op.i32Add, ...op.get(L.vb), ...op.i32Add, ...op.set(L.vp),
          ...op.i32(0), ...op.set(L.c),
          ...forLoop(L.c, op.get(P.cols), 1, position),
        ]),
        ...blocks((ks, kv) => [...row(ks), ...op.get(acc(ks, kv)), ...v.storeAt(16 * kv)]),
      ]),
    ]),
  ];
  return {
    name: `grad${splats}x${vectors}`,
    params: Array(11).fill(I32),
    locals: [...Array(9).fill(I32), ...Array(splats * vectors + vectors + 1).fill(V128)],
    body,
  };
}

/** colSum: rows added into out, four columns at a time, then the columns left one by one. */
// prettier-ignore
function colSumFunction(): WasmFunction {
  const P = { x: 0, out: 1, rows: 2, width: 3 };
  const L = { r: 4, j: 5, rowBytes: 6, vecBytes: 7, xr: 8, a: 9 };
  const at = (base: number[]) => [...base, ...op.get(L.j), ...op.i32Add];
  const columns = (vector: number[], scalar: number[]) => vectorsThenTail(L.j, L.vecBytes, L.rowBytes, vector, scalar);
  const body = [
    ...floatBytes(op.get(P.width), L.rowBytes, L.vecBytes),
    ...columns([...at(op.get(P.out)), ...v.zero, ...v.store], [...at(op.get(P.out)), ...op.f32Const(0), ...op.f32Store]),
    ...op.get(P.x), ...op.set(L.xr),
    ...forLoop(L.r, op.get(P.rows), 1, [
      ...columns(
        [...at(op.get(P.out)), ...at(op.get(P.out)), ...v.load, ...at(op.get(L.xr)), ...v.load, ...v.add, ...v.store],
        [...at(op.get(P.out)), ...at(op.get(P.out)), ...op.f32Load, ...at(op.get(L.xr)), ...op.f32Load, ...op.f32Add, ...op.f32Store],
      ),
      ...op.get(L.xr), ...op.get(L.rowBytes), ...op.i32Add, ...op.set(L.xr),
    ]),
  ];
  return { name: 'colSum', params: Array(4).fill(I32), locals: Array(6).fill(I32), body };
}

/** (splats, vectors) blocks the loops come in: the widest that divide the channel counts is used. */
const BLOCKS: [number, number][] = [
  [4, 2],
  [4, 1],
  [1, 8],
  [1, 4],
  [1, 2],
  [1, 1],
];

type Kernels = { colSum: ColSum } & Record<string, unknown>;

export const convTrainingModule = wasmModule<Kernels>('conv gradients', () => [...BLOCKS.map(([s, vv]) => gradFunction(s, vv)), colSumFunction()]);

const kernels = (backend: BackendWasm) => wasmFunctions(backend, convTrainingModule);

function gradFor(k: Kernels, channelsS: number, channelsV: number): Grad | undefined {
  const block = BLOCKS.find(([s, vv]) => channelsS % s === 0 && channelsV % (4 * vv) === 0);
  return block && (k[`grad${block[0]}x${block[1]}`] as Grad);
}

let previous: Map<string, WasmKernelFunc> | undefined;

/**
 * Replaces the wasm backend's Conv2DBackpropFilter and Sum with the loops above, keeping the kernels
 * registered before for the cases they leave; returns the names. Register it after
 * registerWasmTrainingKernels(); later calls change nothing.
 */
export function registerWasmConvKernels(): string[] {
  const replacements: Record<string, WasmKernelFunc> = { Conv2DBackpropFilter: filterGradient, Sum: sum };
  if (!previous) {
    if (!tf.findBackend('wasm')) throw new Error('initialise the wasm backend before registering its conv kernels');
    previous = new Map();
    for (const [name, kernelFunc] of Object.entries(replacements)) {
      const config = tf.getKernel(name, 'wasm');
      if (!config) throw new Error(`the wasm backend has no ${name} kernel to fall back on`);
      previous.set(name, config.kernelFunc as WasmKernelFunc);
      installWasmKernel(name, kernelFunc);
    }
  }
  return Object.keys(replacements);
}

function fallBack(name: string, args: KernelArgs): tf.TensorInfo {
  const kernel = previous?.get(name);
  if (!kernel) throw new Error(`no ${name} kernel to fall back on`);
  return kernel(args);
}

/**
 * dW[a, b, c, o] = Σ_{n,i,j} x[n, i·sh + a - top, j·sw + b - left, c] · dy[n, i, j, o], over the
 * output positions whose input pixel lies inside the image. With dy's channels as the vectors
 * (co a multiple of 4) each tap's [ci, co] block accumulates in place; otherwise x's channels are the
 * vectors and each tap's [co, ci] block is transposed into place at the end.
 */
function filterGradient(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend } = args;
  const a = args.attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const k = kernels(backend);
  if (!k || a.dataFormat !== 'NHWC' || x.dtype !== 'float32' || dy.dtype !== 'float32') return fallBack('Conv2DBackpropFilter', args);
  const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], a.filterShape, a.strides, 1, a.pad, a.dimRoundingMode);
  const { batchSize: n, inHeight, inWidth, inChannels: ci, outHeight, outWidth, outChannels: co, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const dyVectors = co % 4 === 0;
  // One input channel under many taps (a first layer on grey images): every tap reloads all of dy
  // for a single multiply-add per vector, where wasmKernels.ts gathers little and its product is faster.
  const oneInputChannel = ci === 1 && kh * kw > 1;
  const grad = oneInputChannel ? undefined : dyVectors ? gradFor(k, ci, co) : gradFor(k, co, ci);
  if (!grad) return fallBack('Conv2DBackpropFilter', args);
  const { top, left } = info.padInfo;
  const out = backend.makeOutput([kh, kw, ci, co], 'float32');
  const blocks = dyVectors ? out : backend.makeOutput([kh, kw, co, ci], 'float32');
  backend.typedArrayFromHeap(blocks).fill(0);
  const [xAt, dyAt, blocksAt] = [memoryOffset(backend, x), memoryOffset(backend, dy), memoryOffset(backend, blocks)];
  const xRow = sh * inWidth * ci * 4;
  const xCol = sw * ci * 4;
  const dyRow = outWidth * co * 4;
  const dyCol = co * 4;
  for (let b = 0; b < n; b++) {
    for (let ta = 0; ta < kh; ta++) {
      // Output rows i and columns j whose input pixel (i·sh + ta - top, j·sw + tb - left) is inside.
      const iFirst = Math.max(0, Math.ceil((top - ta) / sh));
      const iEnd = Math.min(outHeight, Math.floor((inHeight - 1 + top - ta) / sh) + 1);
      for (let tb = 0; tb < kw; tb++) {
        const jFirst = Math.max(0, Math.ceil((left - tb) / sw));
        const jEnd = Math.min(outWidth, Math.floor((inWidth - 1 + left - tb) / sw) + 1);
        if (iEnd <= iFirst || jEnd <= jFirst) continue;
        const xFirst = xAt + ((b * inHeight + iFirst * sh + ta - top) * inWidth + jFirst * sw + tb - left) * ci * 4;
        const dyFirst = dyAt + ((b * outHeight + iFirst) * outWidth + jFirst) * co * 4;
        const tap = blocksAt + (ta * kw + tb) * ci * co * 4;
        if (dyVectors) grad(xFirst, dyFirst, tap, iEnd - iFirst, jEnd - jFirst, xRow, dyRow, xCol, dyCol, ci, co);
        else grad(dyFirst, xFirst, tap, iEnd - iFirst, jEnd - jFirst, dyRow, xRow, dyCol, xCol, co, ci);
      }
    }
  }
  if (blocks !== out) {
    const from = backend.typedArrayFromHeap(blocks);
    const to = backend.typedArrayFromHeap(out);
    for (let t = 0; t < kh * kw; t++) {
      for (let o = 0; o < co; o++) for (let c = 0; c < ci; c++) to[(t * ci + c) * co + o] = from[(t * co + o) * ci + c];
    }
    backend.disposeData(blocks.dataId);
  }
  return out;
}

/** Sum over axes 0..k-1 of a float32 tensor (the other axes kept); other reductions as before. */
function sum(args: KernelArgs): tf.TensorInfo {
  const { inputs, backend } = args;
  const { x } = inputs as { x: tf.TensorInfo };
  const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((p, q) => p - q);
  const leading = axes.length > 0 && axes.length < rank && axes.every((d, i) => d === i);
  const k = leading && x.dtype === 'float32' ? kernels(backend) : null;
  if (!k) return fallBack('Sum', args);
  const kept = x.shape.slice(axes.length);
  const width = kept.reduce((p, q) => p * q, 1);
  const out = backend.makeOutput(keepDims ? [...axes.map(() => 1), ...kept] : kept, 'float32');
  k.colSum(memoryOffset(backend, x), memoryOffset(backend, out), tf.util.sizeFromShape(x.shape) / Math.max(width, 1), width);
  return out;
}
