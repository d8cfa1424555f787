/** Small point datasets built in tests, so that family tests control their data exactly. */
import type { PointDataset } from '../../src/trainer/data/dataset';
import type { Rng } from '../../src/trainer/rng';

export function pointData(dim: 1 | 2, train: ArrayLike<number>, test: ArrayLike<number>, extent: [number, number, number, number]): PointDataset {
  return {
    kind: 'points',
    name: dim === 2 ? '8gaussians' : 'bimodal',
    dim,
    train: { count: train.length / dim, points: Float32Array.from(train) },
    test: { count: test.length / dim, points: Float32Array.from(test) },
    extent,
    description: 'test data',
  };
}

/** Like the 8gaussians toy: 8 centres on a circle of radius 4/1.414, std 0.5/1.414. */
export function eightGaussians(n: number, rng: Rng): Float32Array {
  const out = new Float32Array(2 * n);
  const z = rng.fillNormal(new Float32Array(2 * n));
  for (let i = 0; i < n; i++) {
    const a = (Math.floor(rng.next() * 8) * Math.PI) / 4;
    out[2 * i] = (4 * Math.cos(a) + 0.5 * z[2 * i]) / 1.414;
    out[2 * i + 1] = (4 * Math.sin(a) + 0.5 * z[2 * i + 1]) / 1.414;
  }
  return out;
}
