/**
 * Arrays as a Node script holds them, without TensorFlow.js loaded here: a tensor (anything with
 * `shape` and `dataSync()`), a flat array with its shape, or nested arrays (what
 * `tensor.arraySync()` returns).
 */

export interface Tensorish {
  readonly shape: readonly number[];
  dataSync(): ArrayLike<number>;
}
export interface ShapedArray {
  readonly shape: readonly number[];
  readonly data: ArrayLike<number>;
}
export type Nested = number | readonly Nested[];
export type ArrayInput = Tensorish | ShapedArray | readonly Nested[];

export interface Flat {
  shape: number[];
  data: ArrayLike<number>;
}

export function toArray(value: ArrayInput, name: string): Flat {
  if (Array.isArray(value)) return flatten(value as readonly Nested[], name);
  const shaped = value as Partial<Tensorish & ShapedArray>;
  if (!Array.isArray(shaped.shape) || !shaped.shape.every((d) => Number.isInteger(d) && d >= 0)) {
    throw new TypeError(`${name}: expected nested arrays of numbers, a tensor, or { data, shape }`);
  }
  const shape = [...shaped.shape];
  const data = typeof shaped.dataSync === 'function' ? shaped.dataSync() : shaped.data;
  const size = shape.reduce((a, b) => a * b, 1);
  if (!data || data.length !== size) throw new TypeError(`${name}: shape [${shape.join(', ')}] holds ${size} numbers, the data ${data?.length ?? 'none'}`);
  return { shape, data };
}

function flatten(value: readonly Nested[], name: string): Flat {
  const shape: number[] = [];
  for (let probe: Nested | undefined = value; Array.isArray(probe); probe = (probe as readonly Nested[])[0]) shape.push((probe as readonly Nested[]).length);
  const data: number[] = [];
  const walk = (item: Nested, depth: number): void => {
    if (depth === shape.length) {
      if (typeof item !== 'number') throw new TypeError(`${name}: expected an array of numbers, found ${JSON.stringify(item)}`);
      data.push(item);
      return;
    }
    if (!Array.isArray(item) || item.length !== shape[depth]) throw new TypeError(`${name}: a ragged array (rows of different lengths)`);
    for (const child of item as readonly Nested[]) walk(child, depth + 1);
  };
  walk(value, 0);
  return { shape, data };
}
