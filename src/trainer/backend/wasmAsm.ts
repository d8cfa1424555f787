/**
 * A minimal WebAssembly encoder, for small SIMD loops that work on the wasm backend's tensors where
 * they live: the modules import the backend's own memory, and take tensors as byte offsets into it
 * (memoryOffset). Just the instructions those loops need, each by its name in the spec.
 *
 * Every module is declared once (wasmModule) and listed in wasmModules.ts: the backend compiles
 * them all when it starts, so that one that fails is reported, and its fast path named as off in
 * the backend label, instead of silently running the slower stock kernels.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** Value types. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

/** Opcodes of the core instruction set. */
const OP = {
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  return: 0x0f,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  f32Load: 0x2a,
  f32Store: 0x38,
  i32Const: 0x41,
  f32Const: 0x43,
  i32GeU: 0x4f,
  f32Ne: 0x5c,
  f32Gt: 0x5e,
  i32Add: 0x6a,
  i32Mul: 0x6c,
  i32And: 0x71,
  i32Shl: 0x74,
  f32Sqrt: 0x91,
  f32Add: 0x92,
  f32Mul: 0x94,
  f32Div: 0x95,
  f32Max: 0x97,
  /** Prefix of the SIMD instructions, which follow as a LEB128 number (SIMD below). */
  simdPrefix: 0xfd,
} as const;

/** Opcodes of the SIMD instructions (after OP.simdPrefix). */
const SIMD = {
  v128Load: 0x00,
  v128Load32Splat: 0x09,
  v128Store: 0x0b,
  v128Const: 0x0c,
  f32x4Splat: 0x13,
  f32x4ExtractLane: 0x1f,
  f32x4Gt: 0x44,
  v128And: 0x4e,
  f32x4Sqrt: 0xe3,
  f32x4Add: 0xe4,
  f32x4Mul: 0xe6,
  f32x4Div: 0xe7,
  f32x4Max: 0xe9,
} as const;

/** The block type of blocks that leave nothing on the stack. */
const EMPTY_BLOCK = 0x40;
/** log2 of the alignment scalar loads and stores declare (4 bytes); SIMD ones declare 1 byte. */
const ALIGN_4 = 2;
const ALIGN_1 = 0;

/** Unsigned LEB128, the encoding of every count, index and offset in a module. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** Signed LEB128, for i32 constants. */
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const simd = (code: number, ...immediates: number[]) => [OP.simdPrefix, ...uleb(code), ...immediates];
/** A memory access's immediates: its alignment and the constant byte offset added to the address. */
const memarg = (align: number, offset = 0) => [align, ...uleb(offset)];

export const op = {
  get: (i: number) => [OP.localGet, ...uleb(i)],
  set: (i: number) => [OP.localSet, ...uleb(i)],
  tee: (i: number) => [OP.localTee, ...uleb(i)],
  i32: (value: number) => [OP.i32Const, ...sleb(value)],
  i32Add: [OP.i32Add],
  i32Mul: [OP.i32Mul],
  i32Load: [OP.i32Load, ...memarg(ALIGN_4)],
  f32Const: (x: number) => [OP.f32Const, ...new Uint8Array(new Float32Array([x]).buffer)],
  f32Ne: [OP.f32Ne],
  f32Gt: [OP.f32Gt],
  /** Of the two values under the condition on the stack, the first where it is non-zero, else the second. */
  select: [OP.select],
  if: [OP.if, EMPTY_BLOCK],
  return: [OP.return],
  i32And: [OP.i32And],
  i32Shl: [OP.i32Shl],
  i32GeU: [OP.i32GeU],
  block: [OP.block, EMPTY_BLOCK],
  loop: [OP.loop, EMPTY_BLOCK],
  end: [OP.end],
  br: (depth: number) => [OP.br, ...uleb(depth)],
  brIf: (depth: number) => [OP.brIf, ...uleb(depth)],
  f32Load: [OP.f32Load, ...memarg(ALIGN_4)],
  f32Store: [OP.f32Store, ...memarg(ALIGN_4)],
  f32Add: [OP.f32Add],
  f32Mul: [OP.f32Mul],
  f32Div: [OP.f32Div],
  f32Sqrt: [OP.f32Sqrt],
  f32Max: [OP.f32Max],
};

