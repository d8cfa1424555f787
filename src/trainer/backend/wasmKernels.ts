/**
 * Training kernels for the wasm backend of TensorFlow.js 4.22.0, where the stock ones are slow or
 * missing. Each is rewritten in terms of stock kernels that have fast XNNPACK paths (untransposed
 * BatchMatMul, Conv2D, Transpose), so training a model needs no change in the model code.
 * test/unit/wasmKernels.test.ts checks every case against the cpu backend.
 *
 * Fast paths for dense layers come on top (registerWasmFastPaths): matMul picks the cheaper of the
 * plain and the swapped product, sums rows for a sparse binary left operand (binaryMatMul.ts), and
 * Identity shares data instead of copying it. test/unit/wasmKernels.fastPaths.test.ts checks them.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { binaryLeftProduct } from './binaryMatMul';
import { installWasmKernel, type KernelArgs, type WasmKernelFunc } from './wasmKernel';

type Shape4 = [number, number, number, number];

const REPLACED = ['BatchMatMul', 'Conv2DBackpropFilter', 'Conv2DBackpropInput'] as const;
/** Stock kernels that work well enough but cost a dense layer's training step time; see registerWasmFastPaths. */
const FAST_PATHS = ['_FusedMatMul', 'Identity'] as const;
/** Stock kernels the replacements are built from, saved before any of them is unregistered. */
const USED = ['BatchMatMul', '_FusedMatMul', 'Identity', 'Add', 'Relu', 'Conv2D', 'Conv2DBackpropInput', 'Transpose'] as const;
type StockName = (typeof USED)[number];

let stock: Map<StockName, WasmKernelFunc> | undefined;
let fastPaths = false;

/**
 * Replaces the wasm backend's BatchMatMul, Conv2DBackpropFilter and Conv2DBackpropInput; returns
 * their names. Call it once the wasm backend is initialised; later calls change nothing.
 */
export function registerWasmTrainingKernels(): string[] {
  if (stock) return [...REPLACED];
  saveStockKernels();
  install({ BatchMatMul: batchMatMul, Conv2DBackpropFilter: conv2DBackpropFilter, Conv2DBackpropInput: conv2DBackpropInput });
  return [...REPLACED];
}

/**
 * Also replaces _FusedMatMul (the forward pass of dense layers), which then picks the cheaper of
 * the plain and the swapped product as BatchMatMul does, and Identity, which the engine runs on
 * every tensor it keeps for the backward pass and which copied the data. Returns their names.
 * Needs registerWasmTrainingKernels() first; later calls change nothing.
 */
export function registerWasmFastPaths(): string[] {
  if (!stock) throw new Error('registerWasmTrainingKernels() has not run');
  if (!fastPaths) install({ _FusedMatMul: fusedMatMul, Identity: identity });
  fastPaths = true;
  return [...FAST_PATHS];
}

function saveStockKernels(): void {
  // Stock kernels bind their wasm functions in setup functions that run when the backend
  // initialises; one unregistered before that would never be bound.
  if (!tf.findBackend('wasm')) throw new Error('initialise the wasm backend before registering its training kernels');
  const saved = new Map<StockName, WasmKernelFunc>();
  for (const name of USED) {
    const config = tf.getKernel(name, 'wasm');
    if (!config) throw new Error(`the wasm backend has no ${name} kernel to build on`);
    saved.set(name, config.kernelFunc as WasmKernelFunc);
  }
  stock = saved;
}

function install(replacements: Record<string, WasmKernelFunc>): void {
  for (const [name, kernelFunc] of Object.entries(replacements)) installWasmKernel(name, kernelFunc);
}

/** The stock wasm kernel a replacement stands in for (undefined where it never existed), for benchmarks. */
export function stockWasmKernel(name: string): WasmKernelFunc | undefined {
  if (!stock) throw new Error('registerWasmTrainingKernels() has not run');
  return ([...REPLACED, ...FAST_PATHS] as readonly string[]).includes(name) ? stock.get(name as StockName) : undefined;
}

