/**
 * Interpolations and traversals in the latent space of a model that decodes z ~ N(0, I) into
 * images (the VAE's decoder, the GAN's generator): the same pictures for both families.
 */
import type { Rng } from '../rng';
import type { ImageDataset } from '../data/imageDatasets';
import { imageGrid, type LatentTools } from './family';

/** Decodes `count` latent rows (count × latentDim) into count images shaped like the data's, values in [0, 1]. */
export type Decode = (z: Float32Array, count: number) => Float32Array;

/**
 * Spherical interpolation from a to b at fraction t: prior draws live near a sphere of radius
 * √latentDim, which a straight line between two of them would cut through (low-norm, atypical z).
 */
export function slerp(a: Float32Array, b: Float32Array, t: number): Float32Array {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  const omega = Math.acos(Math.min(1, Math.max(-1, dot / Math.sqrt(na * nb || 1))));
  const so = Math.sin(omega);
  // Nearly parallel end points: the straight line is the same path.
  const [wa, wb] = so < 1e-6 ? [1 - t, t] : [Math.sin((1 - t) * omega) / so, Math.sin(t * omega) / so];
  return a.map((v, i) => wa * v + wb * b[i]);
}

export function latentTools(latentDim: number, decode: Decode, data: ImageDataset): LatentTools {
  const grid = (kind: string, z: Float32Array, count: number, cols: number) => imageGrid(data, kind, decode(z, count), count, cols);
  return {
    latentDim,
    interpolate(rng: Rng, steps: number, rows: number) {
      const z = new Float32Array(rows * steps * latentDim);
      for (let r = 0; r < rows; r++) {
        const a = rng.fillNormal(new Float32Array(latentDim));
        const b = rng.fillNormal(new Float32Array(latentDim));
        for (let s = 0; s < steps; s++) z.set(slerp(a, b, s / (steps - 1)), (r * steps + s) * latentDim);
      }
      return grid('interpolation', z, rows * steps, steps);
    },
    traverse([across, down]: [number, number], steps: number, range: number) {
      const z = new Float32Array(steps * steps * latentDim);
      const at = (i: number) => -range + (2 * range * i) / (steps - 1);
      for (let r = 0; r < steps; r++) {
        for (let c = 0; c < steps; c++) {
          z[(r * steps + c) * latentDim + across] = at(c);
          z[(r * steps + c) * latentDim + down] = at(r);
        }
      }
      return grid('traversal', z, steps * steps, steps);
    },
  };
}