/** SIMD instructions on four float32 lanes. */
export const v = {
  /** Loads 16 bytes at the address on the stack plus `offset`. */
  loadAt: (offset: number) => simd(SIMD.v128Load, ...memarg(ALIGN_1, offset)),
  storeAt: (offset: number) => simd(SIMD.v128Store, ...memarg(ALIGN_1, offset)),
  /** The float at the address on the stack plus `offset`, in all four lanes. */
  loadSplatAt: (offset: number) => simd(SIMD.v128Load32Splat, ...memarg(ALIGN_1, offset)),
  load: simd(SIMD.v128Load, ...memarg(ALIGN_1)),
  store: simd(SIMD.v128Store, ...memarg(ALIGN_1)),
  zero: simd(SIMD.v128Const, ...Array<number>(16).fill(0)),
  splat: simd(SIMD.f32x4Splat),
  lane: (k: number) => simd(SIMD.f32x4ExtractLane, k),
  /** All ones in the lanes where the first operand is greater, else zeros. */
  gt: simd(SIMD.f32x4Gt),
  and: simd(SIMD.v128And),
  sqrt: simd(SIMD.f32x4Sqrt),
  add: simd(SIMD.f32x4Add),
  mul: simd(SIMD.f32x4Mul),
  div: simd(SIMD.f32x4Div),
  max: simd(SIMD.f32x4Max),
};

export interface WasmFunction {
  name: string;
  params: number[];
  results?: number[];
  locals: number[];
  /** The instructions, without the final `end`. */
  body: number[];
}

/** Module sections, by id, and the kinds of what a module imports and exports. */
const SECTION = { type: 1, import: 2, function: 3, export: 7, code: 10 } as const;
const FUNC_TYPE = 0x60;
const KIND = { func: 0x00, memory: 0x02 } as const;
/** A memory limit with a minimum and no maximum, and that minimum: the backend's memory is whatever size it has grown to. */
const LIMITS_MIN_ONLY = 0x00;
const MIN_PAGES = 0;
const MAGIC_AND_VERSION = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

const name = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s, 'utf8')];
const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

function moduleBytes(functions: WasmFunction[]): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [FUNC_TYPE, ...vec(f.params.map((t) => [t])), ...vec((f.results ?? []).map((t) => [t]))]);
  const codes = functions.map((f) => {
    // One entry per local (a count of 1 and its type): simple, and the modules have few.
    const locals = vec(f.locals.map((t) => [1, t]));
    const code = [...locals, ...f.body, ...op.end];
    return [...uleb(code.length), ...code];
  });
  return new Uint8Array([
    ...MAGIC_AND_VERSION,
    ...section(SECTION.type, vec(types)),
    ...section(SECTION.import, vec([[...name('env'), ...name('memory'), KIND.memory, LIMITS_MIN_ONLY, MIN_PAGES]])),
    ...section(SECTION.function, vec(functions.map((_, i) => uleb(i)))),
    ...section(SECTION.export, vec(functions.map((f, i) => [...name(f.name), KIND.func, ...uleb(i)]))),
    ...section(SECTION.code, vec(codes)),
  ]);
}

/** A module of loops, typed by the functions it exports. */
export interface WasmModule<Exports = Record<string, unknown>> {
  /** The fast path it serves, as the backend label names it when off (e.g. 'fused Adam'). */
  readonly fastPath: string;
  readonly build: () => WasmFunction[];
  /** Never set: it carries the exports' type, for wasmFunctions. */
  readonly exports?: Exports;
}

const defined: WasmModule<unknown>[] = [];

export function wasmModule<Exports>(fastPath: string, build: () => WasmFunction[]): WasmModule<Exports> {
  const module = { fastPath, build };
  defined.push(module);
  return module;
}

/** Every module declared by the code loaded so far: the test that WASM_MODULES lists them all reads it. */
export function declaredWasmModules(): readonly WasmModule<unknown>[] {
  return defined;
}

const compiled = new Map<WasmModule<unknown>, WebAssembly.Module | Error>();
const instances = new Map<WasmModule<unknown>, WeakMap<WebAssembly.Memory, unknown>>();