function run(name: StockName, backend: BackendWasm, inputs: tf.NamedTensorInfoMap, attrs: object = {}): tf.TensorInfo {
  const kernel = stock?.get(name);
  if (!kernel) throw new Error(`stock wasm ${name} kernel missing`);
  return kernel({ inputs, backend, attrs: attrs as tf.NamedAttrMap });
}

function transpose(backend: BackendWasm, x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
  return run('Transpose', backend, { x }, { perm });
}

function free(backend: BackendWasm, ...temps: tf.TensorInfo[]): void {
  for (const t of temps) backend.disposeData(t.dataId);
}

function input(inputs: tf.NamedTensorInfoMap, name: string): tf.TensorInfo {
  const t = inputs[name];
  if (!t) throw new Error(`kernel input '${name}' missing`);
  return t;
}

/**
 * x[:, top:top+height, left:left+width, :] of an NHWC tensor. The stock Slice copies one pixel at a
 * time from JS (~10 ms for a 64x28x28x32 crop); whole rows of width·channels are contiguous.
 */
function cropSpatial(backend: BackendWasm, x: tf.TensorInfo, top: number, left: number, height: number, width: number): tf.TensorInfo {
  const [n, inHeight, inWidth, c] = x.shape;
  const out = backend.makeOutput([n, height, width, c], x.dtype);
  // Heap views are taken after the allocation above, which may grow (and so move) the heap.
  const from = backend.typedArrayFromHeap(x);
  const to = backend.typedArrayFromHeap(out);
  const row = width * c;
  for (let b = 0; b < n; b++) {
    for (let h = 0; h < height; h++) {
      const start = ((b * inHeight + top + h) * inWidth + left) * c;
      to.set(from.subarray(start, start + row), (b * height + h) * row);
    }
  }
  return out;
}

/**
 * The stock kernel multiplies a transposed operand about 10x slower than a plain one, and every
 * matMul gradient is transposed: materialising the transpose first costs far less.
 *
 * The plain product C = A·B hands B to XNNPACK as "weights", which it repacks on every call (its
 * cache is keyed by tensor id, and weights change every step): ~5 ns per element of B, against ~1
 * per element for a transpose. Where B is the larger operand (a 784x400 weight against a batch of
 * 128 rows) Cᵀ = Bᵀ·Aᵀ packs the smaller one instead; the cost estimate below picks whichever of
 * the two needs less packing and transposing.
 */
