/**
 * Tensors' chained methods (x.mul(y), x.reshape([...])), which the @tensorflow/tfjs package adds
 * when it loads but the Node builds of tfjs-core that the trainer uses do not. A model module is
 * written against @tensorflow/tfjs's types, which declare them, so they are added here, each to
 * the op of its name: the declarations GenLab ships (model-types.json) are the list.
 */
import * as tfc from '@tensorflow/tfjs-core';
import { modelTypes } from './compile';

type Method = (this: tfc.Tensor, ...args: unknown[]) => unknown;

/** The methods whose op has another name or takes other arguments. */
const SPECIAL: Record<string, Method> = {
  as1D() { return tfc.reshape(this, [this.size]); },
  as2D(...shape) { return tfc.reshape(this, shape as number[]); },
  as3D(...shape) { return tfc.reshape(this, shape as number[]); },
  as4D(...shape) { return tfc.reshape(this, shape as number[]); },
  as5D(...shape) { return tfc.reshape(this, shape as number[]); },
  asScalar() { return tfc.reshape(this, []); },
  asType(dtype) { return tfc.cast(this, dtype as tfc.DataType); },
  flatten() { return tfc.reshape(this, [this.size]); },
  reshapeAs(x) { return tfc.reshape(this, (x as tfc.Tensor).shape); },
  resizeBilinear(...args) { return tfc.image.resizeBilinear(this as tfc.Tensor3D, ...(args as [[number, number]])); },
  resizeNearestNeighbor(...args) { return tfc.image.resizeNearestNeighbor(this as tfc.Tensor3D, ...(args as [[number, number]])); },
  toBool() { return tfc.cast(this, 'bool'); },
  toFloat() { return tfc.cast(this, 'float32'); },
  toInt() { return tfc.cast(this, 'int32'); },
};

let installed = false;

export function installChainedOps(): void {
  if (installed) return;
  installed = true;
  const names = new Set<string>();
  for (const [file, text] of Object.entries(modelTypes())) {
    if (!file.includes('/chained_ops/') || file.endsWith('register_all_chained_ops.d.ts')) continue;
    for (const [, name] of text.matchAll(/^\s{8}(\w+)\s*[<(]/gm)) names.add(name);
  }
  const proto = tfc.Tensor.prototype as unknown as Record<string, Method>;
  const ops = tfc as unknown as Record<string, unknown>;
  for (const name of names) {
    if (typeof proto[name] === 'function') continue;
    const op = ops[name];
    const method: Method | undefined = SPECIAL[name] ?? (typeof op === 'function' ? function (this: tfc.Tensor, ...args) { return (op as (...a: unknown[]) => unknown)(this, ...args); } : undefined);
    if (!method) continue;
    proto[name] = function (this: tfc.Tensor, ...args: unknown[]) {
      this.throwIfDisposed();
      return method.apply(this, args);
    };
  }
}