/** The module compiled (once); a failure is logged on stderr once and kept as the reason. */
function compile(module: WasmModule<unknown>): WebAssembly.Module | Error {
  const known = compiled.get(module);
  if (known) return known;
  let functions: WasmFunction[] | undefined;
  let result: WebAssembly.Module | Error;
  try {
    functions = module.build();
    result = new WebAssembly.Module(moduleBytes(functions));
  } catch (err) {
    const error = new Error(compileProblem(err, functions));
    const names = functions ? functions.map((f) => f.name).join(', ') : 'not assembled';
    process.stderr.write(`genlab: the wasm module for ${module.fastPath} (${names}) failed to compile, so ${module.fastPath} is off: ${error.message}\n`);
    result = error;
  }
  compiled.set(module, result);
  return result;
}

/** The compiler's message, its functions named (it numbers them: the modules carry no name section). */
function compileProblem(err: unknown, functions: WasmFunction[] | undefined): string {
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0].replace(/^WebAssembly\.Module\(\): /, '');
  return message.replace(/function #(\d+)/, (whole, i: string) => (functions?.[Number(i)] ? `function ${functions[Number(i)].name}` : whole));
}

function backendMemory(backend: BackendWasm): WebAssembly.Memory | undefined {
  const memory = (backend.wasm as unknown as { asm?: { memory?: unknown } }).asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

/** Why `module` cannot run on this backend (it fails to compile, or the backend's memory cannot be reached); undefined where it can. */
export function wasmModuleProblem(backend: BackendWasm, module: WasmModule<unknown>): string | undefined {
  if (!backendMemory(backend)) return "the wasm backend's memory cannot be reached";
  const result = compile(module);
  return result instanceof Error ? result.message : undefined;
}

/**
 * The exported functions of `module`, instantiated on this backend's memory; null where that
 * memory cannot be reached or the module does not compile (e.g. a runtime without SIMD).
 */
export function wasmFunctions<Exports>(backend: BackendWasm, module: WasmModule<Exports>): Exports | null {
  const memory = backendMemory(backend);
  if (!memory) return null;
  const byMemory = instances.get(module) ?? new WeakMap<WebAssembly.Memory, unknown>();
  instances.set(module, byMemory);
  const known = byMemory.get(memory);
  if (known) return known as Exports;
  const result = compile(module);
  if (result instanceof Error) return null;
  const exports = new WebAssembly.Instance(result, { env: { memory } }).exports as Exports;
  byMemory.set(memory, exports);
  return exports;
}

/** Where tensor `t` lives in the backend's memory, as the byte offset the loops take. */
export function memoryOffset(backend: BackendWasm, t: tf.TensorInfo): number {
  return backend.dataIdMap.get(t.dataId)!.memoryOffset;
}

/** A float32 tensor of `shape` for a loop to write, its memory left as it was (no fill, no upload). */
export function outputTensor(backend: BackendWasm, shape: number[]): tf.Tensor {
  return tf.engine().makeTensorFromTensorInfo(backend.makeOutput(shape, 'float32'));
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

/** The byte length of `count` floats (code leaving an i32) into local `bytes`, and that length rounded down to whole vectors into `vectorBytes`. */
// prettier-ignore
export const floatBytes = (count: number[], bytes: number, vectorBytes: number) => [
  ...count, ...op.i32(2), ...op.i32Shl, ...op.tee(bytes), ...op.i32(-16), ...op.i32And, ...op.set(vectorBytes),
];

/**
 * Byte offset `counter` from 0 over a row: four floats at a time up to `vectorBytes` (`vector`),
 * then the floats left one by one up to `bytes` (`scalar`); the lengths as floatBytes leaves them.
 */
// prettier-ignore
export const vectorsThenTail = (counter: number, vectorBytes: number, bytes: number, vector: number[], scalar: number[]) => [
  ...op.i32(0), ...op.set(counter),
  ...forLoop(counter, op.get(vectorBytes), 16, vector),
  ...forLoop(counter, op.get(bytes), 4, scalar),
];

/** The sum of a vector's four lanes and a float: `vector`'s lanes 0+1+2+3, then + `scalar`, as float32 adds in that order. */
// prettier-ignore
export const laneSum = (vector: number, scalar: number) => [
  ...op.get(vector), ...v.lane(0), ...op.get(vector), ...v.lane(1), ...op.f32Add, ...op.get(vector), ...v.lane(2), ...op.f32Add, ...op.get(vector), ...v.lane(3), ...op.f32Add,
  ...op.get(scalar), ...op.f32Add,
];