function batchMatMul({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
  const a = input(inputs, 'a');
  const b = input(inputs, 'b');
  return fastProduct(backend, a, b, transposeA, transposeB) ?? plainProduct(backend, a, b, transposeA, transposeB);
}

/** A product of a sparse binary left operand, or the swapped product, where either applies. */
function fastProduct(backend: BackendWasm, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): tf.TensorInfo | undefined {
  const temps: tf.TensorInfo[] = [];
  const untransposedB = () => {
    if (!transposeB) return b;
    temps.push(swapLastAxes(backend, b));
    return temps[0];
  };
  const single = b.shape.slice(0, -2).every((d) => d === 1);
  const binary = single ? binaryLeftProduct(backend, a, transposeA, matrixDims(b, transposeB)[1], untransposedB) : undefined;
  free(backend, ...temps);
  return binary ?? swappedProduct(backend, a, b, transposeA, transposeB);
}

/** op(A)·op(B) with any transposes materialised first. */
function plainProduct(backend: BackendWasm, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): tf.TensorInfo {
  const at = transposeA ? swapLastAxes(backend, a) : a;
  const bt = transposeB ? swapLastAxes(backend, b) : b;
  const out = run('BatchMatMul', backend, { a: at, b: bt }, { transposeA: false, transposeB: false });
  free(backend, ...[at, bt].filter((t, i) => t !== [a, b][i]));
  return out;
}

/** (op(B)ᵀ·op(A)ᵀ)ᵀ, where that packs sufficiently less than the plain product; else undefined. */
function swappedProduct(backend: BackendWasm, a: tf.TensorInfo, b: tf.TensorInfo, transposeA: boolean, transposeB: boolean): tf.TensorInfo | undefined {
  const [m, k] = matrixDims(a, transposeA);
  const [, n] = matrixDims(b, transposeB);
  // Batched products take the stock kernel's loop, which does not pack.
  const single = a.shape.slice(0, -2).every((d) => d === 1) && b.shape.slice(0, -2).every((d) => d === 1);
  const direct = PACK_COST * k * n + (transposeA ? m * k : 0) + (transposeB ? k * n : 0);
  const swapped = PACK_COST * k * m + (transposeA ? 0 : m * k) + (transposeB ? 0 : k * n) + m * n;
  if (!single || swapped >= direct) return undefined;
  const bt = transposeB ? b : swapLastAxes(backend, b);
  const at = transposeA ? a : swapLastAxes(backend, a);
  const product = run('BatchMatMul', backend, { a: bt, b: at }, { transposeA: false, transposeB: false });
  const out = swapLastAxes(backend, product);
  free(backend, product, ...[at, bt].filter((t, i) => t !== [a, b][i]));
  return out;
}

function swapLastAxes(backend: BackendWasm, t: tf.TensorInfo): tf.TensorInfo {
  const rank = t.shape.length;
  const perm = [...t.shape.keys()];
  [perm[rank - 2], perm[rank - 1]] = [rank - 1, rank - 2];
  return transpose(backend, t, perm);
}

/**
 * The forward pass of dense layers with a bias (and of linear ones while gradients are recorded).
 * Where the swapped product is cheaper it is followed by the bias and activation as kernels of
 * their own; otherwise the stock fused kernel runs, on operands already transposed: its transposed
 * path is slow like BatchMatMul's, and with both operands transposed it adds the bias wrongly.
 */
function fusedMatMul({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { transposeA, transposeB, activation } = attrs as unknown as tf._FusedMatMulAttrs;
  const a = input(inputs, 'a');
  const b = input(inputs, 'b');
  const { bias, preluActivationWeights } = inputs;
  const simple = (activation === 'linear' || activation === 'relu') && !preluActivationWeights && (!bias || bias.shape.length === 1);
  const product = simple ? fastProduct(backend, a, b, transposeA, transposeB) : undefined;
  if (!product) {
    const at = transposeA ? swapLastAxes(backend, a) : a;
    const bt = transposeB ? swapLastAxes(backend, b) : b;
    const out = run('_FusedMatMul', backend, { ...inputs, a: at, b: bt }, { ...attrs, transposeA: false, transposeB: false });
    free(backend, ...[at, bt].filter((t, i) => t !== [a, b][i]));
    return out;
  }
  let out = product;
  if (bias) {
    out = run('Add', backend, { a: product, b: bias });
    free(backend, product);
  }
  if (activation === 'relu') {
    const activated = run('Relu', backend, { x: out });
    free(backend, out);
    out = activated;
  }
  return out;
}

/** XNNPACK's repacking of a product's right operand, per element, relative to a transpose's. */
const PACK_COST = 5;

/** [rows, columns] of a matMul operand as it enters the product. */
function matrixDims(t: tf.TensorInfo, transposed: boolean): [number, number] {
  const [r, c] = t.shape.slice(-2);
  return transposed ? [c, r] : [r, c];
}

/**
 * The stock kernel copies the data, and the engine runs it on every tensor it saves for the
 * backward pass (~1.3 ms per VAE step). Tensor data is immutable, so a reference does, as on the cpu
 * backend (and as the wasm Reshape already does).
 */
function identity({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const x = input(inputs, 'x');
  if (x.dtype === 'string') return run('Identity', backend, inputs, attrs);
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

function conv2DInfo(
  xShape: number[],
  filterShape: number[],
  attrs: tf.Conv2DBackpropFilterAttrs | tf.Conv2DBackpropInputAttrs,
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(xShape as Shape4, filterShape as Shape4, attrs.strides, 1, attrs.pad, attrs.dimRoundingMode);
}

/**
 * A stride-1 'same' tap's gather for one channel of one image: output pixel (i, j) takes input
 * pixel (i + dh, j + dw). Input and output rows have the same width, so the whole valid band of
 * rows is one contiguous copy; the columns that fell outside the image (which that copy filled
 * from the neighbouring row) are zeroed after.
 */
function gatherShifted(from: Float32Array, to: Float32Array, image: number, imageSize: number, dst: number, height: number, width: number, dh: number, dw: number, jFirst: number, jEnd: number): void {
  const iFirst = Math.max(0, -dh);
  const iEnd = Math.min(height, height - dh);
  if (iEnd <= iFirst) return;
  let src = image + (iFirst + dh) * width + dw;
  let at = dst + iFirst * width;
  let length = (iEnd - iFirst) * width;
  // The band's first or last value may lie just outside this image: those outputs stay zero.
  if (src < image) {
    at += image - src;
    length -= image - src;
    src = image;
  }
  length = Math.min(length, image + imageSize - src);
  to.set(from.subarray(src, src + length), at);
  for (let i = iFirst; i < iEnd; i++) {
    const row = dst + i * width;
    for (let j = 0; j < jFirst; j++) to[row + j] = 0;
    for (let j = jEnd; j < width; j++) to[row + j] = 0;
  }
}

/** Values gathered per product in the filter gradient (32 MB): enough taps at once to keep the product wide. */
const GATHER_LIMIT = 8 << 20;

/**
 * Missing from the stock wasm backend. dW[a,b,c,o] = Σ_{n,i,j} x[n, i·s+a-top, j·s+b-left, c]·dy[n,i,j,o]
 * is one matrix product G [taps·ci × N] · dy [N × co], where N counts the output positions and row
 * (tap, c) of G gathers, for each position, the input pixel of channel c under that tap (zero in
 * the padding): its result is dW in its own [kh, kw, ci, co] order. x is transposed once to
 * channels-first so the gathers read runs of a row; G is built for as many taps at a time as fit
 * GATHER_LIMIT, and dy, the right operand of every such product, is packed by XNNPACK once.
 * (Expressing dW as one convolution of x by dy instead runs XNNPACK with a filter as large as the
 * image: several times slower.)
 */
function conv2DBackpropFilter({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const x = input(inputs, 'x');
  const dy = input(inputs, 'dy');
  const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs;
  if (a.dataFormat !== 'NHWC') throw new Error(`the wasm filter gradient supports NHWC only, got ${a.dataFormat}`);
  const info = conv2DInfo(x.shape, a.filterShape, a);
  const { batchSize: n, inHeight, inWidth, inChannels: ci, outHeight, outWidth, outChannels: co, filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { top, left } = info.padInfo;
  const positions = n * outHeight * outWidth;
  const xT = transpose(backend, x, [3, 0, 1, 2]);
  // dy as [1, N, co]: a view of the same data, which the product only reads.
  const dyView = { ...dy, shape: [1, positions, co] };
  const out = backend.makeOutput([kh, kw, ci, co], 'float32');
  const taps = kh * kw;
  const perProduct = Math.max(1, Math.min(taps, Math.floor(GATHER_LIMIT / (ci * positions))));
  for (let first = 0; first < taps; first += perProduct) {
    const count = Math.min(perProduct, taps - first);
    const gathered = backend.makeOutput([1, count * ci, positions], 'float32');
    // Heap views after every allocation: one may grow (and so move) the heap.
    const from = backend.typedArrayFromHeap(xT) as Float32Array;
    const to = (backend.typedArrayFromHeap(gathered) as Float32Array).fill(0);
    for (let k = 0; k < count; k++) {
      const ta = Math.floor((first + k) / kw);
      const tb = (first + k) % kw;
      // Output columns j whose input column j·sw + tb - left lies inside the image.
      const jFirst = Math.max(0, Math.ceil((left - tb) / sw));
      const jEnd = Math.min(outWidth, Math.floor((inWidth - 1 + left - tb) / sw) + 1);
      const rows = sh === 1 && sw === 1 && inWidth === outWidth;
      for (let c = 0; c < ci; c++) {
        for (let b = 0; b < n; b++) {
          const image = (c * n + b) * inHeight * inWidth;
          const dst = (k * ci + c) * positions + b * outHeight * outWidth;
          if (rows) {
            gatherShifted(from, to, image, inHeight * inWidth, dst, outHeight, outWidth, ta - top, tb - left, jFirst, jEnd);
            continue;
          }
          for (let i = 0; i < outHeight; i++) {
            const h = i * sh + ta - top;
            if (h < 0 || h >= inHeight) continue;
            const rowIn = image + h * inWidth + tb - left;
            const rowOut = dst + i * outWidth;
            // A plain loop: runs are short (a row), where a subarray per run costs more than the copy.
            for (let j = jFirst; j < jEnd; j++) to[rowOut + j] = from[rowIn + j * sw];
          }
        }
      }
    }
    const part = batchMatMul({ inputs: { a: gathered, b: dyView }, backend, attrs: { transposeA: false, transposeB: false } as unknown as tf.NamedAttrMap });
    backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(part), first * ci * co);
    free(backend, part, gathered);
  }
  free(backend, xT);
  return out;
}

/**
 * How one spatial axis of a strided transposed convolution splits into `stride` phases: output
 * position p (counted in the padded input, p = h + top) = q·stride + r gets, from dy, only the
 * filter taps a ≡ r (mod stride). All phases share one window of `taps` consecutive dy rows, so one
 * ordinary convolution computes every phase as a group of output channels.
 */
interface AxisPlan {
  stride: number;
  /** Filter length after `shift` leading zero taps. */
  taps: number;
  /**
   * Zero taps put in front of the filter. Aligning the first output row to phase 0 makes the final
   * crop free in the usual cases; it is only done when it costs no extra tap.
   */
  shift: number;
  /** Zero padding of dy before and after, for the phase convolution. */
  padBefore: number;
  padAfter: number;
  /** The first wanted row of the interleaved phases. */
  offset: number;
}

function planAxis(size: number, kernel: number, stride: number, padTop: number, dySize: number): AxisPlan | undefined {
  const align = (stride - (padTop % stride)) % stride;
  const shift = Math.ceil((kernel + align) / stride) === Math.ceil(kernel / stride) ? align : 0;
  const taps = Math.ceil((kernel + shift) / stride);
  const first = Math.floor((padTop + shift) / stride);
  const offset = padTop + shift - first * stride;
  const padBefore = taps - 1 - first;
  // Enough coarse positions to cover rows offset .. offset+size-1 of the interleaved result.
  const coarse = Math.ceil((offset + size) / stride);
  const padAfter = coarse + taps - 1 - dySize - padBefore;
  // Only explicit pads wider than the filter get here; the stock kernel handles them.
  if (padBefore < 0 || padAfter < 0) return undefined;
  return { stride, taps, shift, padBefore, padAfter, offset };
}

/**
 * The filter of the phase convolution, [tapsH, tapsW, co, strideH·strideW·ci]: output channel
 * (rh·strideW + rw)·ci + c of window tap (i, j) is the original tap (rh + strideH·(tapsH-1-i) - shiftH,
 * rw + ...) for input channel c, or zero where that falls outside the filter.
 */
function phaseFilter(backend: BackendWasm, filter: tf.TensorInfo, h: AxisPlan, w: AxisPlan): tf.TensorInfo {
  const [kh, kw, ci, co] = filter.shape;
  const phases = h.stride * w.stride;
  const out = backend.makeOutput([h.taps, w.taps, co, phases * ci], 'float32');
  // Views of the wasm heap: taken after the allocation above, which may grow (and move) the heap.
  const f = backend.typedArrayFromHeap(filter);
  const g = backend.typedArrayFromHeap(out).fill(0);
  let k = 0;
  for (let i = 0; i < h.taps; i++) {
    for (let j = 0; j < w.taps; j++) {
      for (let o = 0; o < co; o++) {
        for (let rh = 0; rh < h.stride; rh++) {
          const a = rh + h.stride * (h.taps - 1 - i) - h.shift;
          for (let rw = 0; rw < w.stride; rw++, k += ci) {
            const b = rw + w.stride * (w.taps - 1 - j) - w.shift;
            if (a < 0 || a >= kh || b < 0 || b >= kw) continue;
            const from = (a * kw + b) * ci * co + o;
            for (let c = 0; c < ci; c++) g[k + c] = f[from + c * co];
          }
        }
      }
    }
  }
  return out;
}

/**
 * Interleaves the phase channel groups of [n, qh, qw, sh·sw·c] into [n, qh·sh, qw·sw, c]. This is
 * DepthToSpace, but the stock DepthToSpace is a slow element loop (~28 ms for 64x7x7x128) where
 * the equivalent 6-d Transpose takes well under 1 ms, and it also allows sh ≠ sw.
 */
function interleavePhases(backend: BackendWasm, phased: tf.TensorInfo, sh: number, sw: number): tf.TensorInfo {
  const [n, qh, qw, channels] = phased.shape;
  const c = channels / (sh * sw);
  // A view with another shape of the same data: Transpose only reads it, so no reference is taken.
  const view = { ...phased, shape: [n, qh, qw, sh, sw, c] };
  const out = transpose(backend, view, [0, 1, 3, 2, 4, 5]);
  out.shape = [n, qh * sh, qw * sw, c];
  return out;
}

/**
 * The stock kernel is a naive loop, and it is also conv2dTranspose's forward pass. Sub-pixel
 * decomposition instead: one stride-1 Conv2D of dy computes all stride² phases as channel groups,
 * an interleave turns them into rows and columns, and a crop removes what padding added.
 */
function conv2DBackpropInput({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const dy = input(inputs, 'dy');
  const filter = input(inputs, 'filter');
  const a = attrs as unknown as tf.Conv2DBackpropInputAttrs;
  if (a.dataFormat !== 'NHWC') return run('Conv2DBackpropInput', backend, inputs, attrs);
  const info = conv2DInfo(a.inputShape, filter.shape, a);
  const { inHeight, inWidth } = info;
  const h = planAxis(inHeight, info.filterHeight, info.strideHeight, info.padInfo.top, info.outHeight);
  const w = planAxis(inWidth, info.filterWidth, info.strideWidth, info.padInfo.left, info.outWidth);
  if (!h || !w) return run('Conv2DBackpropInput', backend, inputs, attrs);

  const g = phaseFilter(backend, filter, h, w);
  const phased = run('Conv2D', backend, { x: dy, filter: g }, {
    strides: 1,
    dilations: 1,
    pad: [[0, 0], [h.padBefore, h.padAfter], [w.padBefore, w.padAfter], [0, 0]],
    dataFormat: 'NHWC',
  });
  free(backend, g);
  const fine = h.stride * w.stride === 1 ? phased : interleavePhases(backend, phased, h.stride, w.stride);
  if (fine !== phased) free(backend, phased);
  const [, fineHeight, fineWidth] = fine.shape;
  if (h.offset === 0 && w.offset === 0 && fineHeight === inHeight && fineWidth === inWidth) return fine;
  const out = cropSpatial(backend, fine, h.offset, w.offset, inHeight, inWidth);
  free(backend, fine);
  return out;
}
