/**
 * A minimal WebAssembly encoder, for small SIMD loops that work on the wasm backend's tensors where
 * they live: the modules import the backend's own memory, and take tensors as byte offsets into it
 * (backend.dataIdMap.get(dataId).memoryOffset). Just the instructions those loops need.
 */
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const name = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s, 'utf8')];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

export const op = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (v: number) => [0x41, ...sleb(v)],
  i32Add: [0x6a],
  i32Mul: [0x6c],
  i32Load: [0x28, 2, 0],
  f32Const: (x: number) => [0x43, ...new Uint8Array(new Float32Array([x]).buffer)],
  f32Ne: [0x5c],
  if: [0x04, 0x40],
  return: [0x0f],
  i32And: [0x71],
  i32Shl: [0x74],
  i32GeU: [0x4f],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  f32Load: [0x2a, 2, 0],
  f32Store: [0x38, 2, 0],
  f32Add: [0x92],
  f32Mul: [0x94],
  f32Div: [0x95],
  f32Sqrt: [0x91],
  simd: (code: number, ...imm: number[]) => [0xfd, ...uleb(code), ...imm],
};
export const v = {
  load: op.simd(0x00, 0, 0),
  store: op.simd(0x0b, 0, 0),
  splat: op.simd(0x13),
  sqrt: op.simd(0xe3),
  add: op.simd(0xe4),
  mul: op.simd(0xe6),
  div: op.simd(0xe7),
};

export interface WasmFunction {
  name: string;
  params: number[];
  results?: number[];
  locals: number[];
  /** The instructions, without the final `end`. */
  body: number[];
}

function moduleBytes(functions: WasmFunction[]): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vec(f.params.map((t) => [t])), ...vec((f.results ?? []).map((t) => [t]))]);
  const codes = functions.map((f) => {
    const locals = vec(f.locals.map((t) => [1, t]));
    const code = [...locals, ...f.body, ...op.end];
    return [...uleb(code.length), ...code];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([[...name('env'), ...name('memory'), 0x02, 0x00, 0x00]])),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(codes)),
  ]);
}

const compiled = new Map<string, WebAssembly.Module | null>();
const instances = new Map<string, WeakMap<WebAssembly.Memory, Record<string, unknown>>>();

/**
 * The exported functions of the module `key` (built by `build` on first use), instantiated on this
 * backend's memory; null where that memory cannot be reached or the runtime lacks SIMD.
 */
export function wasmFunctions(backend: BackendWasm, key: string, build: () => WasmFunction[]): Record<string, unknown> | null {
  const memory = (backend.wasm as unknown as { asm?: { memory?: unknown } }).asm?.memory;
  if (!(memory instanceof WebAssembly.Memory)) return null;
  const byMemory = instances.get(key) ?? new WeakMap<WebAssembly.Memory, Record<string, unknown>>();
  instances.set(key, byMemory);
  const known = byMemory.get(memory);
  if (known) return known;
  if (!compiled.has(key)) {
    try {
      compiled.set(key, new WebAssembly.Module(moduleBytes(build())));
    } catch {
      compiled.set(key, null);
    }
  }
  const module = compiled.get(key);
  if (!module) return null;
  const exports = new WebAssembly.Instance(module, { env: { memory } }).exports as Record<string, unknown>;
  byMemory.set(memory, exports);
  return exports;
}

/** `for (counter; counter < limit; counter += stride) body`, as wasm code (limit: code leaving an i32). */
// prettier-ignore
export const forLoop = (counter: number, limit: number[], stride: number, body: number[]) => [
  ...op.block, ...op.loop,
  ...op.get(counter), ...limit, ...op.i32GeU, ...op.brIf(1),
  ...body,
  ...op.get(counter), ...op.i32(stride), ...op.i32Add, ...op.set(counter),
  ...op.br(0),
  ...op.end, ...op.end,
];
